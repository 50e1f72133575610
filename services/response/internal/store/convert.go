package store

import (
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgtype"

	"github.com/chuishao/whistle/services/response/internal/response"
)

// Domain converts a stored dispatch to the domain's.
func (r Dispatch) Domain() (response.Dispatch, error) {
	status, err := response.ParseStatus(r.Status)
	if err != nil {
		return response.Dispatch{}, fmt.Errorf("dispatch %s: %w", r.ID, err)
	}
	return response.Dispatch{
		ID:                r.ID,
		WhistleID:         r.WhistleID,
		DistrictID:        r.DistrictID,
		StreetID:          r.StreetID,
		Category:          r.Category,
		Department:        r.Department,
		Role:              r.Role,
		Status:            status,
		DispatchedAt:      r.DispatchedAt,
		SLAStartedAt:      r.SlaStartedAt,
		AckBy:             r.AckBy,
		ArriveBy:          r.ArriveBy,
		ResolveBy:         r.ResolveBy,
		AcknowledgedAt:    r.AcknowledgedAt,
		AcknowledgedBy:    r.AcknowledgedBy,
		ArrivedAt:         r.ArrivedAt,
		ArrivedBy:         r.ArrivedBy,
		ArrivalLocation:   point(r.ArrivalLat, r.ArrivalLng),
		ArrivalDistanceM:  r.ArrivalDistanceM,
		ArrivalFar:        r.ArrivalFar,
		ArrivalAccuracyM:  r.ArrivalAccuracyM,
		ResolvedAt:        r.ResolvedAt,
		ResolvedBy:        r.ResolvedBy,
		ResolutionSummary: r.ResolutionSummary,
		ReturnedAt:        r.ReturnedAt,
		ReturnedBy:        r.ReturnedBy,
		ReturnReason:      r.ReturnReason,
		ReturnCode:        response.ReturnCode(r.ReturnCode),
		ReturnDepartment:  r.ReturnDepartment,
		CommunityCode:     r.CommunityCode,
		CommunityName:     r.CommunityName,
		CancelledAt:       r.CancelledAt,
		Breaches:          r.Breaches,
		Warnings:          r.Warnings,
		EscalationLevel:   int(r.EscalationLevel),
		OriginalAckBy:     r.OriginalAckBy,
		OriginalArriveBy:  r.OriginalArriveBy,
		OriginalResolveBy: r.OriginalResolveBy,
		AckWarnAt:         r.AckWarnAt,
		ArriveWarnAt:      r.ArriveWarnAt,
		ResolveWarnAt:     r.ResolveWarnAt,
		EscalateAt:        r.EscalateAt,
		Location:          point(r.WhistleLat, r.WhistleLng),
		UpdatedAt:         r.UpdatedAt,
	}, nil
}

// UpdateParams writes back what an action may change on d.
func UpdateParams(d response.Dispatch) UpdateDispatchParams {
	lat, lng := coords(d.ArrivalLocation)
	return UpdateDispatchParams{
		ID:                d.ID,
		Status:            string(d.Status),
		AcknowledgedAt:    d.AcknowledgedAt,
		AcknowledgedBy:    d.AcknowledgedBy,
		ArrivedAt:         d.ArrivedAt,
		ArrivedBy:         d.ArrivedBy,
		ArrivalLat:        lat,
		ArrivalLng:        lng,
		ArrivalDistanceM:  d.ArrivalDistanceM,
		ArrivalFar:        d.ArrivalFar,
		ArrivalAccuracyM:  d.ArrivalAccuracyM,
		ResolvedAt:        d.ResolvedAt,
		ResolvedBy:        d.ResolvedBy,
		ResolutionSummary: d.ResolutionSummary,
		ReturnedAt:        d.ReturnedAt,
		ReturnedBy:        d.ReturnedBy,
		ReturnReason:      d.ReturnReason,
		ReturnCode:        string(d.ReturnCode),
		ReturnDepartment:  d.ReturnDepartment,
		CancelledAt:       d.CancelledAt,
		UpdatedAt:         d.UpdatedAt,
	}
}

func point(lat, lng *float64) *response.LatLng {
	if lat == nil || lng == nil {
		return nil
	}
	return &response.LatLng{Lat: *lat, Lng: *lng}
}

func coords(p *response.LatLng) (lat, lng *float64) {
	if p == nil {
		return nil, nil
	}
	return &p.Lat, &p.Lng
}

// Domain converts a stored extension to the domain's.
func (e Extension) Domain() (response.Extension, error) {
	c, err := response.ParseClock(e.Clock)
	if err != nil {
		return response.Extension{}, fmt.Errorf("extension %s: %w", e.ID, err)
	}
	return response.Extension{
		ID:            e.ID,
		DispatchID:    e.DispatchID,
		Clock:         c,
		Until:         e.Until,
		PreviousDueAt: e.PreviousDueAt,
		Reason:        e.Reason,
		RequestedBy:   e.RequestedBy,
		RequestedAt:   e.RequestedAt,
		Status:        response.ExtensionStatus(e.Status),
		DecidedBy:     e.DecidedBy,
		DecidedAt:     e.DecidedAt,
		DecisionNote:  e.DecisionNote,
	}, nil
}

// Date is a calendar day as stored.
func Date(t time.Time) pgtype.Date {
	return pgtype.Date{Time: time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC), Valid: true}
}

// DayOf is the date of a stored calendar day, in DateLayout.
func DayOf(d pgtype.Date) string { return d.Time.Format(response.DateLayout) }

// Override is the admin's policy a preflight row found for its request, nil
// when none applies.
func (r PreflightDispatchesRow) Override() *response.Override {
	if !r.HasPolicy {
		return nil
	}
	return &response.Override{District: r.PolicyDistrictID, Policy: Policy{
		AckWithinS: r.AckWithinS, ArriveWithinS: r.ArriveWithinS, ResolveWithinS: r.ResolveWithinS,
		ResolveWorkingDays: r.ResolveWorkingDays,
	}.DomainPolicy()}
}

// DomainPolicy is a stored policy as the admin API shows it.
func (r Policy) DomainPolicy() response.Policy {
	return response.Policy{
		AckWithin:          time.Duration(r.AckWithinS) * time.Second,
		ArriveWithin:       time.Duration(r.ArriveWithinS) * time.Second,
		ResolveWithin:      time.Duration(r.ResolveWithinS) * time.Second,
		ResolveWorkingDays: int(r.ResolveWorkingDays),
	}
}
