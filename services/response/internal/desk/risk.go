package desk

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/chuishao/whistle/platform/auth"
	"github.com/chuishao/whistle/platform/drill"
	"github.com/chuishao/whistle/services/response/internal/response"
	"github.com/chuishao/whistle/services/response/internal/store"
)

// MaxRiskScope bounds the open dispatches one risk board reads: a scope with
// more is refused, asking for a district or department.
const MaxRiskScope = 50_000

// warnShare is the share of a clock's limit after which it is at risk, as
// the SLA engine's warning (sla.warning) counts it.
const warnShare = 0.8

// RiskQuery filters the risk board.
type RiskQuery struct {
	// Within: a running clock due within it is at risk (0: only the warning share).
	Within     time.Duration
	DistrictID string
	Department string
	PageSize   int
}

// RiskBoard is the risk board: the riskiest open dispatches, the most overdue
// first, and counts over every open dispatch in scope.
type RiskBoard struct {
	Dispatches             []response.Dispatch
	Open, AtRisk, Breached int
}

// RunningClock is the clock a dispatch races now (ack while pending, arrive
// once acknowledged, resolve once arrived): when it started and its
// deadline; ok is false for a dispatch with no work left. The ack clock runs
// from the dispatch, the others from the SLA start (a re-dispatch keeps the
// first), as the console shows them.
func RunningClock(d response.Dispatch) (started, due time.Time, ok bool) {
	switch d.Status {
	case response.Pending:
		return d.DispatchedAt, d.AckBy, true
	case response.Acknowledged:
		return d.SLAStartedAt, d.ArriveBy, true
	case response.Arrived:
		return d.SLAStartedAt, d.ResolveBy, true
	}
	return time.Time{}, time.Time{}, false
}

// AtRisk is the risk board of caller's scope at the service's clock. A
// district or department outside the scope finds nothing; drill dispatches
// are not on it.
func (s *Service) AtRisk(ctx context.Context, caller auth.Identity, q RiskQuery) (RiskBoard, error) {
	scope, err := s.readScope(ctx, caller)
	if err != nil {
		return RiskBoard{}, err
	}
	size, invalid := pageSize(q.PageSize, nil)
	if q.Within < 0 || q.Within > 24*time.Hour {
		invalid = append(invalid, response.FieldError{Field: "within_minutes", Reason: "must be between 0 and 1440"})
	}
	if len(invalid) > 0 {
		return RiskBoard{}, invalid
	}
	for _, narrow := range []struct {
		scoped *string
		asked  string
	}{
		{&scope.DistrictID, q.DistrictID}, {&scope.Department, q.Department},
	} {
		if narrow.asked == "" {
			continue
		}
		if *narrow.scoped != "" && *narrow.scoped != narrow.asked {
			return RiskBoard{}, nil
		}
		*narrow.scoped = narrow.asked
	}
	params := store.ListDispatchesParams{Department: scope.Department, DistrictID: scope.DistrictID, PageLimit: MaxRiskScope + 1}
	for _, st := range response.OpenStatuses {
		params.Statuses = append(params.Statuses, string(st))
	}
	rows, err := store.New(s.Pool).ListDispatches(ctx, params)
	if err != nil {
		return RiskBoard{}, fmt.Errorf("open dispatches: %w", err)
	}
	if len(rows) > MaxRiskScope {
		return RiskBoard{}, response.InvalidError{{Field: "district_id",
			Reason: fmt.Sprintf("more than %d open dispatches in scope: name a district or department", MaxRiskScope)}}
	}
	now := s.Clock.Now()
	var b RiskBoard
	var risky []response.Dispatch
	for _, row := range rows {
		if drill.Is(row.WhistleID) {
			continue // a drill's dispatches are judged in its own report, not on the live board
		}
		d, err := row.Domain()
		if err != nil {
			return RiskBoard{}, err
		}
		started, due, ok := RunningClock(d)
		if !ok {
			continue
		}
		b.Open++
		switch {
		case now.After(due):
			b.Breached++
		case !due.After(now.Add(q.Within)) || now.Sub(started) >= time.Duration(warnShare*float64(due.Sub(started))):
			b.AtRisk++
		default:
			continue
		}
		risky = append(risky, d)
	}
	slices.SortFunc(risky, func(x, y response.Dispatch) int {
		_, dx, _ := RunningClock(x)
		_, dy, _ := RunningClock(y)
		if c := dx.Compare(dy); c != 0 {
			return c
		}
		return cmp.Compare(x.ID, y.ID)
	})
	b.Dispatches = risky[:min(len(risky), size)]
	return b, nil
}
