package grpcapi

import (
	"context"
	"fmt"
	"slices"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/chuishao/whistle/platform/auth"
	"github.com/chuishao/whistle/platform/drill"
	"github.com/chuishao/whistle/platform/rpcerr"
	feedbackv1 "github.com/chuishao/whistle/proto/gen/whistle/feedback/v1"

	"github.com/chuishao/whistle/services/feedback/internal/feedback"
	"github.com/chuishao/whistle/services/feedback/internal/store"
)

// GetDrillReport is GET /v1/drills/{drill_id}/report: a drill's on-time
// rates next to the real ones of the period it replayed, for the district's
// supervisor or an admin.
func (s *Server) GetDrillReport(ctx context.Context, req *feedbackv1.GetDrillReportRequest) (*feedbackv1.DrillReport, error) {
	id, ok := auth.FromContext(ctx)
	if !ok {
		return nil, status.Error(codes.Unauthenticated, "missing identity")
	}
	district, err := feedback.ReportScope(id, req.GetDistrict())
	if err != nil {
		return nil, s.toStatus(ctx, err)
	}
	var v rpcerr.Violations
	if err := drill.Validate(req.GetDrillId()); err != nil {
		v.Add("drill_id", "%s", err)
	}
	if district == "" {
		v.Add("district", "is required")
	}
	from, to := req.GetRealFrom(), req.GetRealTo()
	switch {
	case from == nil:
		v.Add("real_from", "is required")
	case to == nil:
		v.Add("real_to", "is required")
	case !to.AsTime().After(from.AsTime()):
		v.Add("real_to", "must be after real_from")
	case to.AsTime().Sub(from.AsTime()) > feedback.MaxPeriod:
		v.Add("real_to", "must be at most 366 days after real_from")
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	group := "DEPARTMENT"
	switch {
	case req.GetByCategory():
		group = "CATEGORY"
	case req.GetGroupBy() == feedbackv1.GetScorecardsRequest_STREET:
		group = "STREET"
	}
	rows, err := store.New(s.pool).DrillOnTime(ctx, store.DrillOnTimeParams{
		GroupBy: group, DrillID: req.GetDrillId(), DistrictID: district, RealFrom: tstz(from.AsTime()), RealTo: tstz(to.AsTime()),
	})
	if err != nil {
		return nil, s.toStatus(ctx, fmt.Errorf("drill report %s of %s: %w", req.GetDrillId(), district, err))
	}
	type pair struct{ drill, real feedback.OnTime }
	byKey := map[string]pair{}
	var total pair
	for _, r := range rows {
		o := feedback.OnTime{Dispatched: r.Dispatched, AckedOnTime: r.AckedOnTime, ArrivalBase: r.ArrivalBase,
			ArrivedOnTime: r.ArrivedOnTime, ResolvedOnTime: r.ResolvedOnTime}
		p := byKey[r.Key]
		if r.Drill {
			p.drill, total.drill = o, total.drill.Add(o)
		} else {
			p.real, total.real = o, total.real.Add(o)
		}
		byKey[r.Key] = p
	}
	out := &feedbackv1.DrillReport{
		DrillId: req.GetDrillId(), District: district, RealFrom: from, RealTo: to, GroupBy: group,
		Total: &feedbackv1.DrillReportRow{Key: "total", Drill: onTimeProto(total.drill), Real: onTimeProto(total.real)},
	}
	keys := make([]string, 0, len(byKey))
	for k := range byKey {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		out.Rows = append(out.Rows, &feedbackv1.DrillReportRow{Key: k, Drill: onTimeProto(byKey[k].drill), Real: onTimeProto(byKey[k].real)})
	}
	return out, nil
}

func onTimeProto(o feedback.OnTime) *feedbackv1.OnTime {
	ack, arrive, resolve := o.Rates()
	return &feedbackv1.OnTime{
		Dispatched: o.Dispatched, AckedOnTime: o.AckedOnTime, ArrivalBase: o.ArrivalBase, ArrivedOnTime: o.ArrivedOnTime,
		ResolvedOnTime: o.ResolvedOnTime, AckRate: ack, ArriveRate: arrive, ResolveRate: resolve,
	}
}
