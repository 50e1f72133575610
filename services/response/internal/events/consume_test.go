package events_test

import (
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/chuishao/whistle/platform/bus"
	"github.com/chuishao/whistle/platform/clock"
	"github.com/chuishao/whistle/platform/postgres"
	"github.com/chuishao/whistle/platform/postgres/pgtest"
	protoevents "github.com/chuishao/whistle/proto/events"
	eventsv1 "github.com/chuishao/whistle/proto/gen/whistle/events/v1"
	typesv1 "github.com/chuishao/whistle/proto/gen/whistle/types/v1"
	"github.com/chuishao/whistle/services/response/internal/events"
	"github.com/chuishao/whistle/services/response/internal/response"
	"github.com/chuishao/whistle/services/response/internal/store"
	"github.com/chuishao/whistle/services/response/migrations"
)

var t0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

// setup is a fresh response schema, cloned from a template migrated once per
// test binary, and a pool on it whose statements are counted.
func setup(t *testing.T) (*pgxpool.Pool, *pgtest.Statements) {
	t.Helper()
	url := pgtest.NewDatabaseFrom(t, "response", pgtest.Migrated("response", bus.Migrations, postgres.Migrations{Name: "response", FS: migrations.FS}))
	return pgtest.CountedPool(t, url, "response")
}

func handler() *events.Handler {
	return &events.Handler{Clock: clock.NewFake(t0), Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		WorkStart: 9 * time.Hour, WorkEnd: 17 * time.Hour}
}

// departments are those routing asks, in turn, in routed.
var departments = []string{"urban-management", "police", "environment"}

// routed is routing's decision on whistleID: one whistle.routed asking for a
// dispatch per id.
func routed(whistleID string, dispatchIDs ...string) *eventsv1.Event {
	ev := protoevents.New(t0, &typesv1.Actor{Role: "system", Id: "routing"})
	ev.WhistleId, ev.DistrictId, ev.StreetId = whistleID, "110101", "110101001"
	decision := &eventsv1.WhistleRouted{Rule: "category:noise", CatalogueVersion: "1"}
	for i, id := range dispatchIDs {
		dep := departments[i%len(departments)]
		decision.Departments = append(decision.Departments, &eventsv1.RoutedDepartment{
			Department: dep, Role: "lead", DispatchId: id, Request: asked(),
		})
	}
	ev.Payload = &eventsv1.Event_WhistleRouted{WhistleRouted: decision}
	return ev
}

// request is a decision on whistleID asking for the one dispatch.
func request(dispatchID, whistleID string) *eventsv1.Event { return routed(whistleID, dispatchID) }

func asked() *eventsv1.DispatchRequested {
	return &eventsv1.DispatchRequested{
		Category: "noise", Role: "lead", Location: &typesv1.LatLng{Lat: 39.9288, Lng: 116.3884},
		ResolveWithin: durationpb.New(48 * time.Hour),
	}
}

// requestOfOld is a dispatch.requested, one per department, as routing wrote
// them before its decisions carried the requests.
func requestOfOld(dispatchID, whistleID string) *eventsv1.Event {
	ev := protoevents.New(t0, &typesv1.Actor{Role: "system", Id: "routing"})
	ev.WhistleId, ev.DistrictId, ev.StreetId, ev.DispatchId, ev.Department = whistleID, "110101", "110101001", dispatchID, "police"
	ev.Payload = &eventsv1.Event_DispatchRequested{DispatchRequested: asked()}
	return ev
}

func cancellation(whistleID string) *eventsv1.Event {
	ev := protoevents.New(t0, &typesv1.Actor{Role: "street", Id: "s1"})
	ev.WhistleId, ev.DistrictId = whistleID, "110101"
	ev.Payload = &eventsv1.Event_WhistleCancelled{WhistleCancelled: &eventsv1.WhistleCancelled{Reason: "gone"}}
	return ev
}

// handle applies evs as one batch and commits it.
func handle(t *testing.T, pool *pgxpool.Pool, h *events.Handler, evs ...*eventsv1.Event) {
	t.Helper()
	require.NoError(t, pgx.BeginFunc(t.Context(), pool, func(tx pgx.Tx) error { return h.HandleBatch(t.Context(), tx, evs) }))
}

