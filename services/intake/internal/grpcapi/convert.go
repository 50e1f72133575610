package grpcapi

import (
	"fmt"

	"github.com/jackc/pgx/v5/pgtype"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/chuishao/whistle/platform/drill"
	intakev1 "github.com/chuishao/whistle/proto/gen/whistle/intake/v1"
	responsev1 "github.com/chuishao/whistle/proto/gen/whistle/response/v1"
	typesv1 "github.com/chuishao/whistle/proto/gen/whistle/types/v1"

	"github.com/chuishao/whistle/services/intake/internal/store"
)

// toProto is the API's view of a stored whistle and its dispatches' snapshots.
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
