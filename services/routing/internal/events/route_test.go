package events_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"

	"github.com/chuishao/whistle/platform/clock"
	"github.com/chuishao/whistle/platform/postgres/pgtest"
	protoevents "github.com/chuishao/whistle/proto/events"
	eventsv1 "github.com/chuishao/whistle/proto/gen/whistle/events/v1"
	intakev1 "github.com/chuishao/whistle/proto/gen/whistle/intake/v1"
	typesv1 "github.com/chuishao/whistle/proto/gen/whistle/types/v1"
	"github.com/chuishao/whistle/services/routing/internal/decisions"
	"github.com/chuishao/whistle/services/routing/internal/events"
	"github.com/chuishao/whistle/services/routing/internal/jurisdiction"
	"github.com/chuishao/whistle/services/routing/internal/routingtest"
)

var t0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

func raised(i int) *eventsv1.Event {
	ev := protoevents.New(t0, &typesv1.Actor{Role: "street", Id: "s1"})
	id := fmt.Sprintf("w-%03d", i)
	ev.WhistleId, ev.DistrictId, ev.StreetId = id, "110101", "110101001"
	categories := []string{"noise", "garbage", "illegal-construction", "street-vending"}
	ev.Payload = &eventsv1.Event_WhistleRaised{WhistleRaised: &eventsv1.WhistleRaised{Whistle: &intakev1.Whistle{
		Id: id, DistrictId: "110101", StreetId: "110101001", Category: categories[i%len(categories)],
		Location: &typesv1.LatLng{Lat: 39.9288, Lng: 116.3884},
	}}}
	return ev
}

// handler is the consumer over the decision use cases, with an empty map
// (every location inside its street).
func handler(pool *pgxpool.Pool) *events.Handler {
	return &events.Handler{Decisions: &decisions.Service{Pool: pool, Clock: clock.NewFake(t0),
		Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Map: &jurisdiction.Cache{Load: func(context.Context) (jurisdiction.Map, error) { return jurisdiction.Map{}, nil }}}}
}

func TestABatchOfNewWhistlesIsRoutedInAFixedNumberOfStatements(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	pool, stmts := pgtest.CountedPool(t, routingtest.SeededURL(t), routingtest.Schema)

	h := handler(pool)
	counted := func(from, to int) int64 {
		evs := make([]*eventsv1.Event, 0, to-from)
		for i := from; i < to; i++ {
			evs = append(evs, raised(i))
		}
		before := stmts.Count()
		require.NoError(t, pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error { return h.HandleBatch(ctx, tx, evs) }))
		return stmts.Count() - before
	}
	hundred := counted(0, 100)
	ten := counted(100, 110)
	t.Logf("statements for a batch of 100 new whistles: %d (of 10: %d), begin and commit included", hundred, ten)
	require.Equal(t, ten, hundred, "the count does not grow with the batch")
	require.EqualValues(t, 7, hundred, "begin, the catalogue in force, its rules, the decisions, the assignments, the outbox, commit")
	var decisions, assigned, routed, carried int
	require.NoError(t, pool.QueryRow(ctx, "SELECT count(*) FROM routing_decisions").Scan(&decisions))
	require.NoError(t, pool.QueryRow(ctx, "SELECT count(*) FROM dispatch_assignments").Scan(&assigned))
	rows, err := pool.Query(ctx, "SELECT payload FROM outbox WHERE subject LIKE 'whistle.v1.routed.%'")
	require.NoError(t, err)
	for rows.Next() {
		var payload []byte
		require.NoError(t, rows.Scan(&payload))
		var ev eventsv1.Event
		require.NoError(t, proto.Unmarshal(payload, &ev))
		routed++
		carried += len(protoevents.Requests(&ev))
	}
	require.NoError(t, rows.Err())
	require.Equal(t, 110, decisions)
	require.Equal(t, 110, routed, "one whistle.routed per whistle")
	require.GreaterOrEqual(t, assigned, 110, "every whistle asks for at least its lead department")
	require.Equal(t, assigned, carried, "whistle.routed carries every request")
}

// TestACopyOfAReopenDispatchesNoFurtherRound: a whistle.reopened handled
// again (a copy that came after its processed-event record was pruned)
// leaves the second round as it was.
func TestACopyOfAReopenDispatchesNoFurtherRound(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	pool := routingtest.SeededPool(t)
	h := handler(pool)
	handle := func(ev *eventsv1.Event) {
		require.NoError(t, pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error { return h.HandleBatch(ctx, tx, []*eventsv1.Event{ev}) }))
	}
	requested := func() (n int) {
		require.NoError(t, pool.QueryRow(ctx, "SELECT count(*) FROM dispatch_assignments").Scan(&n))
		return n
	}
	redispatched := func() (n int) {
		require.NoError(t, pool.QueryRow(ctx, "SELECT count(*) FROM outbox WHERE subject LIKE 'whistle.v1.redispatched.%'").Scan(&n))
		return n
	}
	handle(raised(0))
	first := requested()
	require.Positive(t, first)

	reopened := protoevents.New(t0.Add(time.Hour), &typesv1.Actor{Role: "street", Id: "s1"})
	reopened.WhistleId, reopened.DistrictId, reopened.StreetId = "w-000", "110101", "110101001"
	reopened.Payload = &eventsv1.Event_WhistleReopened{WhistleReopened: &eventsv1.WhistleReopened{Reason: "not fixed"}}
	handle(reopened)
	second := requested()
	require.Equal(t, 2*first, second, "one round-2 dispatch per department")
	require.Equal(t, 1, redispatched(), "asked for by one event")
	handle(reopened)
	require.Equal(t, second, requested(), "the copy dispatched nothing")
	require.Equal(t, 1, redispatched())
}