// dispatches maps each dispatch of whistleID to its status.
func dispatches(t *testing.T, pool *pgxpool.Pool, whistleID string) map[string]string {
	t.Helper()
	rows, err := pool.Query(t.Context(), "SELECT id, status FROM dispatches WHERE whistle_id = $1", whistleID)
	require.NoError(t, err)
	out := map[string]string{}
	for rows.Next() {
		var id, status string
		require.NoError(t, rows.Scan(&id, &status))
		out[id] = status
	}
	require.NoError(t, rows.Err())
	return out
}

func count(t *testing.T, pool *pgxpool.Pool, query string, args ...any) int {
	t.Helper()
	var n int
	require.NoError(t, pool.QueryRow(t.Context(), query, args...).Scan(&n))
	return n
}

func TestDuplicatesOfARequestInOneBatchCreateOneDispatch(t *testing.T) {
	t.Parallel()
	pool, _ := setup(t)
	first, other := request("d-1", "w-1"), request("d-2", "w-1")
	again := request("d-1", "w-1") // routing retried: same dispatch, new event id
	handle(t, pool, handler(), first, again, other, again)

	require.Equal(t, map[string]string{"d-1": "PENDING", "d-2": "PENDING"}, dispatches(t, pool, "w-1"))
	timers := count(t, pool, "SELECT count(*) FROM timers WHERE dispatch_id = 'd-2'")
	require.Positive(t, timers)
	require.Equal(t, timers, count(t, pool, "SELECT count(*) FROM timers WHERE dispatch_id = 'd-1'"), "d-1's timers once")
	require.Equal(t, 2, count(t, pool, "SELECT count(*) FROM outbox WHERE subject LIKE 'dispatch.v1.created.%'"), "one dispatch.created each")

	handle(t, pool, handler(), again) // and in a later batch
	require.Equal(t, 2, count(t, pool, "SELECT count(*) FROM outbox WHERE subject LIKE 'dispatch.v1.created.%'"))
}

func TestACancellationInABatchWinsOverTheRequestsOfItsWhistle(t *testing.T) {
	t.Parallel()
	pool, _ := setup(t)
	// Before the cancellation, after it, and another whistle's around it.
	handle(t, pool, handler(),
		request("d-1", "w-1"), request("d-9", "w-2"), cancellation("w-1"), request("d-2", "w-1"), request("d-8", "w-2"))

	require.Equal(t, map[string]string{"d-1": "CANCELLED"}, dispatches(t, pool, "w-1"), "no open dispatch of the cancelled whistle")
	require.Equal(t, map[string]string{"d-8": "PENDING", "d-9": "PENDING"}, dispatches(t, pool, "w-2"))
	require.Zero(t, count(t, pool, "SELECT count(*) FROM timers WHERE dispatch_id = 'd-1'"), "the cancelled dispatch keeps no timer")
	require.Equal(t, 1, count(t, pool, "SELECT count(*) FROM outbox WHERE subject LIKE 'dispatch.v1.cancelled.%'"))
}

func TestABatchOfRequestsTakesAFixedNumberOfStatements(t *testing.T) {
	t.Parallel()
	pool, stmts := setup(t)
	h := handler()
	batchOf := func(n int, prefix string) []*eventsv1.Event {
		evs := make([]*eventsv1.Event, n)
		for i := range evs {
			evs[i] = request(prefix+string(rune('a'+i%26))+time.Duration(i).String(), prefix+"w"+time.Duration(i/2).String())
		}
		return evs
	}
	counted := func(evs []*eventsv1.Event) int64 {
		before := stmts.Count()
		handle(t, pool, h, evs...)
		return stmts.Count() - before
	}
	hundred := counted(batchOf(100, "x"))
	ten := counted(batchOf(10, "y"))
	t.Logf("statements for a batch of 100 dispatch requests: %d (of 10: %d), begin and commit included", hundred, ten)
	require.Equal(t, ten, hundred, "the count does not grow with the batch")
	require.Equal(t, 100, count(t, pool, "SELECT count(*) FROM dispatches WHERE id LIKE 'x%'"))
}

func TestOneDecisionCreatesTheDispatchOfEachDepartment(t *testing.T) {
	t.Parallel()
	pool, _ := setup(t)
	handle(t, pool, handler(), routed("w-1", "d-1", "d-2", "d-3"))

	require.Equal(t, map[string]string{"d-1": "PENDING", "d-2": "PENDING", "d-3": "PENDING"}, dispatches(t, pool, "w-1"))
	require.Equal(t, 1, count(t, pool, "SELECT count(*) FROM dispatches WHERE id = 'd-2' AND department = 'police'"))
	require.Equal(t, 3, count(t, pool, "SELECT count(*) FROM outbox WHERE subject LIKE 'dispatch.v1.created.%'"), "one dispatch.created each")

	// The decision delivered again under another event id changes nothing.
	handle(t, pool, handler(), routed("w-1", "d-1", "d-2", "d-3"))
	require.Equal(t, 3, count(t, pool, "SELECT count(*) FROM outbox WHERE subject LIKE 'dispatch.v1.created.%'"))
}

