package events_test

import (
	"fmt"
	"slices"
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
	responsev1 "github.com/chuishao/whistle/proto/gen/whistle/response/v1"
	typesv1 "github.com/chuishao/whistle/proto/gen/whistle/types/v1"
	"github.com/chuishao/whistle/services/intake/internal/events"
	"github.com/chuishao/whistle/services/intake/migrations"
)

var t0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

// setup migrates a fresh intake schema with the whistles ids, all RAISED, and
// returns a pool whose statements are counted.
func setup(t *testing.T, ids ...string) (*pgxpool.Pool, *pgtest.Statements) {
	t.Helper()
	url := pgtest.NewDatabaseFrom(t, "intake_events", pgtest.Migrated("intake", bus.Migrations, migrations.Set))
	pool, count := pgtest.CountedPool(t, url, "intake")
	_, err := pool.Exec(t.Context(), `INSERT INTO whistles (id, street_id, district_id, category, description, lat, lng, urgency,
		status, raised_by_role, raised_by_id, raised_at, updated_at)
		SELECT id, '110101001', '110101', 'noise', 'loud', 39.9, 116.4, 'NORMAL', 'RAISED', 'street', 's1', $2, $2
		FROM unnest($1::text[]) AS id`, ids, t0)
	require.NoError(t, err)
	return pool, count
}

func event(whistleID string, at time.Time) *eventsv1.Event {
	ev := protoevents.New(at, &typesv1.Actor{Role: "system", Id: "test"})
	ev.WhistleId, ev.DistrictId, ev.StreetId = whistleID, "110101", "110101001"
	return ev
}

func routed(whistleID string, departments ...string) *eventsv1.Event {
	ev := event(whistleID, t0)
	r := &eventsv1.WhistleRouted{}
	for _, d := range departments {
		r.Departments = append(r.Departments, &eventsv1.RoutedDepartment{Department: d, DispatchId: whistleID + "-" + d})
	}
	ev.Payload = &eventsv1.Event_WhistleRouted{WhistleRouted: r}
	return ev
}

// step is a dispatch event of whistleID's dispatch to department, at minute m.
func step(whistleID, department string, status responsev1.Dispatch_Status, m int) *eventsv1.Event {
	at := t0.Add(time.Duration(m) * time.Minute)
	ev := event(whistleID, at)
	ev.DispatchId, ev.Department = whistleID+"-"+department, department
	d := &responsev1.Dispatch{Id: ev.DispatchId, WhistleId: whistleID, Department: department, Status: status,
		UpdatedAt: timestamppb.New(at)}
	if status >= responsev1.Dispatch_ACKNOWLEDGED && status <= responsev1.Dispatch_RESOLVED {
		d.AcknowledgedAt = timestamppb.New(at)
	}
	if status == responsev1.Dispatch_RESOLVED {
		d.ResolvedAt = timestamppb.New(at)
	}
	switch status {
	case responsev1.Dispatch_PENDING:
		ev.Payload = &eventsv1.Event_DispatchCreated{DispatchCreated: &eventsv1.DispatchCreated{Dispatch: d}}
	case responsev1.Dispatch_ACKNOWLEDGED:
		ev.Payload = &eventsv1.Event_DispatchAcknowledged{DispatchAcknowledged: &eventsv1.DispatchAcknowledged{Dispatch: d}}
	default:
		ev.Payload = &eventsv1.Event_DispatchResolved{DispatchResolved: &eventsv1.DispatchResolved{Dispatch: d}}
	}
	return ev
}

// story is what two departments do on whistle id, out of order here and there.
func story(id string) []*eventsv1.Event {
	return []*eventsv1.Event{
		step(id, "police", responsev1.Dispatch_PENDING, 1),
		routed(id, "police", "urban"),
		step(id, "urban", responsev1.Dispatch_PENDING, 1),
		step(id, "police", responsev1.Dispatch_RESOLVED, 9),
		step(id, "police", responsev1.Dispatch_ACKNOWLEDGED, 3), // older: must not move it back
		step(id, "urban", responsev1.Dispatch_ACKNOWLEDGED, 4),
		step(id, "urban", responsev1.Dispatch_RESOLVED, 12),
	}
}

// outcome is each whistle's status and the whistle events written, in order.
func outcome(t *testing.T, pool *pgxpool.Pool) (map[string]string, []string) {
	t.Helper()
	rows, err := pool.Query(t.Context(), "SELECT id, status FROM whistles")
	require.NoError(t, err)
	status := map[string]string{}
	for rows.Next() {
		var id, s string
		require.NoError(t, rows.Scan(&id, &s))
		status[id] = s
	}
	require.NoError(t, rows.Err())
	rows, err = pool.Query(t.Context(), "SELECT subject FROM outbox ORDER BY id")
	require.NoError(t, err)
	subjects, err := pgx.CollectRows(rows, pgx.RowTo[string])
	require.NoError(t, err)
	return status, subjects
}

func TestABatchMovesWhistlesAsOneEventAtATimeDoes(t *testing.T) {
	t.Parallel()
	c := &events.Consumer{Clock: clock.NewFake(t0.Add(time.Hour))}
	ctx := t.Context()
	var evs []*eventsv1.Event
	for i := range 2 {
		evs = append(evs, story(fmt.Sprintf("w-%d", i))...)
	}
	evs = append(evs, routed("w-2", "police"), step("w-2", "police", responsev1.Dispatch_ACKNOWLEDGED, 2))

	batched, _ := setup(t, "w-0", "w-1", "w-2")
	require.NoError(t, pgx.BeginFunc(ctx, batched, func(tx pgx.Tx) error { return c.HandleBatch(ctx, tx, evs) }))
	single, _ := setup(t, "w-0", "w-1", "w-2")
	for _, ev := range evs {
		require.NoError(t, pgx.BeginFunc(ctx, single, func(tx pgx.Tx) error {
			return c.HandleBatch(ctx, tx, []*eventsv1.Event{ev})
		}))
	}

	status, subjects := outcome(t, batched)
	wantStatus, wantSubjects := outcome(t, single)
	require.Equal(t, map[string]string{"w-0": "RESOLVED", "w-1": "RESOLVED", "w-2": "RESPONDING"}, wantStatus)
	require.Equal(t, wantStatus, status)
	slices.Sort(subjects)
	slices.Sort(wantSubjects)
	require.Equal(t, wantSubjects, subjects, "the same whistle events")
}

func TestABatchOfDispatchEventsTakesAFixedNumberOfStatements(t *testing.T) {
	t.Parallel()
	var ids []string
	for i := range 60 {
		ids = append(ids, fmt.Sprintf("w-%02d", i))
	}
	pool, stmts := setup(t, ids...)
	c := &events.Consumer{Clock: clock.NewFake(t0.Add(time.Hour))}
	counted := func(ids []string) int64 {
		var evs []*eventsv1.Event
		for _, id := range ids {
			evs = append(evs, routed(id, "police"), step(id, "police", responsev1.Dispatch_PENDING, 1))
		}
		before := stmts.Count()
		require.NoError(t, pgx.BeginFunc(t.Context(), pool, func(tx pgx.Tx) error { return c.HandleBatch(t.Context(), tx, evs) }))
		return stmts.Count() - before
	}
	hundred := counted(ids[:50])
	ten := counted(ids[50:])
	t.Logf("statements for a batch of 100 events (50 whistle.routed, 50 dispatch.created): %d (of 20: %d), begin and commit included", hundred, ten)
	require.Equal(t, ten, hundred, "the count does not grow with the batch")
}
