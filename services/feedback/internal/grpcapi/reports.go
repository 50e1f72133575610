package grpcapi

import (
	"context"

	"google.golang.org/protobuf/types/known/timestamppb"

	feedbackv1 "github.com/chuishao/whistle/proto/gen/whistle/feedback/v1"

	"github.com/chuishao/whistle/services/feedback/internal/feedback"
	"github.com/chuishao/whistle/services/feedback/internal/reports"
)

// GetSlaReport is GET /v1/reports/sla.
func (s *Server) GetSlaReport(ctx context.Context, req *feedbackv1.GetSlaReportRequest) (*feedbackv1.SlaReport, error) {
	rep, err := s.slaReport(ctx, req.GetDistrict(), req.GetFrom(), req.GetTo())
	if err != nil {
		return nil, err
	}
	out := &feedbackv1.SlaReport{District: rep.District, From: timestamppb.New(rep.From), To: timestamppb.New(rep.To), Total: slaLine("", rep.Total.Counts)}
	for _, l := range rep.Departments {
		out.Departments = append(out.Departments, slaLine(l.Department, l.Counts))
	}
	return out, nil
}

// ExportSlaReport is the SLA report as CSV, one line per department and a
// last line "total".
func (s *Server) ExportSlaReport(ctx context.Context, req *feedbackv1.ExportSlaReportRequest) (*feedbackv1.SlaReportCsv, error) {
	rep, err := s.slaReport(ctx, req.GetDistrict(), req.GetFrom(), req.GetTo())
	if err != nil {
		return nil, err
	}
	name, body, err := rep.CSV()
	if err != nil {
		return nil, s.toStatus(ctx, err)
	}
	return &feedbackv1.SlaReportCsv{Filename: name, ContentType: "text/csv; charset=utf-8", Csv: body}, nil
}

// slaReport is the caller's SLA report of a district and period (errors are
// status errors).
func (s *Server) slaReport(ctx context.Context, district string, from, to *timestamppb.Timestamp) (reports.SlaReport, error) {
	id, err := caller(ctx)
	if err != nil {
		return reports.SlaReport{}, err
	}
	rep, err := s.Reports.SlaReport(ctx, id, district, asTime(from), asTime(to))
	if err != nil {
		return reports.SlaReport{}, s.toStatus(ctx, err)
	}
	return rep, nil
}

func slaLine(department string, c feedback.Counts) *feedbackv1.DepartmentSla {
	r := c.Rates()
	return &feedbackv1.DepartmentSla{
		Department:       department,
		Dispatched:       c.Dispatched,
		AckedOnTime:      c.AckedOnTime,
		ArrivedOnTime:    c.ArrivedOnTime,
		ResolvedOnTime:   c.ResolvedOnTime,
		Returned:         c.Returned,
		AcceptedReturns:  c.AcceptedReturns,
		Breaches:         c.Breaches,
		Resolved:         c.Resolved,
		Rated:            c.Rated,
		Satisfied:        c.Satisfied,
		NotRated:         c.NotRated,
		ResponseRate:     r.Response,
		ArrivalRate:      r.Arrival,
		ResolutionRate:   r.Resolution,
		SatisfactionRate: r.Satisfaction,
		ExcusedBreaches:  c.ExcusedBreaches,
		Reopened:         c.Reopened,
	}
}

