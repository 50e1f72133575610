package events_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/chuishao/whistle/platform/bus"
	"github.com/chuishao/whistle/platform/clock"
	"github.com/chuishao/whistle/platform/postgres/pgtest"
	protoevents "github.com/chuishao/whistle/proto/events"
	eventsv1 "github.com/chuishao/whistle/proto/gen/whistle/events/v1"
	intakev1 "github.com/chuishao/whistle/proto/gen/whistle/intake/v1"
	responsev1 "github.com/chuishao/whistle/proto/gen/whistle/response/v1"
	typesv1 "github.com/chuishao/whistle/proto/gen/whistle/types/v1"

	"github.com/chuishao/whistle/services/discovery/internal/events"
	"github.com/chuishao/whistle/services/discovery/migrations"
)

var t0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

// setup is a fresh discovery schema holding the whistles old, into and
// linked (RAISED), a report in progress linked to linked and one to old, and a pool whose
// statements are counted.
func setup(t *testing.T) (*pgxpool.Pool, *pgtest.Statements) {
	t.Helper()
	url := pgtest.NewDatabaseFrom(t, "discovery_events", pgtest.Migrated("discovery", bus.Migrations, migrations.Set))
	pool, count := pgtest.CountedPool(t, url, "discovery")
	_, err := pool.Exec(t.Context(), `INSERT INTO whistles (id, street_id, district_id, category, status, raised_at)
		SELECT id, '110101001', '110101', 'noise', 'RAISED', $2 FROM unnest($1::text[]) AS id`,
		[]string{"old", "into", "linked"}, t0)
	require.NoError(t, err)
	_, err = pool.Exec(t.Context(), `INSERT INTO reports (id, source, street_id, district_id, category, description, lat, lng,
		status, whistle_id, received_at, triage_from, triage_by, reported_by_role, reported_by_id)
		VALUES ('r1', 'GRID', '110101001', '110101', 'noise', 'loud', 39.9, 116.4, 'IN_PROGRESS', 'linked', $1, $1, $1, 'grid', 'g1'),
		       ('r2', 'GRID', '110101001', '110101', 'noise', 'loud', 39.9, 116.4, 'IN_PROGRESS', 'old', $1, $1, $1, 'grid', 'g1')`, t0)
	require.NoError(t, err)
	return pool, count
}

func event(whistleID string, m int, payload func(*eventsv1.Event)) *eventsv1.Event {
	ev := protoevents.New(t0.Add(time.Duration(m)*time.Minute), &typesv1.Actor{Role: "system", Id: "test"})
	ev.WhistleId, ev.DistrictId, ev.StreetId = whistleID, "110101", "110101001"
	payload(ev)
	return ev
}

func raised(id string, m int) *eventsv1.Event {
	return event(id, m, func(ev *eventsv1.Event) {
		ev.Payload = &eventsv1.Event_WhistleRaised{WhistleRaised: &eventsv1.WhistleRaised{Whistle: &intakev1.Whistle{
			Id: id, StreetId: "110101001", DistrictId: "110101", Category: "noise", Status: intakev1.Whistle_RAISED,
			RaisedAt: timestamppb.New(ev.GetOccurredAt().AsTime())}}}
	})
}

func routed(id string, m int) *eventsv1.Event {
	return event(id, m, func(ev *eventsv1.Event) {
		ev.Payload = &eventsv1.Event_WhistleRouted{WhistleRouted: &eventsv1.WhistleRouted{}}
	})
}

func responding(id string, m int) *eventsv1.Event {
	return event(id, m, func(ev *eventsv1.Event) {
		ev.Payload = &eventsv1.Event_WhistleResponding{WhistleResponding: &eventsv1.WhistleResponding{}}
	})
}

func resolved(id string, m int) *eventsv1.Event {
	return event(id, m, func(ev *eventsv1.Event) {
		ev.Payload = &eventsv1.Event_WhistleResolved{WhistleResolved: &eventsv1.WhistleResolved{}}
	})
}

func cancelled(id string, m int) *eventsv1.Event {
	return event(id, m, func(ev *eventsv1.Event) {
		ev.Payload = &eventsv1.Event_WhistleCancelled{WhistleCancelled: &eventsv1.WhistleCancelled{Reason: "merged"}}
	})
}

// merged are the two events of merging merged into into, one on each whistle.
func merged(merged, into string, m int) []*eventsv1.Event {
	var out []*eventsv1.Event
	for _, on := range []string{merged, into} {
		out = append(out, event(on, m, func(ev *eventsv1.Event) {
			ev.Payload = &eventsv1.Event_WhistleMerged{WhistleMerged: &eventsv1.WhistleMerged{IntoWhistleId: into, MergedWhistleId: merged}}
		}))
	}
	return out
}

// step is a snapshot of whistleID's dispatch to department, stamped minute m.
func step(whistleID, department string, status responsev1.Dispatch_Status, m int) *eventsv1.Event {
	return event(whistleID, m, func(ev *eventsv1.Event) {
		at := ev.GetOccurredAt()
		ev.DispatchId, ev.Department = whistleID+"-"+department, department
		d := &responsev1.Dispatch{Id: ev.DispatchId, WhistleId: whistleID, Department: department, Status: status, UpdatedAt: at}
		switch status {
		case responsev1.Dispatch_PENDING:
			ev.Payload = &eventsv1.Event_DispatchCreated{DispatchCreated: &eventsv1.DispatchCreated{Dispatch: d}}
		case responsev1.Dispatch_ACKNOWLEDGED:
			ev.Payload = &eventsv1.Event_DispatchAcknowledged{DispatchAcknowledged: &eventsv1.DispatchAcknowledged{Dispatch: d}}
		default:
			d.ResolutionSummary = "已清理 (cleaned)"
			ev.Payload = &eventsv1.Event_DispatchResolved{DispatchResolved: &eventsv1.DispatchResolved{Dispatch: d}}
		}
	})
}

