package events_test

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jonboulle/clockwork"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/chuishao/whistle/platform/postgres"
	"github.com/chuishao/whistle/platform/postgres/pgtest"
	"github.com/chuishao/whistle/proto/events"
	eventsv1 "github.com/chuishao/whistle/proto/gen/whistle/events/v1"
	intakev1 "github.com/chuishao/whistle/proto/gen/whistle/intake/v1"
	responsev1 "github.com/chuishao/whistle/proto/gen/whistle/response/v1"
	typesv1 "github.com/chuishao/whistle/proto/gen/whistle/types/v1"

	feedbackevents "github.com/chuishao/whistle/services/feedback/internal/events"
	"github.com/chuishao/whistle/services/feedback/internal/timeline"
	"github.com/chuishao/whistle/services/feedback/migrations"
)

// A batch handled at once leaves exactly what the same events handled one at a
// time leave: the read model (dispatch and whistle facts, escalation levels,
// rounds across a reopen), the timelines with their hash chains, and the
// scopes and departments the access checks read.
func TestBatchLeavesWhatOneByOneLeaves(t *testing.T) {
	t.Parallel()
	batched, oneByOne := handleBothWays(t, storyOfTwoWhistles())

	for _, query := range []string{
		`SELECT dispatch_id, whistle_id, district_id, street_id, category, department, round, status, dispatched_at,
		        sla_started_at, ack_by, arrive_by, resolve_by, acknowledged_at, arrived_at, resolved_at, returned_at,
		        cancelled_at, snapshot_at, reopened, satisfaction, ack_level, arrive_level, resolve_level
		 FROM dispatch_facts ORDER BY dispatch_id`,
		`SELECT whistle_id, district_id, street_id, category, raised_at FROM whistle_facts ORDER BY whistle_id`,
		`SELECT whistle_id, seq, event_id, type, at, actor_role, actor_id, dispatch_id, department, data::text, prev_hash, hash, key_id
		 FROM timeline_entries ORDER BY whistle_id, seq`,
		`SELECT whistle_id, last_seq, last_hash FROM chain_heads ORDER BY whistle_id`,
		`SELECT whistle_id, street_id, district_id, from_raised FROM whistle_scopes ORDER BY whistle_id`,
		`SELECT whistle_id, department, district_id FROM whistle_dispatch_departments ORDER BY 1, 2, 3`,
	} {
		want := rowsOf(t, oneByOne, query)
		require.NotEmpty(t, want, query)
		require.Equal(t, want, rowsOf(t, batched, query), query)
	}
	// The story's facts, as a supervisor would read them.
	got := rowsOf(t, batched, `SELECT dispatch_id, round, status, ack_level FROM dispatch_facts ORDER BY dispatch_id`)
	require.Equal(t, [][]any{
		{"d-1", int32(1), "ARRIVED", int16(0)},
		{"d-2", int32(1), "PENDING", int16(2)},
		{"d-3", int32(1), "ACKNOWLEDGED", int16(0)},
		{"d-4", int32(2), "PENDING", int16(0)},
	}, got)
}

// handleBothWays handles evs as one batch in one database and one by one in
// another, and returns both.
func handleBothWays(t *testing.T, evs []*eventsv1.Event) (batched, oneByOne *pgxpool.Pool) {
	t.Helper()
	clk := clockwork.NewFakeClockAt(time.Date(2026, 11, 23, 2, 0, 0, 0, time.UTC))
	keys, err := timeline.ParseKeys(timeline.EncodeKey("k1", []byte("a chain key of thirty-two bytes!")))
	require.NoError(t, err)
	rec := &feedbackevents.Recorder{Clock: clk, Log: slog.New(slog.DiscardHandler), Keys: keys}
	ctx := context.Background()

	batched = migratedPool(t)
	require.NoError(t, pgx.BeginFunc(ctx, batched, func(tx pgx.Tx) error { return rec.HandleBatch(ctx, tx, evs) }))
	oneByOne = migratedPool(t)
	for _, ev := range evs {
		require.NoError(t, pgx.BeginFunc(ctx, oneByOne, func(tx pgx.Tx) error {
			return rec.HandleBatch(ctx, tx, []*eventsv1.Event{ev})
		}))
	}
	return batched, oneByOne
}

