package events

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"
	"google.golang.org/protobuf/proto"

	"github.com/chuishao/whistle/platform/bus/outbox"
	"github.com/chuishao/whistle/platform/clock"
	"github.com/chuishao/whistle/platform/whistlestatus"
	"github.com/chuishao/whistle/platform/worker"
	eventsv1 "github.com/chuishao/whistle/proto/gen/whistle/events/v1"
	responsev1 "github.com/chuishao/whistle/proto/gen/whistle/response/v1"
	typesv1 "github.com/chuishao/whistle/proto/gen/whistle/types/v1"

	"github.com/chuishao/whistle/services/discovery/internal/reports"
	"github.com/chuishao/whistle/services/discovery/internal/store"
)

// follow closes a whistle's linked reports with its result when it is
// resolved, takes them back in progress when it is reopened, and moves them
// along when the whistle is merged into another, in tx, after the whistle's
// facts took the event in.
func (c *Consumer) follow(ctx context.Context, tx pgx.Tx, ev *eventsv1.Event) error {
	switch ev.GetPayload().(type) {
	case *eventsv1.Event_WhistleResolved, *eventsv1.Event_WhistleReopened, *eventsv1.Event_WhistleCancelled:
	default:
		return nil
	}
	q := store.New(tx)
	linked, err := q.LockReportsOfWhistle(ctx, ev.GetWhistleId())
	if err != nil {
		return fmt.Errorf("reports of whistle %s: %w", ev.GetWhistleId(), err)
	}
	if len(linked) == 0 {
		return nil
	}
	now := c.Clock.Now().UTC().Truncate(time.Microsecond)
	at := pgtype.Timestamptz{Time: now, Valid: true}
	var result, mergedInto string
	switch p := ev.GetPayload().(type) {
	case *eventsv1.Event_WhistleResolved:
		if result, err = ResultOf(ctx, q, ev.GetWhistleId()); err != nil {
			return err
		}
	case *eventsv1.Event_WhistleCancelled:
		w, err := q.GetWhistle(ctx, ev.GetWhistleId())
		if err != nil && !errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("whistle %s: %w", ev.GetWhistleId(), err)
		}
		mergedInto = w.MergedInto
		result = "吹哨已撤回 (whistle cancelled)"
		if r := strings.TrimSpace(p.WhistleCancelled.GetReason()); r != "" {
			result += ": " + r
		}
	}
	for _, r := range linked {
		var next *eventsv1.Event
		_, reopened := ev.GetPayload().(*eventsv1.Event_WhistleReopened)
		switch {
		case reopened:
			if r.Status != string(reports.StatusClosed) {
				continue
			}
			r.Status, r.Result, r.ClosedAt = string(reports.StatusInProgress), "", pgtype.Timestamptz{}
		case mergedInto != "":
			r.WhistleID = mergedInto // the surviving whistle carries on
		default: // resolved, or cancelled for good
			if r.Status == string(reports.StatusClosed) {
				continue
			}
			r.Status, r.Result, r.ClosedAt = string(reports.StatusClosed), result, at
		}
		updated, err := q.UpdateReport(ctx, r.UpdateParams())
		if err != nil {
			return fmt.Errorf("report %s follows whistle %s: %w", r.ID, ev.GetWhistleId(), err)
		}
		pr := ReportProto(updated, now)
		switch {
		case mergedInto != "":
			next = ReportTriaged(now, System, pr)
		case updated.Status == string(reports.StatusClosed):
			next = ReportClosed(now, System, pr)
		default:
			next = ReportReopened(now, System, pr)
		}
		if err := outbox.Add(ctx, tx, next); err != nil {
			return err
		}
		if updated.Status == string(reports.StatusClosed) && mergedInto == "" {
			if err := AddTicketReturned(ctx, tx, now, System, updated); err != nil {
				return err
			}
		}
	}
	return nil
}

// AddTicketReturned writes report.ticket_returned for r if it is a ticket.
func AddTicketReturned(ctx context.Context, tx pgx.Tx, now time.Time, actor *typesv1.Actor, r store.Report) error {
	if ev := TicketReturned(now, actor, r); ev != nil {
		return outbox.Add(ctx, tx, ev)
	}
	return nil
}

