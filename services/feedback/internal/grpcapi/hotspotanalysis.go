package grpcapi

import (
	"context"
	"fmt"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/chuishao/whistle/platform/auth"
	"github.com/chuishao/whistle/platform/rpcerr"
	feedbackv1 "github.com/chuishao/whistle/proto/gen/whistle/feedback/v1"

	"github.com/chuishao/whistle/services/feedback/internal/feedback"
	"github.com/chuishao/whistle/services/feedback/internal/store"
)

// AnalyzeHotspots is 未诉先办 over whistles, reports and 12345 tickets: per
// street × category × Beijing month of the period, with each month's change
// and the top pairs, in the caller's scope.
func (s *Server) AnalyzeHotspots(ctx context.Context, req *feedbackv1.AnalyzeHotspotsRequest) (*feedbackv1.HotspotAnalysis, error) {
	id, ok := auth.FromContext(ctx)
	if !ok {
		return nil, status.Error(codes.Unauthenticated, "missing identity")
	}
	district, street, err := feedback.HotspotScope(id, req.GetDistrict(), req.GetStreet())
	if err != nil {
		return nil, s.toStatus(ctx, err)
	}
	var v rpcerr.Violations
	months, from, to, field, perr := feedback.HotspotMonths(req.GetFromMonth(), req.GetToMonth(), s.clock.Now())
	if perr != nil {
		v.Add(field, "%s", perr.Error())
	}
	if req.GetLimit() < 0 || req.GetLimit() > feedback.MaxHotspotPairs {
		v.Add("limit", "must be between 0 and %d", feedback.MaxHotspotPairs)
	}
	if req.GetMinTotal() < 0 {
		v.Add("min_total", "must not be negative")
	}
	order := req.GetOrderBy()
	switch order {
	case "":
		order = feedback.HotspotOrderTotal
	case feedback.HotspotOrderTotal, feedback.HotspotOrderRising:
	default:
		v.Add("order_by", "must be TOTAL or RISING")
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	rows, err := store.New(s.pool).HotspotMonthCounts(ctx, store.HotspotMonthCountsParams{
		DistrictID: district, StreetID: street, Category: req.GetCategory(), FromAt: tstz(from), ToAt: tstz(to),
	})
	if err != nil {
		return nil, s.toStatus(ctx, fmt.Errorf("hotspot counts of %q/%q: %w", district, street, err))
	}
	counts := make([]feedback.HotspotCount, len(rows))
	for i, r := range rows {
		counts[i] = feedback.HotspotCount{
			District: r.DistrictID, Street: r.StreetID, Category: r.Category, Month: r.Month,
			Whistles: r.Whistles, Reports: r.Reports, Tickets: r.Tickets, Total: r.Counted,
		}
	}
	limit := int(req.GetLimit())
	if limit == 0 {
		limit = feedback.DefaultHotspotPairs
	}
	a := feedback.AnalyzeHotspots(months, counts, order, int(req.GetMinTotal()), limit)
	resp := &feedbackv1.HotspotAnalysis{Months: months, PairCount: int64(a.PairCount), District: district, Street: street}
	for _, m := range a.Series {
		resp.Series = append(resp.Series, monthPB(m))
	}
	names := s.nameBook()
	for _, p := range a.Pairs {
		pb := &feedbackv1.HotspotPair{
			DistrictId: p.District, StreetId: p.Street, StreetName: names.street(ctx, p.Street),
			Category: p.Category, CategoryName: names.category(ctx, p.Category),
			Whistles: p.Sum.Whistles, Reports: p.Sum.Reports, Tickets: p.Sum.Tickets, Total: p.Sum.Total,
			Last: p.Last, Previous: p.Previous, Change: p.Change,
		}
		for _, m := range p.Months {
			pb.Months = append(pb.Months, monthPB(m))
		}
		resp.Pairs = append(resp.Pairs, pb)
	}
	return resp, nil
}

func monthPB(m feedback.MonthCounts) *feedbackv1.HotspotMonth {
	return &feedbackv1.HotspotMonth{Month: m.Month, Whistles: m.Whistles, Reports: m.Reports, Tickets: m.Tickets, Total: m.Total, Change: m.Change}
}
