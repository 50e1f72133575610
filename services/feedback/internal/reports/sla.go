package reports

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/chuishao/whistle/platform/auth"

	"github.com/chuishao/whistle/services/feedback/internal/feedback"
	"github.com/chuishao/whistle/services/feedback/internal/store"
)

// Line is the SLA counts of one department ("" for the total).
type Line struct {
	Department string
	feedback.Counts
}

// SlaReport is a district's SLA counts per department over a period.
type SlaReport struct {
	Period
	// Departments are in department order.
	Departments []Line
	Total       Line
}

// SlaReport is the SLA report of the district and period the caller names
// (from and to nil when the request leaves them out).
func (s *Service) SlaReport(ctx context.Context, caller auth.Identity, district string, from, to *time.Time) (SlaReport, error) {
	p, err := period(caller, district, from, to)
	if err != nil {
		return SlaReport{}, err
	}
	return s.slaReport(ctx, p)
}

// slaReport sums the daily roll-up over the whole days of the period and
// scans dispatch_facts only for the partial days at its edges, all in one
// snapshot.
func (s *Service) slaReport(ctx context.Context, p Period) (SlaReport, error) {
	byDept := map[string]feedback.Counts{}
	err := pgx.BeginTxFunc(ctx, s.Pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		q := store.New(tx)
		scan := func(from, to time.Time) error {
			if !from.Before(to) {
				return nil
			}
			rows, err := q.SlaReport(ctx, store.SlaReportParams{DistrictID: p.District, FromAt: tstz(from), ToAt: tstz(to)})
			if err != nil {
				return err
			}
			for _, r := range rows {
				byDept[r.Department] = byDept[r.Department].Add(slaCounts(r))
			}
			return nil
		}
		days := feedback.WholeDays(p.From, p.To)
		if days.Empty() {
			return scan(p.From, p.To)
		}
		rows, err := q.SlaReportDaily(ctx, store.SlaReportDailyParams{DistrictID: p.District, FromDay: pgDate(days.First), ToDay: pgDate(days.End)})
		if err != nil {
			return err
		}
		for _, r := range rows {
			byDept[r.Department] = byDept[r.Department].Add(slaCounts(store.SlaReportRow(r)))
		}
		if err := scan(p.From, days.First); err != nil {
			return err
		}
		return scan(days.End, p.To)
	})
	if err != nil {
		return SlaReport{}, fmt.Errorf("sla report of %s: %w", p.District, err)
	}
	rep := SlaReport{Period: p}
	for _, dept := range slices.Sorted(maps.Keys(byDept)) {
		c := byDept[dept]
		rep.Total.Counts = rep.Total.Add(c)
		rep.Departments = append(rep.Departments, Line{Department: dept, Counts: c})
	}
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

// CSVHeader is the header row of the exported SLA report (docs/feedback.md).
var CSVHeader = []string{
	"district", "from", "to", "department", "dispatched", "acked_on_time", "arrived_on_time",
	"resolved_on_time", "returned", "accepted_returns", "breaches", "excused_breaches", "resolved",
	"reopened", "rated", "satisfied", "not_rated", "response_rate", "arrival_rate",
	"resolution_rate", "satisfaction_rate",
}

// CSV is rep as a CSV file, one line per department and a last line
// "total", and the file's name.
func (rep SlaReport) CSV() (filename, body string, err error) {
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	_ = w.Write(CSVHeader)
	from, to := rep.From.UTC().Format(time.RFC3339), rep.To.UTC().Format(time.RFC3339)
	total := rep.Total
	total.Department = "total"
	for _, l := range append(slices.Clone(rep.Departments), total) {
		r := l.Rates()
		_ = w.Write([]string{
			rep.District, from, to, l.Department, itoa(l.Dispatched), itoa(l.AckedOnTime), itoa(l.ArrivedOnTime),
			itoa(l.ResolvedOnTime), itoa(l.Returned), itoa(l.AcceptedReturns), itoa(l.Breaches),
			itoa(l.ExcusedBreaches), itoa(l.Resolved), itoa(l.Reopened), itoa(l.Rated),
			itoa(l.Satisfied), itoa(l.NotRated), ftoa(r.Response), ftoa(r.Arrival),
			ftoa(r.Resolution), ftoa(r.Satisfaction),
		})
	}
	w.Flush()
	if err := w.Error(); err != nil {
		return "", "", fmt.Errorf("write csv: %w", err)
	}
	filename = fmt.Sprintf("sla-%s-%s-%s.csv", rep.District, rep.From.UTC().Format("20060102T150405Z"), rep.To.UTC().Format("20060102T150405Z"))
	return filename, buf.String(), nil
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// ftoa prints a rate with four decimals, enough for a percentage with two.
func ftoa(f float64) string { return strconv.FormatFloat(f, 'f', 4, 64) }
