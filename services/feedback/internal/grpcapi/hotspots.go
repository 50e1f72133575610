package grpcapi

import (
	"context"
	"fmt"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/chuishao/whistle/platform/auth"
	"github.com/chuishao/whistle/platform/rpcerr"
	feedbackv1 "github.com/chuishao/whistle/proto/gen/whistle/feedback/v1"

	"github.com/chuishao/whistle/services/feedback/internal/feedback"
	"github.com/chuishao/whistle/services/feedback/internal/store"
)

// ListHotspots is 未诉先办: the category × street pairs of a district that
// keep coming back over the last 30 days, with the 30 days before for trend.
func (s *Server) ListHotspots(ctx context.Context, req *feedbackv1.ListHotspotsRequest) (*feedbackv1.ListHotspotsResponse, error) {
	id, ok := auth.FromContext(ctx)
	if !ok {
		return nil, status.Error(codes.Unauthenticated, "missing identity")
	}
	district, err := feedback.ReportScope(id, req.GetDistrict())
	if err != nil {
		return nil, s.toStatus(ctx, err)
	}
	var v rpcerr.Violations
	if district == "" {
		v.Add("district", "is required")
	}
	if req.GetLimit() < 0 || req.GetLimit() > 200 {
		v.Add("limit", "must be between 0 and 200")
	}
	if req.GetMinCount() < 0 {
		v.Add("min_count", "must not be negative")
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	at := s.clock.Now()
	if req.GetAt() != nil {
		at = req.GetAt().AsTime()
	}
	resp, err := s.hotspots(ctx, district, at, int(req.GetLimit()), int(req.GetMinCount()))
	if err != nil {
		return nil, s.toStatus(ctx, err)
	}
	return resp, nil
}

// hotspots lists the top pairs of the window of feedback.HotspotWindow ending at end.
func (s *Server) hotspots(ctx context.Context, district string, end time.Time, limit, minCount int) (*feedbackv1.ListHotspotsResponse, error) {
	if limit == 0 {
		limit = feedback.DefaultHotspotLimit
	}
	if minCount == 0 {
		minCount = feedback.DefaultHotspotMinCount
	}
	start := end.Add(-feedback.HotspotWindow)
	rows, err := store.New(s.pool).Hotspots(ctx, store.HotspotsParams{
		DistrictID: district, WindowStart: tstz(start), PreviousStart: tstz(start.Add(-feedback.HotspotWindow)),
		WindowEnd: tstz(end), MinCount: int64(minCount), MaxRows: int32(limit),
	})
	if err != nil {
		return nil, fmt.Errorf("hotspots of %s: %w", district, err)
	}
	resp := &feedbackv1.ListHotspotsResponse{WindowStart: timestamppb.New(start), WindowEnd: timestamppb.New(end)}
	for _, r := range rows {
		resp.Hotspots = append(resp.Hotspots, &feedbackv1.Hotspot{
			StreetId: r.StreetID, Category: r.Category, Count: r.Count, PreviousCount: r.PreviousCount,
			Trend: r.Count - r.PreviousCount, LastRaisedAt: timestamppb.New(r.LastRaisedAt.Time),
		})
	}
	return resp, nil
}