// GetScorecards returns the scorecards of a district's departments or
// streets, best composite first.
func (s *Server) GetScorecards(ctx context.Context, req *feedbackv1.GetScorecardsRequest) (*feedbackv1.GetScorecardsResponse, error) {
	id, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	cards, err := s.Reports.Scorecards(ctx, id, req.GetDistrict(), asTime(req.GetFrom()), asTime(req.GetTo()),
		weightsOf(req.GetWeights()), req.GetGroupBy() == feedbackv1.GetScorecardsRequest_STREET)
	if err != nil {
		return nil, s.toStatus(ctx, err)
	}
	resp := &feedbackv1.GetScorecardsResponse{Weights: weightsProto(cards.Weights)}
	for _, c := range cards.Cards {
		line := slaLine("", c.Counts)
		if !cards.ByStreet {
			line.Department = c.Key
		}
		resp.Scorecards = append(resp.Scorecards, &feedbackv1.Scorecard{
			Key:               c.Key,
			Sla:               line,
			BreachesLevel1:    c.BreachesLevel1,
			BreachesLevel2:    c.BreachesLevel2,
			BreachesLevel3:    c.BreachesLevel3,
			ToAcknowledge:     durationsProto(c.ToAcknowledge),
			ToArrive:          durationsProto(c.ToArrive),
			ToResolve:         durationsProto(c.ToResolve),
			Composite:         c.Composite,
			Rank:              int32(c.Rank),
			FarArrivals:       c.FarArrivals,
			UnlocatedArrivals: c.UnlocatedArrivals,
		})
	}
	return resp, nil
}

func durationsProto(d reports.Durations) *feedbackv1.Durations {
	return &feedbackv1.Durations{MedianSeconds: d.MedianSeconds, P90Seconds: d.P90Seconds, Count: d.Count}
}

func weightsOf(w *feedbackv1.Weights) feedback.Weights {
	return feedback.Weights{Response: w.GetResponse(), Arrival: w.GetArrival(), Resolution: w.GetResolution(), Satisfaction: w.GetSatisfaction()}
}

func weightsProto(w feedback.Weights) *feedbackv1.Weights {
	return &feedbackv1.Weights{Response: w.Response, Arrival: w.Arrival, Resolution: w.Resolution, Satisfaction: w.Satisfaction}
}

// SetScorecardWeights sets a month's composite weights (admin only).
func (s *Server) SetScorecardWeights(ctx context.Context, req *feedbackv1.SetScorecardWeightsRequest) (*feedbackv1.Weights, error) {
	id, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	w := weightsOf(req.GetWeights())
	if err := s.Reports.SetWeights(ctx, id, req.GetMonth(), w); err != nil {
		return nil, s.toStatus(ctx, err)
	}
	return weightsProto(w), nil
}

// ListHotspots is 未诉先办: the category × street pairs of a district that
// keep coming back over the last 30 days, with the 30 days before for trend.
func (s *Server) ListHotspots(ctx context.Context, req *feedbackv1.ListHotspotsRequest) (*feedbackv1.ListHotspotsResponse, error) {
	id, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	q := reports.HotspotQuery{District: req.GetDistrict(), Limit: int(req.GetLimit()), MinCount: int(req.GetMinCount())}
	if req.GetAt() != nil {
		q.At = req.GetAt().AsTime()
	}
	h, err := s.Reports.Hotspots(ctx, id, q)
	if err != nil {
		return nil, s.toStatus(ctx, err)
	}
	resp := &feedbackv1.ListHotspotsResponse{WindowStart: timestamppb.New(h.WindowStart), WindowEnd: timestamppb.New(h.WindowEnd)}
	for _, r := range h.Hotspots {
		resp.Hotspots = append(resp.Hotspots, &feedbackv1.Hotspot{
			StreetId: r.StreetID, Category: r.Category, Count: r.Count, PreviousCount: r.PreviousCount,
			Trend: r.Trend(), LastRaisedAt: timestamppb.New(r.LastRaisedAt),
		})
	}
	return resp, nil
}

