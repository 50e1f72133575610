package grpcapi

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/chuishao/whistle/platform/auth"
	"github.com/chuishao/whistle/platform/postgres"
	"github.com/chuishao/whistle/platform/rpcerr"
	feedbackv1 "github.com/chuishao/whistle/proto/gen/whistle/feedback/v1"

	"github.com/chuishao/whistle/services/feedback/internal/feedback"
	"github.com/chuishao/whistle/services/feedback/internal/store"
)

// period is a validated report request: the district in scope and [from, to).
type period struct {
	district string
	from, to time.Time
}

// reportPeriod checks the caller and the request's district and period.
func (s *Server) reportPeriod(ctx context.Context, district string, from, to *timestamppb.Timestamp) (period, error) {
	id, ok := auth.FromContext(ctx)
	if !ok {
		return period{}, status.Error(codes.Unauthenticated, "missing identity")
	}
	d, err := feedback.ReportScope(id, district)
	if err != nil {
		return period{}, s.toStatus(ctx, err)
	}
	var v rpcerr.Violations
	if d == "" {
		v.Add("district", "is required")
	}
	if from == nil {
		v.Add("from", "is required")
	}
	if to == nil {
		v.Add("to", "is required")
	}
	p := period{district: d, from: from.AsTime(), to: to.AsTime()}
	if from != nil && to != nil {
		switch {
		case !p.to.After(p.from):
			v.Add("to", "must be after from")
		case p.to.Sub(p.from) > feedback.MaxPeriod:
			v.Add("to", "must be at most 366 days after from")
		}
	}
	if err := v.Err(); err != nil {
		return period{}, err
	}
	return p, nil
}

// GetSlaReport is GET /v1/reports/sla.
func (s *Server) GetSlaReport(ctx context.Context, req *feedbackv1.GetSlaReportRequest) (*feedbackv1.SlaReport, error) {
	p, err := s.reportPeriod(ctx, req.GetDistrict(), req.GetFrom(), req.GetTo())
	if err != nil {
		return nil, err
	}
	rep, err := s.slaReport(ctx, p)
	if err != nil {
		return nil, s.toStatus(ctx, err)
	}
	return rep, nil
}

// slaReport sums the daily roll-up over the whole days of the period and
// scans dispatch_facts only for the partial days at its edges, all in one
// snapshot.
func (s *Server) slaReport(ctx context.Context, p period) (*feedbackv1.SlaReport, error) {
	byDept := map[string]feedback.Counts{}
	err := pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		q := store.New(tx)
		scan := func(from, to time.Time) error {
			if !from.Before(to) {
				return nil
			}
			rows, err := q.SlaReport(ctx, store.SlaReportParams{DistrictID: p.district, FromAt: tstz(from), ToAt: tstz(to)})
			if err != nil {
				return err
			}
			for _, r := range rows {
				byDept[r.Department] = byDept[r.Department].Add(slaCounts(r))
			}
			return nil
		}
		days := feedback.WholeDays(p.from, p.to)
		if days.Empty() {
			return scan(p.from, p.to)
		}
		rows, err := q.SlaReportDaily(ctx, store.SlaReportDailyParams{DistrictID: p.district, FromDay: pgDate(days.First), ToDay: pgDate(days.End)})
		if err != nil {
			return err
		}
		for _, r := range rows {
			byDept[r.Department] = byDept[r.Department].Add(slaCounts(store.SlaReportRow(r)))
		}
		if err := scan(p.from, days.First); err != nil {
			return err
		}
		return scan(days.End, p.to)
	})
	if err != nil {
		return nil, fmt.Errorf("sla report of %s: %w", p.district, err)
	}
	rep := &feedbackv1.SlaReport{District: p.district, From: timestamppb.New(p.from), To: timestamppb.New(p.to)}
	var total feedback.Counts
	for _, dept := range slices.Sorted(maps.Keys(byDept)) {
		c := byDept[dept]
		total = total.Add(c)
		rep.Departments = append(rep.Departments, slaLine(dept, c))
	}
	rep.Total = slaLine("", total)
	return rep, nil
}

// pgDate is the calendar date of t (a midnight in feedback.ReportZone).
func pgDate(t time.Time) pgtype.Date {
	y, m, d := t.Date()
	return pgtype.Date{Time: time.Date(y, m, d, 0, 0, 0, 0, time.UTC), Valid: true}
}