// stream is a batch with a raise and its moves, status events before a raise
// and of an unknown whistle, a dispatch's snapshots out of order (and two
// stamped alike), a merge, a redelivered raise, and a whistle with a linked
// report resolved.
func stream() []*eventsv1.Event {
	evs := []*eventsv1.Event{
		raised("w1", 0), routed("w1", 1), responding("w1", 2),
		step("w1", "sanitation", responsev1.Dispatch_ACKNOWLEDGED, 2),
		step("w1", "sanitation", responsev1.Dispatch_PENDING, 1),
		step("w1", "sanitation", responsev1.Dispatch_RESOLVED, 3),
		step("w1", "police", responsev1.Dispatch_RESOLVED, 3),
		step("w1", "police", responsev1.Dispatch_ACKNOWLEDGED, 3),
		resolved("w1", 4),
		routed("w2", 0), raised("w2", 1),
		routed("unknown", 0),
		raised("old", 5),
		step("linked", "sanitation", responsev1.Dispatch_RESOLVED, 1),
		responding("linked", 1), resolved("linked", 2),
	}
	evs = append(evs, merged("old", "into", 6)...)
	return append(evs, cancelled("old", 6), routed("into", 7), resolved("into", 8))
}

// facts is what a user of discovery's data sees: the whistles, the
// dispatches, the reports and the events written.
func facts(t *testing.T, pool *pgxpool.Pool) []string {
	t.Helper()
	var out []string
	for _, q := range []string{
		`SELECT concat_ws('|', id, street_id, district_id, category, status, raised_at, resolved_at, merged_into) FROM whistles ORDER BY id`,
		`SELECT concat_ws('|', dispatch_id, whistle_id, department, status, status_rank, md5(snapshot), updated_at) FROM whistle_dispatches ORDER BY dispatch_id`,
		`SELECT concat_ws('|', id, status, whistle_id, result, closed_at) FROM reports ORDER BY id`,
		`SELECT subject FROM outbox ORDER BY id`,
	} {
		rows, err := pool.Query(t.Context(), q)
		require.NoError(t, err)
		got, err := pgx.CollectRows(rows, pgx.RowTo[string])
		require.NoError(t, err)
		out = append(out, got...)
	}
	return out
}

func TestBatchKeepsTheFactsOfEventsOneByOne(t *testing.T) {
	c := &events.Consumer{Clock: clock.NewFake(t0.Add(time.Hour))}
	one, _ := setup(t)
	for _, ev := range stream() {
		require.NoError(t, pgx.BeginFunc(t.Context(), one, func(tx pgx.Tx) error { return c.Handle(t.Context(), tx, ev) }))
	}
	batch, _ := setup(t)
	require.NoError(t, pgx.BeginFunc(t.Context(), batch, func(tx pgx.Tx) error { return c.HandleBatch(t.Context(), tx, stream()) }))

	want := facts(t, one)
	require.Equal(t, want, facts(t, batch))
	require.Contains(t, want, "w1|110101001|110101|noise|RESOLVED|2026-03-02 09:00:00+00|2026-03-02 09:04:00+00|")
	require.Contains(t, want, "w2|110101001|110101|noise|RAISED|2026-03-02 09:01:00+00|")
	require.Contains(t, want, "old|110101001|110101|noise|CANCELLED|2026-03-02 09:00:00+00|into")
	require.Contains(t, want, "r1|CLOSED|linked|sanitation: 已清理 (cleaned)|2026-03-02 10:00:00+00")
	require.Contains(t, want, "r2|CLOSED|into|已办结 (resolved)|2026-03-02 10:00:00+00")
}

// statements is the number of statements HandleBatch sends for evs.
func statements(t *testing.T, evs []*eventsv1.Event) int64 {
	t.Helper()
	pool, count := setup(t)
	c := &events.Consumer{Clock: clock.NewFake(t0)}
	var n int64
	require.NoError(t, pgx.BeginFunc(t.Context(), pool, func(tx pgx.Tx) error {
		before := count.Count()
		err := c.HandleBatch(context.Background(), tx, evs)
		n = count.Count() - before
		return err
	}))
	return n
}

func TestBatchStatementsDoNotGrowWithTheBatch(t *testing.T) {
	batch := func(n int) []*eventsv1.Event {
		var evs []*eventsv1.Event
		for i := range n {
			id := fmt.Sprintf("w%d", i)
			evs = append(evs, raised(id, 0), routed(id, 1), responding(id, 2),
				step(id, "sanitation", responsev1.Dispatch_PENDING, 1),
				step(id, "sanitation", responsev1.Dispatch_RESOLVED, 3), resolved(id, 4))
		}
		evs = append(evs, merged("into", "w0", 6)...)
		return append(evs, cancelled("into", 6))
	}
	small, large := statements(t, batch(2)), statements(t, batch(100))
	require.Equal(t, small, large)
	require.LessOrEqual(t, large, int64(5))
}
