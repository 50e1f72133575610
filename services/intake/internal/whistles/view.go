package whistles

import (
	"fmt"
	"math"

	"github.com/jackc/pgx/v5/pgtype"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/chuishao/whistle/platform/drill"
	intakev1 "github.com/chuishao/whistle/proto/gen/whistle/intake/v1"
	responsev1 "github.com/chuishao/whistle/proto/gen/whistle/response/v1"
	typesv1 "github.com/chuishao/whistle/proto/gen/whistle/types/v1"

	"github.com/chuishao/whistle/services/intake/internal/store"
)

// toProto is the read model of a stored whistle and its dispatches' snapshots.
func toProto(w store.Whistle, dispatches []store.Dispatch) (*intakev1.Whistle, error) {
	out := &intakev1.Whistle{
		Id:              w.ID,
		StreetId:        w.StreetID,
		DistrictId:      w.DistrictID,
		Category:        w.Category,
		Title:           w.Title,
		Description:     w.Description,
		Address:         w.Address,
		Location:        &typesv1.LatLng{Lat: w.Lat, Lng: w.Lng},
		Urgency:         intakev1.Whistle_Urgency(intakev1.Whistle_Urgency_value[w.Urgency]),
		Status:          intakev1.Whistle_Status(intakev1.Whistle_Status_value[w.Status]),
		RaisedAt:        timestamppb.New(w.RaisedAt),
		UpdatedAt:       timestamppb.New(w.UpdatedAt),
		ResolvedAt:      optionalTime(w.ResolvedAt),
		ClosedAt:        optionalTime(w.ClosedAt),
		Satisfaction:    w.Satisfaction,
		FeedbackComment: w.FeedbackComment,
		RaisedBy:        &typesv1.Actor{Role: w.RaisedByRole, Id: w.RaisedByID},
		MergedInto:      w.MergedInto,
		CommunityCode:   w.CommunityCode,
		CommunityName:   w.CommunityName,
		DrillId:         drill.Of(w.ID),
	}
	for _, d := range dispatches {
		var snapshot responsev1.Dispatch
		if err := proto.Unmarshal(d.Snapshot, &snapshot); err != nil {
			return nil, fmt.Errorf("dispatch %s of whistle %s: %w", d.DispatchID, w.ID, err)
		}
		out.Dispatches = append(out.Dispatches, &snapshot)
	}
	return out, nil
}

func optionalTime(t pgtype.Timestamptz) *timestamppb.Timestamp {
	if !t.Valid {
		return nil
	}
	return timestamppb.New(t.Time)
}

// publicGridDegrees is the grid public locations snap to: 0.01° is about
// 1.1 km north-south and 0.85 km east-west in Beijing, a neighbourhood
// rather than a doorstep.
const publicGridDegrees = 0.01

// coarsen snaps a point to the public grid.
func coarsen(p *typesv1.LatLng) *typesv1.LatLng { return RoundTo(p, publicGridDegrees) }

// RoundTo snaps a point to a grid of step degrees.
func RoundTo(p *typesv1.LatLng, step float64) *typesv1.LatLng {
	if p == nil {
		return nil
	}
	snap := func(v float64) float64 { return math.Round(v/step) * step }
	return &typesv1.LatLng{Lat: snap(p.GetLat()), Lng: snap(p.GetLng())}
}

// publicWhistle is what the public may know of a whistle: its category,
// street, status and times, a coarse location, and which departments answer
// by when. Not its title, description or address (the street's and often a
// resident's words), its exact point, who raised it, ratings, comments or
// anything the departments wrote.
func publicWhistle(w *intakev1.Whistle) *intakev1.Whistle {
	out := &intakev1.Whistle{
		Id: w.GetId(), StreetId: w.GetStreetId(), DistrictId: w.GetDistrictId(), Category: w.GetCategory(),
		Location: coarsen(w.GetLocation()), Urgency: w.GetUrgency(), Status: w.GetStatus(),
		RaisedAt: w.GetRaisedAt(), UpdatedAt: w.GetUpdatedAt(), ResolvedAt: w.GetResolvedAt(), ClosedAt: w.GetClosedAt(),
		MergedInto: w.GetMergedInto(),
	}
	for _, d := range w.GetDispatches() {
		out.Dispatches = append(out.Dispatches, &responsev1.Dispatch{
			Id: d.GetId(), WhistleId: d.GetWhistleId(), DistrictId: d.GetDistrictId(), StreetId: d.GetStreetId(),
			Category: d.GetCategory(), Department: d.GetDepartment(), Role: d.GetRole(), Status: d.GetStatus(),
			DispatchedAt: d.GetDispatchedAt(), Deadlines: d.GetDeadlines(),
			AcknowledgedAt: d.GetAcknowledgedAt(), ArrivedAt: d.GetArrivedAt(), ResolvedAt: d.GetResolvedAt(),
		})
	}
	return out
}
