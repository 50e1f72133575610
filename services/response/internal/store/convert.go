package store

import (
	"fmt"

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
		ResolvedAt:        r.ResolvedAt,
		ResolvedBy:        r.ResolvedBy,
		ResolutionSummary: r.ResolutionSummary,
		ReturnedAt:        r.ReturnedAt,
		ReturnedBy:        r.ReturnedBy,
		ReturnReason:      r.ReturnReason,
		CancelledAt:       r.CancelledAt,
		Breaches:          r.Breaches,
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
		ResolvedAt:        d.ResolvedAt,
		ResolvedBy:        d.ResolvedBy,
		ResolutionSummary: d.ResolutionSummary,
		ReturnedAt:        d.ReturnedAt,
		ReturnedBy:        d.ReturnedBy,
		ReturnReason:      d.ReturnReason,
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

// Clocks are clock names as stored.
func Clocks(cs []response.Clock) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = string(c)
	}
	return out
}
