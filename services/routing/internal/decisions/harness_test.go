package decisions_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"

	"github.com/chuishao/whistle/platform/clock"
	protoevents "github.com/chuishao/whistle/proto/events"
	eventsv1 "github.com/chuishao/whistle/proto/gen/whistle/events/v1"
	"github.com/chuishao/whistle/services/routing/internal/decisions"
	"github.com/chuishao/whistle/services/routing/internal/jurisdiction"
	"github.com/chuishao/whistle/services/routing/internal/routing"
	"github.com/chuishao/whistle/services/routing/internal/routingtest"
	"github.com/chuishao/whistle/services/routing/internal/store"
)

var t0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

// Points against the seed's map: well inside Donghuamen (110101001), clearly
// in its neighbour Jingshan, and in no street at all.
const (
	street, district = "110101001", "110101"
	insideLat        = 39.9146
	insideLng        = 116.4036
	outsideLat       = 39.93
	outsideLng       = 116.392
	nowhereLat       = 39.0
	nowhereLng       = 115.0
)

// fixture is the decision use cases over a seeded database of their own,
// checking locations against the seed's street boundaries.
type fixture struct {
	svc  *decisions.Service
	pool *pgxpool.Pool
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	pool := routingtest.SeededPool(t)
	q := store.New(pool)
	return &fixture{pool: pool, svc: &decisions.Service{
		Pool: pool, Clock: clock.NewFake(t0), Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Map: &jurisdiction.Cache{Load: func(ctx context.Context) (jurisdiction.Map, error) {
			rows, err := q.ListStreetBoundaries(ctx)
			m := jurisdiction.Map{}
			for _, r := range rows {
				m.Streets = append(m.Streets, jurisdiction.Street{ID: r.ID, Boundary: r.Boundary})
			}
			return m, err
		}},
	}}
}

var ids atomic.Int64

// whistle is a new whistle of category in Donghuamen at a point.
func whistle(category string, lat, lng float64) routing.Raised {
	return routing.Raised{
		ID: fmt.Sprintf("w-%d", ids.Add(1)), Category: category, StreetID: street, DistrictID: district, Lat: lat, Lng: lng,
	}
}

// tx runs fn in a transaction of its own, as the consumer does.
func (f *fixture) tx(t *testing.T, fn func(tx pgx.Tx) error) error {
	t.Helper()
	return pgx.BeginFunc(t.Context(), f.pool, fn)
}

// route routes ws in one batch.
func (f *fixture) route(t *testing.T, ws ...routing.Raised) {
	t.Helper()
	require.NoError(t, f.tx(t, func(tx pgx.Tx) error { return f.svc.Route(t.Context(), tx, ws) }))
}

// events are the whistle's events in the outbox, in order.
func (f *fixture) events(t *testing.T, whistleID string) []*eventsv1.Event {
	t.Helper()
	rows, err := f.pool.Query(t.Context(), "SELECT payload FROM outbox ORDER BY id")
	require.NoError(t, err)
	defer rows.Close()
	var out []*eventsv1.Event
	for rows.Next() {
		var payload []byte
		require.NoError(t, rows.Scan(&payload))
		ev := &eventsv1.Event{}
		require.NoError(t, proto.Unmarshal(payload, ev))
		if ev.GetWhistleId() == whistleID {
			out = append(out, ev)
		}
	}
	require.NoError(t, rows.Err())
	return out
}

// names are the events' names.
func names(evs []*eventsv1.Event) []string {
	out := make([]string, len(evs))
	for i, ev := range evs {
		out[i] = protoevents.Name(ev)
	}
	return out
}

// last is the whistle's latest event of name.
func (f *fixture) last(t *testing.T, whistleID, name string) *eventsv1.Event {
	t.Helper()
	evs := f.events(t, whistleID)
	for i := len(evs) - 1; i >= 0; i-- {
		if protoevents.Name(evs[i]) == name {
			return evs[i]
		}
	}
	t.Fatalf("whistle %s has no %s", whistleID, name)
	return nil
}

// asked is "department:role" of each department a decision asked.
func asked(to []*eventsv1.RoutedDepartment) []string {
	out := make([]string, len(to))
	for i, d := range to {
		out[i] = d.GetDepartment() + ":" + d.GetRole()
	}
	return out
}

// dispatches are the whistle's dispatch ids by department.
func (f *fixture) dispatches(t *testing.T, whistleID string) map[string]string {
	t.Helper()
	rows, err := store.New(f.pool).ListAssignments(t.Context(), whistleID)
	require.NoError(t, err)
	out := map[string]string{}
	for _, r := range rows {
		out[r.Department] = r.DispatchID
	}
	return out
}

// count is the count a query answers.
func (f *fixture) count(t *testing.T, sql string, args ...any) int {
	t.Helper()
	var n int
	require.NoError(t, f.pool.QueryRow(t.Context(), sql, args...).Scan(&n))
	return n
}