// storyOfTwoWhistles is a batch as the stream delivers it: two whistles
// raised, dispatched, acted on and escalated, snapshots of one dispatch
// arriving out of order, a reopen in the middle and a dispatch of the new round.
func storyOfTwoWhistles() []*eventsv1.Event {
	t0 := time.Date(2026, 11, 23, 1, 0, 0, 0, time.UTC)
	street := &typesv1.Actor{Role: "street", Id: "110101001"}
	desk := &typesv1.Actor{Role: "desk", Id: "police-desk"}
	system := &typesv1.Actor{Role: "system", Id: "sla"}
	at := func(min int) time.Time { return t0.Add(time.Duration(min) * time.Minute) }
	ts := func(min int) *timestamppb.Timestamp { return timestamppb.New(at(min)) }
	raised := func(min int, id string) *eventsv1.Event {
		ev := events.New(at(min), street)
		ev.WhistleId, ev.DistrictId, ev.StreetId = id, "110101", "110101001"
		ev.Payload = &eventsv1.Event_WhistleRaised{WhistleRaised: &eventsv1.WhistleRaised{Whistle: &intakev1.Whistle{
			Id: id, DistrictId: "110101", StreetId: "110101001", Category: "noise", RaisedAt: ts(min),
		}}}
		return ev
	}
	dispatch := func(id, whistle, dept string, status responsev1.Dispatch_Status, updated int) *responsev1.Dispatch {
		d := &responsev1.Dispatch{
			Id: id, WhistleId: whistle, DistrictId: "110101", StreetId: "110101001", Category: "noise",
			Department: dept, Status: status, DispatchedAt: ts(1), UpdatedAt: ts(updated),
			Deadlines: &responsev1.Deadlines{AckBy: ts(6), ArriveBy: ts(31), ResolveBy: ts(600)},
		}
		if status >= responsev1.Dispatch_ACKNOWLEDGED {
			d.AcknowledgedAt = ts(3)
		}
		if status == responsev1.Dispatch_ARRIVED {
			d.ArrivedAt = ts(20)
		}
		return d
	}
	envelope := func(min int, actor *typesv1.Actor, d *responsev1.Dispatch) *eventsv1.Event {
		ev := events.New(at(min), actor)
		ev.WhistleId, ev.DistrictId, ev.StreetId, ev.DispatchId, ev.Department = d.GetWhistleId(), "110101", "110101001", d.GetId(), d.GetDepartment()
		return ev
	}
	created := func(min int, d *responsev1.Dispatch) *eventsv1.Event {
		ev := envelope(min, system, d)
		ev.Payload = &eventsv1.Event_DispatchCreated{DispatchCreated: &eventsv1.DispatchCreated{Dispatch: d}}
		return ev
	}
	acked := func(min int, d *responsev1.Dispatch) *eventsv1.Event {
		ev := envelope(min, desk, d)
		ev.Payload = &eventsv1.Event_DispatchAcknowledged{DispatchAcknowledged: &eventsv1.DispatchAcknowledged{Dispatch: d}}
		return ev
	}
	arrived := func(min int, d *responsev1.Dispatch) *eventsv1.Event {
		ev := envelope(min, desk, d)
		ev.Payload = &eventsv1.Event_DispatchArrived{DispatchArrived: &eventsv1.DispatchArrived{Dispatch: d}}
		return ev
	}
	breached := func(min int, d *responsev1.Dispatch, level int32) *eventsv1.Event {
		ev := envelope(min, system, d)
		ev.Payload = &eventsv1.Event_SlaBreached{SlaBreached: &eventsv1.SlaBreached{Clock: "ack", DueAt: ts(6), EscalationLevel: level, Dispatch: d}}
		return ev
	}
	reopened := func(min int, whistle string) *eventsv1.Event {
		ev := events.New(at(min), street)
		ev.WhistleId, ev.DistrictId, ev.StreetId = whistle, "110101", "110101001"
		ev.Payload = &eventsv1.Event_WhistleReopened{WhistleReopened: &eventsv1.WhistleReopened{Reason: "还在吵"}}
		return ev
	}
	return []*eventsv1.Event{
		raised(0, "w-1"),
		raised(0, "w-2"),
		created(1, dispatch("d-1", "w-1", "police", responsev1.Dispatch_PENDING, 1)),
		created(1, dispatch("d-2", "w-1", "urban-management", responsev1.Dispatch_PENDING, 1)),
		created(1, dispatch("d-3", "w-2", "police", responsev1.Dispatch_PENDING, 1)),
		// d-1's arrival overtakes its acknowledgement (two relays): the older snapshot must not win.
		arrived(20, dispatch("d-1", "w-1", "police", responsev1.Dispatch_ARRIVED, 20)),
		acked(3, dispatch("d-1", "w-1", "police", responsev1.Dispatch_ACKNOWLEDGED, 3)),
		acked(4, dispatch("d-3", "w-2", "police", responsev1.Dispatch_ACKNOWLEDGED, 4)),
		breached(6, dispatch("d-2", "w-1", "urban-management", responsev1.Dispatch_PENDING, 6), 1),
		breached(16, dispatch("d-2", "w-1", "urban-management", responsev1.Dispatch_PENDING, 16), 2),
		reopened(40, "w-1"),
		created(41, dispatch("d-4", "w-1", "environment", responsev1.Dispatch_PENDING, 41)),
	}
}

func migratedPool(t *testing.T) *pgxpool.Pool {
	t.Helper()
	ctx := context.Background()
	url := pgtest.NewDatabaseFrom(t, "feedback", pgtest.Migrated("feedback", postgres.Migrations{Name: "feedback", FS: migrations.FS}))
	pool, err := postgres.Connect(ctx, url, "feedback")
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	return pool
}

func rowsOf(t *testing.T, pool *pgxpool.Pool, query string) [][]any {
	t.Helper()
	rows, err := pool.Query(context.Background(), query)
	require.NoError(t, err)
	got, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) ([]any, error) { return r.Values() })
	require.NoError(t, err)
	return got
}