// AnalyzeHotspots is 未诉先办 over whistles, reports and 12345 tickets: per
// street × category × Beijing month of the period, with each month's change
// and the top pairs, in the caller's scope.
func (s *Server) AnalyzeHotspots(ctx context.Context, req *feedbackv1.AnalyzeHotspotsRequest) (*feedbackv1.HotspotAnalysis, error) {
	id, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	a, err := s.Reports.AnalyzeHotspots(ctx, id, reports.AnalysisQuery{
		District: req.GetDistrict(), Street: req.GetStreet(), Category: req.GetCategory(),
		FromMonth: req.GetFromMonth(), ToMonth: req.GetToMonth(),
		Limit: int(req.GetLimit()), MinTotal: int(req.GetMinTotal()), Order: req.GetOrderBy(),
	})
	if err != nil {
		return nil, s.toStatus(ctx, err)
	}
	resp := &feedbackv1.HotspotAnalysis{Months: a.Months, PairCount: int64(a.PairCount), District: a.District, Street: a.Street}
	for _, m := range a.Series {
		resp.Series = append(resp.Series, monthProto(m))
	}
	for _, p := range a.Pairs {
		pb := &feedbackv1.HotspotPair{
			DistrictId: p.District, StreetId: p.Street, StreetName: a.StreetNames[p.Street],
			Category: p.Category, CategoryName: a.CategoryNames[p.Category],
			Whistles: p.Sum.Whistles, Reports: p.Sum.Reports, Tickets: p.Sum.Tickets, Total: p.Sum.Total,
			Last: p.Last, Previous: p.Previous, Change: p.Change,
		}
		for _, m := range p.Months {
			pb.Months = append(pb.Months, monthProto(m))
		}
		resp.Pairs = append(resp.Pairs, pb)
	}
	return resp, nil
}

func monthProto(m feedback.MonthCounts) *feedbackv1.HotspotMonth {
	return &feedbackv1.HotspotMonth{Month: m.Month, Whistles: m.Whistles, Reports: m.Reports, Tickets: m.Tickets, Total: m.Total, Change: m.Change}
}

// GetDrillReport is GET /v1/drills/{drill_id}/report: a drill's on-time
// rates next to the real ones of the period it replayed, for the district's
// supervisor or an admin.
func (s *Server) GetDrillReport(ctx context.Context, req *feedbackv1.GetDrillReportRequest) (*feedbackv1.DrillReport, error) {
	id, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	group := reports.ByDepartment
	switch {
	case req.GetByCategory():
		group = reports.ByCategory
	case req.GetGroupBy() == feedbackv1.GetScorecardsRequest_STREET:
		group = reports.ByStreet
	}
	d, err := s.Reports.DrillReport(ctx, id, reports.DrillQuery{
		DrillID: req.GetDrillId(), District: req.GetDistrict(),
		RealFrom: asTime(req.GetRealFrom()), RealTo: asTime(req.GetRealTo()), GroupBy: group,
	})
	if err != nil {
		return nil, s.toStatus(ctx, err)
	}
	out := &feedbackv1.DrillReport{
		DrillId: d.DrillID, District: d.District, RealFrom: timestamppb.New(d.RealFrom), RealTo: timestamppb.New(d.RealTo),
		GroupBy: d.GroupBy, Total: drillRowProto(d.Total),
	}
	for _, r := range d.Rows {
		out.Rows = append(out.Rows, drillRowProto(r))
	}
	return out, nil
}

func drillRowProto(r reports.DrillRow) *feedbackv1.DrillReportRow {
	return &feedbackv1.DrillReportRow{Key: r.Key, Drill: onTimeProto(r.Drill), Real: onTimeProto(r.Real)}
}

func onTimeProto(o feedback.OnTime) *feedbackv1.OnTime {
	ack, arrive, resolve := o.Rates()
	return &feedbackv1.OnTime{
		Dispatched: o.Dispatched, AckedOnTime: o.AckedOnTime, ArrivalBase: o.ArrivalBase, ArrivedOnTime: o.ArrivedOnTime,
		ResolvedOnTime: o.ResolvedOnTime, AckRate: ack, ArriveRate: arrive, ResolveRate: resolve,
	}
}

// GetMonthlyScorecard renders the district's 治理成绩单 for a month as one
// printable HTML page.
func (s *Server) GetMonthlyScorecard(ctx context.Context, req *feedbackv1.GetMonthlyScorecardRequest) (*feedbackv1.MonthlyScorecard, error) {
	id, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	html, err := s.Reports.MonthlyScorecard(ctx, id, req.GetDistrict(), req.GetMonth())
	if err != nil {
		return nil, s.toStatus(ctx, err)
	}
	return &feedbackv1.MonthlyScorecard{ContentType: "text/html; charset=utf-8", Html: html}, nil
}