// slaCounts copies a report row's counts.
func slaCounts(r store.SlaReportRow) feedback.Counts {
	return feedback.Counts{
		Dispatched: r.Dispatched, ResponseBase: r.ResponseBase, AckedOnTime: r.AckedOnTime,
		ArrivalBase: r.ArrivalBase, ArrivedOnTime: r.ArrivedOnTime, ResolvedOnTime: r.ResolvedOnTime,
		Returned: r.Returned, AcceptedReturns: r.AcceptedReturns, ResolutionBase: r.ResolutionBase,
		Resolved: r.Resolved, Reopened: r.Reopened, Rated: r.Rated, Satisfied: r.Satisfied,
		NotRated: r.NotRated, Breaches: r.Breaches, ExcusedBreaches: r.ExcusedBreaches,
	}
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

// CSVHeader is the header row of the exported SLA report (docs/feedback.md).
var CSVHeader = []string{
	"district", "from", "to", "department", "dispatched", "acked_on_time", "arrived_on_time",
	"resolved_on_time", "returned", "accepted_returns", "breaches", "excused_breaches", "resolved",
	"reopened", "rated", "satisfied", "not_rated", "response_rate", "arrival_rate",
	"resolution_rate", "satisfaction_rate",
}

// ExportSlaReport is the SLA report as CSV, one line per department and a
// last line "total".
func (s *Server) ExportSlaReport(ctx context.Context, req *feedbackv1.ExportSlaReportRequest) (*feedbackv1.SlaReportCsv, error) {
	p, err := s.reportPeriod(ctx, req.GetDistrict(), req.GetFrom(), req.GetTo())
	if err != nil {
		return nil, err
	}
	rep, err := s.slaReport(ctx, p)
	if err != nil {
		return nil, s.toStatus(ctx, err)
	}
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	_ = w.Write(CSVHeader)
	from, to := p.from.UTC().Format(time.RFC3339), p.to.UTC().Format(time.RFC3339)
	lines := append(rep.GetDepartments(), rep.GetTotal())
	for i, l := range lines {
		dept := l.GetDepartment()
		if i == len(lines)-1 {
			dept = "total"
		}
		_ = w.Write([]string{
			p.district, from, to, dept, itoa(l.GetDispatched()), itoa(l.GetAckedOnTime()), itoa(l.GetArrivedOnTime()),
			itoa(l.GetResolvedOnTime()), itoa(l.GetReturned()), itoa(l.GetAcceptedReturns()), itoa(l.GetBreaches()),
			itoa(l.GetExcusedBreaches()), itoa(l.GetResolved()), itoa(l.GetReopened()), itoa(l.GetRated()),
			itoa(l.GetSatisfied()), itoa(l.GetNotRated()), ftoa(l.GetResponseRate()), ftoa(l.GetArrivalRate()),
			ftoa(l.GetResolutionRate()), ftoa(l.GetSatisfactionRate()),
		})
	}
	w.Flush()
	if err := w.Error(); err != nil {
		return nil, s.toStatus(ctx, fmt.Errorf("write csv: %w", err))
	}
	return &feedbackv1.SlaReportCsv{
		Filename:    fmt.Sprintf("sla-%s-%s-%s.csv", p.district, p.from.UTC().Format("20060102T150405Z"), p.to.UTC().Format("20060102T150405Z")),
		ContentType: "text/csv; charset=utf-8",
		Csv:         buf.String(),
	}, nil
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// ftoa prints a rate with four decimals, enough for a percentage with two.
func ftoa(f float64) string { return strconv.FormatFloat(f, 'f', 4, 64) }

// GetScorecards returns the scorecards of a district's departments or
// streets, best composite first.
func (s *Server) GetScorecards(ctx context.Context, req *feedbackv1.GetScorecardsRequest) (*feedbackv1.GetScorecardsResponse, error) {
	p, err := s.reportPeriod(ctx, req.GetDistrict(), req.GetFrom(), req.GetTo())
	if err != nil {
		return nil, err
	}
	w := feedback.Weights{
		Response: req.GetWeights().GetResponse(), Arrival: req.GetWeights().GetArrival(),
		Resolution: req.GetWeights().GetResolution(), Satisfaction: req.GetWeights().GetSatisfaction(),
	}
	if err := w.Validate(); err != nil {
		return nil, rpcerr.Invalid("weights", "%s", err.Error())
	}
	if w.IsZero() {
		if w, err = s.periodWeights(ctx, p.from); err != nil {
			return nil, s.toStatus(ctx, err)
		}
	}
	resp, err := s.scorecards(ctx, p, w, req.GetGroupBy() == feedbackv1.GetScorecardsRequest_STREET)
	if err != nil {
		return nil, s.toStatus(ctx, err)
	}
	return resp, nil
}

// scorecards computes the scorecards of p grouped by department or street,
// ranked by their composite under w.
func (s *Server) scorecards(ctx context.Context, p period, w feedback.Weights, byStreet bool) (*feedbackv1.GetScorecardsResponse, error) {
	rows, err := store.New(s.pool).Scorecards(ctx, store.ScorecardsParams{
		ByStreet:   byStreet,
		DistrictID: p.district, FromAt: tstz(p.from), ToAt: tstz(p.to),
	})
	if err != nil {
		return nil, fmt.Errorf("scorecards of %s: %w", p.district, err)
	}
	cards := make([]*feedbackv1.Scorecard, 0, len(rows))
	ranked := make([]feedback.Ranked, 0, len(rows))
	for _, r := range rows {
		c := feedback.Counts{
			Dispatched: r.Dispatched, ResponseBase: r.ResponseBase, AckedOnTime: r.AckedOnTime,
			ArrivalBase: r.ArrivalBase, ArrivedOnTime: r.ArrivedOnTime, ResolvedOnTime: r.ResolvedOnTime,
			Returned: r.Returned, AcceptedReturns: r.AcceptedReturns, ResolutionBase: r.ResolutionBase,
			Resolved: r.Resolved, Reopened: r.Reopened, Rated: r.Rated, Satisfied: r.Satisfied,
			NotRated: r.NotRated, Breaches: r.Breaches, ExcusedBreaches: r.ExcusedBreaches,
		}
		composite := w.Composite(c.Rates())
		line := slaLine("", c)
		if !byStreet {
			line.Department = r.Key
		}
		cards = append(cards, &feedbackv1.Scorecard{
			Key:               r.Key,
			Sla:               line,
			BreachesLevel1:    r.BreachesLevel1,
			BreachesLevel2:    r.BreachesLevel2,
			BreachesLevel3:    r.BreachesLevel3,
			ToAcknowledge:     &feedbackv1.Durations{MedianSeconds: r.AckP50, P90Seconds: r.AckP90, Count: r.AckCount},
			ToArrive:          &feedbackv1.Durations{MedianSeconds: r.ArriveP50, P90Seconds: r.ArriveP90, Count: r.ArriveCount},
			ToResolve:         &feedbackv1.Durations{MedianSeconds: r.ResolveP50, P90Seconds: r.ResolveP90, Count: r.ResolveCount},
			Composite:         composite,
			FarArrivals:       r.FarArrivals,
			UnlocatedArrivals: r.UnlocatedArrivals,
		})
		ranked = append(ranked, feedback.Ranked{Key: r.Key, Composite: composite})
	}
	order, ranks := feedback.Rank(ranked)
	resp := &feedbackv1.GetScorecardsResponse{
		Weights: &feedbackv1.Weights{Response: w.Response, Arrival: w.Arrival, Resolution: w.Resolution, Satisfaction: w.Satisfaction},
	}
	for _, i := range order {
		cards[i].Rank = int32(ranks[i])
		resp.Scorecards = append(resp.Scorecards, cards[i])
	}
	return resp, nil
}

func tstz(t time.Time) pgtype.Timestamptz { return pgtype.Timestamptz{Time: t, Valid: true} }

// pbTime is t as a proto timestamp, nil when NULL.
func pbTime(t pgtype.Timestamptz) *timestamppb.Timestamp {
	if !t.Valid {
		return nil
	}
	return timestamppb.New(t.Time)
}

// periodWeights are the weights set for the month (Beijing time) that
// contains from, or the defaults.
func (s *Server) periodWeights(ctx context.Context, from time.Time) (feedback.Weights, error) {
	month := from.In(feedback.ReportZone).Format("2006-01")
	row, err := store.New(s.pool).GetScorecardWeights(ctx, month)
	if errors.Is(err, pgx.ErrNoRows) {
		return feedback.DefaultWeights, nil
	}
	if err != nil {
		return feedback.Weights{}, fmt.Errorf("weights of %s: %w", month, err)
	}
	return feedback.Weights{Response: row.Response, Arrival: row.Arrival, Resolution: row.Resolution, Satisfaction: row.Satisfaction}, nil
}

// SetScorecardWeights sets a month's composite weights (admin only).
func (s *Server) SetScorecardWeights(ctx context.Context, req *feedbackv1.SetScorecardWeightsRequest) (*feedbackv1.Weights, error) {
	id, ok := auth.FromContext(ctx)
	if !ok {
		return nil, status.Error(codes.Unauthenticated, "missing identity")
	}
	if id.Role != auth.RoleAdmin {
		return nil, s.toStatus(ctx, feedback.ErrWrongRole)
	}
	var v rpcerr.Violations
	if _, err := time.Parse("2006-01", req.GetMonth()); err != nil {
		v.Add("month", "must be YYYY-MM")
	}
	w := feedback.Weights{
		Response: req.GetWeights().GetResponse(), Arrival: req.GetWeights().GetArrival(),
		Resolution: req.GetWeights().GetResolution(), Satisfaction: req.GetWeights().GetSatisfaction(),
	}
	if err := w.Validate(); err != nil {
		v.Add("weights", "%s", err.Error())
	} else if w.IsZero() {
		v.Add("weights", "at least one weight must be positive")
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	// In a transaction, so that the call commits with its audit record.
	err := postgres.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		return store.New(tx).SetScorecardWeights(ctx, store.SetScorecardWeightsParams{
			Month: req.GetMonth(), Response: w.Response, Arrival: w.Arrival, Resolution: w.Resolution,
			Satisfaction: w.Satisfaction, SetBy: id.Subject, SetAt: tstz(s.clock.Now()),
		})
	})
	if err != nil {
		return nil, s.toStatus(ctx, fmt.Errorf("set weights of %s: %w", req.GetMonth(), err))
	}
	return &feedbackv1.Weights{Response: w.Response, Arrival: w.Arrival, Resolution: w.Resolution, Satisfaction: w.Satisfaction}, nil
}