// ResultOf is a whistle's result text: each department's resolution summary.
func ResultOf(ctx context.Context, q *store.Queries, whistleID string) (string, error) {
	rows, err := q.WhistleDispatches(ctx, whistleID)
	if err != nil {
		return "", fmt.Errorf("dispatches of whistle %s: %w", whistleID, err)
	}
	var parts []string
	for _, row := range rows {
		if row.Status != string(whistlestatus.DispatchResolved) {
			continue
		}
		var d responsev1.Dispatch
		if err := proto.Unmarshal(row.Snapshot, &d); err != nil {
			return "", fmt.Errorf("dispatch %s: %w", row.DispatchID, err)
		}
		if sum := strings.TrimSpace(d.GetResolutionSummary()); sum != "" {
			parts = append(parts, row.Department+": "+sum)
		}
	}
	if len(parts) == 0 {
		return "已办结 (resolved)", nil
	}
	return strings.Join(parts, "; "), nil
}

// TriageClock raises report.triage_warning at 80 % of a report's triage
// limit and report.triage_breached at the limit, for untriaged reports, and
// report.ticket_breached when a 12345 ticket's statutory limit passes before
// it closes.
type TriageClock struct {
	Pool  *pgxpool.Pool
	Clock clock.Clock
	Log   *slog.Logger
	// Every is how often it looks (on the clock); worker.DefaultPoll (30 s) when zero.
	Every time.Duration
}

// Run sweeps until ctx is cancelled: again at once after a full batch (more
// may be due), else every Every on the clock; a failed sweep is retried with
// the platform loop's backoff (the reports wait in their table meanwhile).
func (c *TriageClock) Run(ctx context.Context) error {
	loop := worker.Loop{Name: "triage clock", Log: c.Log, Clock: c.Clock, Poll: c.Every}
	return loop.Sweep(ctx, func(ctx context.Context) (bool, error) {
		n, err := c.Sweep(ctx)
		return n == sweepBatch, err
	})
}

// sweepBatch is the most warnings (and breaches) one sweep raises: the
// LIMIT of DueTriageWarnings and DueTriageBreaches.
const sweepBatch = 500

// Sweep raises the warnings and breaches due now, each in the transaction
// that marks it raised, so a report is warned and breached once. It returns
// the larger of the two counts.
func (c *TriageClock) Sweep(ctx context.Context) (int, error) {
	now := c.Clock.Now().UTC().Truncate(time.Microsecond)
	at := pgtype.Timestamptz{Time: now, Valid: true}
	n := 0
	err := pgx.BeginFunc(ctx, c.Pool, func(tx pgx.Tx) error {
		q := store.New(tx)
		warn, err := q.DueTriageWarnings(ctx, now)
		if err != nil {
			return fmt.Errorf("due triage warnings: %w", err)
		}
		for _, r := range warn {
			if !now.Before(r.TriageBy) {
				continue // breached at once: the breach says it
			}
			if err := q.MarkTriageWarned(ctx, store.MarkTriageWarnedParams{ID: r.ID, At: at}); err != nil {
				return fmt.Errorf("warn report %s: %w", r.ID, err)
			}
			if err := outbox.Add(ctx, tx, ReportTriageWarning(now, ReportProto(r, now))); err != nil {
				return err
			}
		}
		breach, err := q.DueTriageBreaches(ctx, now)
		if err != nil {
			return fmt.Errorf("due triage breaches: %w", err)
		}
		for _, r := range breach {
			if err := q.MarkTriageBreached(ctx, store.MarkTriageBreachedParams{ID: r.ID, At: at}); err != nil {
				return fmt.Errorf("breach report %s: %w", r.ID, err)
			}
			if err := outbox.Add(ctx, tx, ReportTriageBreached(now, ReportProto(r, now))); err != nil {
				return err
			}
		}
		overdue, err := q.DueTicketBreaches(ctx, now)
		if err != nil {
			return fmt.Errorf("due ticket breaches: %w", err)
		}
		n = max(len(warn), len(breach), len(overdue))
		for _, r := range overdue {
			if err := q.MarkTicketBreached(ctx, store.MarkTicketBreachedParams{ID: r.ID, At: at}); err != nil {
				return fmt.Errorf("breach ticket %s: %w", r.ID, err)
			}
			r.DueBreachedAt = at
			if err := outbox.Add(ctx, tx, ReportTicketBreached(now, ReportProto(r, now))); err != nil {
				return err
			}
		}
		return nil
	})
	return n, err
}