// A dispatch.requested written before routing's decisions carried their
// requests may still wait in a stream or an outbox during an upgrade.
func TestARequestOfOldStillCreatesItsDispatchOnce(t *testing.T) {
	t.Parallel()
	pool, _ := setup(t)
	handle(t, pool, handler(), requestOfOld("d-1", "w-1"), request("d-1", "w-1"))
	handle(t, pool, handler(), requestOfOld("d-1", "w-1"))

	require.Equal(t, map[string]string{"d-1": "PENDING"}, dispatches(t, pool, "w-1"))
	require.Equal(t, 1, count(t, pool, "SELECT count(*) FROM dispatches WHERE id = 'd-1' AND department = 'police'"))
	require.Equal(t, 1, count(t, pool, "SELECT count(*) FROM outbox WHERE subject LIKE 'dispatch.v1.created.%'"))
}

// A created dispatch is stored as the domain made it: read back, its NextStep
// is what its timer row says, and its dispatch.created event shows the stored
// row. Here with a located request, an unlocated one, and a re-dispatch whose
// clocks started 4½ minutes ago (its ack warning, due already, is not kept),
// at times finer than the microseconds Postgres keeps.
func TestACreatedDispatchIsStoredWithItsFirstTimer(t *testing.T) {
	t.Parallel()
	pool, _ := setup(t)
	now := t0.Add(1234 * time.Nanosecond)
	h := handler()
	h.Clock = clock.NewFake(now)
	unlocated := request("d-2", "w-2")
	unlocated.GetWhistleRouted().GetDepartments()[0].Request.Location = nil
	redispatch := request("d-3", "w-3")
	redispatch.GetWhistleRouted().GetDepartments()[0].Request.SlaStartedAt = timestamppb.New(t0.Add(-4*time.Minute - 30*time.Second))
	handle(t, pool, h, request("d-1", "w-1"), unlocated, redispatch)

	rows, err := pool.Query(t.Context(), "SELECT payload FROM outbox WHERE subject LIKE 'dispatch.v1.created.%' ORDER BY id")
	require.NoError(t, err)
	payloads, err := pgx.CollectRows(rows, pgx.RowTo[[]byte])
	require.NoError(t, err)
	require.Len(t, payloads, 3)
	q := store.New(pool)
	firsts := map[string]response.Step{}
	for i, id := range []string{"d-1", "d-2", "d-3"} {
		row, err := q.GetDispatch(t.Context(), id)
		require.NoError(t, err)
		stored, err := row.Domain()
		require.NoError(t, err)
		next, ok := stored.NextStep()
		require.True(t, ok)
		var timer response.Step
		require.NoError(t, pool.QueryRow(t.Context(), "SELECT due_at, clock, kind FROM timers WHERE dispatch_id = $1", id).
			Scan(&timer.DueAt, &timer.Clock, &timer.Kind))
		require.True(t, next.DueAt.Equal(timer.DueAt), "%s: next step due %s, timer due %s", id, next.DueAt, timer.DueAt)
		require.Equal(t, next.Clock, timer.Clock, id)
		require.Equal(t, next.Kind, timer.Kind, id)
		timer.DueAt = timer.DueAt.UTC()
		firsts[id] = timer

		var ev eventsv1.Event // in stream order
		require.NoError(t, proto.Unmarshal(payloads[i], &ev))
		want, got := events.DispatchProto(stored), ev.GetDispatchCreated().GetDispatch()
		require.True(t, proto.Equal(want, got), "%s: the event shows\n%v\nthe store\n%v", id, got, want)
	}
	require.Equal(t, response.Step{Clock: response.ClockAck, Kind: response.Warning, DueAt: t0.Add(4*time.Minute + time.Microsecond)}, firsts["d-1"])
	require.Equal(t, response.Step{Clock: response.ClockAck, Kind: response.Breach, DueAt: t0.Add(30 * time.Second)}, firsts["d-3"],
		"the re-dispatch's ack warning was due already")
}
