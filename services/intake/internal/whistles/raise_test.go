package whistles

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/chuishao/whistle/platform/auth"
	"github.com/chuishao/whistle/platform/bus"
	"github.com/chuishao/whistle/platform/clock"
	"github.com/chuishao/whistle/platform/groupcommit"
	"github.com/chuishao/whistle/platform/invalid"
	"github.com/chuishao/whistle/platform/postgres/pgtest"
	"github.com/chuishao/whistle/platform/whistlestatus"
	intakev1 "github.com/chuishao/whistle/proto/gen/whistle/intake/v1"
	typesv1 "github.com/chuishao/whistle/proto/gen/whistle/types/v1"

	"github.com/chuishao/whistle/services/intake/internal/intake"
	"github.com/chuishao/whistle/services/intake/internal/store"
	"github.com/chuishao/whistle/services/intake/migrations"
)

var t0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

const (
	street   = "110101001"
	district = "110101"
	// metre is one metre of latitude in degrees.
	metre = 1 / 111195.0
)

var streetA = auth.Identity{Subject: "street-a", Role: auth.RoleStreet, StreetID: street, DistrictID: district}

// raiseEnv is a Service on a fresh intake schema whose statements are
// counted, with routing's answers for the street and "noise" remembered (the
// tests raise nothing else), and whose raises go through a batcher the test
// controls.
type raiseEnv struct {
	t      *testing.T
	s      *Service
	pool   *pgxpool.Pool
	stmts  *pgtest.Statements
	groups []int // the size of each group the batcher ran, in order
	mu     sync.Mutex
}

func newRaiseEnv(t *testing.T) *raiseEnv {
	t.Helper()
	e := &raiseEnv{t: t}
	url := pgtest.NewDatabaseFrom(t, "intake_whistles", pgtest.Migrated("intake", bus.Migrations, migrations.Set))
	e.pool, e.stmts = pgtest.CountedPool(t, url, "intake")
	e.s = &Service{Pool: e.pool, Clock: clock.NewFake(t0), Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	e.s.refs.init()
	e.s.refs.streets.Add(street, district)
	e.s.refs.categories.Add("noise", struct{}{})
	return e
}

// call is one raise of the test: north of a point in metres, with a key, and
// with a description (a valid one when empty).
type call struct {
	northM      float64
	key         string
	description string
}

type result struct {
	w   *intakev1.Whistle
	err error
}

func (e *raiseEnv) raise(ctx context.Context, c call) (*intakev1.Whistle, error) {
	n := NewWhistle{
		StreetID: street, Category: "noise", Description: c.description, Title: "工地噪音",
		Location: &typesv1.LatLng{Lat: 39.914 + c.northM*metre, Lng: 116.404}, IdempotencyKey: c.key,
	}
	if n.Description == "" {
		n.Description = "夜间施工噪音扰民"
	}
	return e.s.Raise(ctx, streetA, n)
}

// kind is what an error of a use case tells the caller: the class the API
// maps to its code, "internal" for anything else.
func kind(err error) string {
	var invalid invalid.Error
	var state *whistlestatus.StateError
	switch {
	case err == nil:
		return "ok"
	case errors.As(err, &invalid):
		return "invalid"
	case errors.As(err, &state):
		return "state"
	case errors.Is(err, intake.ErrNotFound):
		return "not found"
	case errors.Is(err, intake.ErrPermissionDenied):
		return "denied"
	case errors.Is(err, intake.ErrUnavailable):
		return "unavailable"
	}
	return "internal"
}

// inOneGroup raises calls concurrently as one group, in their order: a raise
// holds the batcher's only slot until every call waits behind it.
func (e *raiseEnv) inOneGroup(calls ...call) []result {
	e.t.Helper()
	release, held := make(chan struct{}), make(chan struct{})
	hold := "hold the slot"
	e.s.raiseOnce.Do(func() {}) // the batcher is the test's
	e.s.raiseBatcher = &groupcommit.Batcher[newWhistle, *intakev1.Whistle]{
		Slots: 1,
		Alone: func(ctx context.Context, n newWhistle) (*intakev1.Whistle, error) {
			if n.row.Description == hold {
				close(held)
				<-release
			}
			return e.s.raiseAlone(ctx, n)
		},
		Group: func(ctx context.Context, reqs []groupcommit.Request[newWhistle]) ([]groupcommit.Outcome[*intakev1.Whistle], error) {
			e.mu.Lock()
			e.groups = append(e.groups, len(reqs))
			e.mu.Unlock()
			return e.s.raiseGroup(ctx, reqs)
		},
	}
	var wg sync.WaitGroup
	wg.Go(func() {
		_, err := e.raise(context.Background(), call{northM: 5000, description: hold})
		require.NoError(e.t, err)
	})
	<-held
	out := make([]result, len(calls))
	for i, c := range calls {
		wg.Go(func() { out[i].w, out[i].err = e.raise(context.Background(), c) })
		require.Eventually(e.t, func() bool { return e.s.raiseBatcher.Waiting() == i+1 }, 10*time.Second, time.Millisecond)
	}
	close(release)
	wg.Wait()
	return out
}

func (e *raiseEnv) count(sql string, args ...any) int {
	e.t.Helper()
	var n int
	require.NoError(e.t, e.pool.QueryRow(context.Background(), sql, args...).Scan(&n))
	return n
}

func candidateIDs(w *intakev1.Whistle) []string {
	var ids []string
	for _, c := range w.GetDuplicateCandidates() {
		ids = append(ids, c.GetWhistleId())
	}
	return ids
}

func TestRaisesWithOneKeyInAGroupMakeOneWhistle(t *testing.T) {
	t.Parallel()
	e := newRaiseEnv(t)
	before, err := e.raise(context.Background(), call{northM: 2000, key: "used-before"})
	require.NoError(t, err)

	got := e.inOneGroup(
		call{key: "k"}, call{northM: 1000, key: "other"}, call{key: "k"},
		call{northM: 2000, key: "used-before"}, call{northM: 3000}, call{northM: 3000},
	)
	require.Equal(t, []int{6}, e.groups, "the six raises ran as one group")
	for i, a := range got {
		require.NoError(t, a.err, "raise %d", i)
	}
	require.Equal(t, got[0].w.GetId(), got[2].w.GetId(), "a key used earlier in the group answers the first whistle")
	require.Equal(t, got[0].w.GetRaisedAt().AsTime(), got[2].w.GetRaisedAt().AsTime())
	require.NotEqual(t, got[0].w.GetId(), got[1].w.GetId())
	require.Equal(t, before.GetId(), got[3].w.GetId(), "a key used before the group answers its whistle")
	require.NotEqual(t, got[4].w.GetId(), got[5].w.GetId(), "raises without a key are each their own")

	require.Equal(t, 1, e.count("SELECT count(*) FROM whistles WHERE idempotency_key = 'k'"))
	require.Equal(t, 1, e.count("SELECT count(*) FROM whistles WHERE idempotency_key = 'used-before'"))
	// The holder, the first raise and four new whistles of the group.
	require.Equal(t, 6, e.count("SELECT count(*) FROM whistles"))
	require.Equal(t, 6, e.count("SELECT count(*) FROM outbox WHERE subject LIKE 'whistle.v1.raised.%'"), "one whistle.raised per whistle")
}

func TestDuplicatesInAGroupLinkAsRaisingOneByOne(t *testing.T) {
	t.Parallel()
	// The same raises, one by one and as one group, each after a whistle
	// raised before at 15 m: 0 m, 30 m, 60 m, 400 m (alone), 50 m.
	calls := []call{{northM: 0}, {northM: 30}, {northM: 60}, {northM: 400}, {northM: 50}}
	type outcome struct {
		candidates [][]int // per raise, the raises (-1: the earlier whistle) it may duplicate
		distances  [][]float64
		events     int
	}
	run := func(grouped bool) outcome {
		e := newRaiseEnv(t)
		earlier, err := e.raise(context.Background(), call{northM: 15})
		require.NoError(t, err)
		var ws []*intakev1.Whistle
		if grouped {
			for i, a := range e.inOneGroup(calls...) {
				require.NoError(t, a.err, "raise %d", i)
				ws = append(ws, a.w)
			}
			require.Equal(t, []int{len(calls)}, e.groups)
		} else {
			for _, c := range calls {
				w, err := e.raise(context.Background(), c)
				require.NoError(t, err)
				ws = append(ws, w)
			}
		}
		index := map[string]int{earlier.GetId(): -1}
		for i, w := range ws {
			index[w.GetId()] = i
		}
		var out outcome
		for _, w := range ws {
			var of []int
			var ds []float64
			for _, c := range w.GetDuplicateCandidates() {
				of = append(of, index[c.GetWhistleId()])
				ds = append(ds, c.GetDistanceM())
			}
			out.candidates = append(out.candidates, of)
			out.distances = append(out.distances, ds)
			// What the answer shows is what was stored.
			saved, err := e.s.withDispatches(context.Background(), streetA, mustGet(t, e.pool, w.GetId()))
			require.NoError(t, err)
			require.Equal(t, candidateIDs(w), candidateIDs(saved))
		}
		out.events = e.count("SELECT count(*) FROM outbox WHERE subject LIKE 'whistle.v1.duplicate_candidate.%'")
		return out
	}
	one, group := run(false), run(true)
	require.Equal(t, [][]int{{-1}, {-1, 0}, {1, -1, 0}, nil, {2, 1, -1, 0}}, one.candidates, "nearest first")
	require.Equal(t, one, group)
	require.Equal(t, 4, group.events, "one whistle.duplicate_candidate per whistle with candidates, carrying all of its links")
}

func mustGet(t *testing.T, pool *pgxpool.Pool, id string) store.Whistle {
	t.Helper()
	w, err := store.New(pool).GetWhistle(context.Background(), id)
	require.NoError(t, err)
	return w
}

func TestAFailingRaiseDoesNotFailTheOthersOfItsGroup(t *testing.T) {
	t.Parallel()
	e := newRaiseEnv(t)
	// Postgres refuses a NUL byte in text: the group's insert fails as a
	// whole, and each raise then runs alone.
	got := e.inOneGroup(call{key: "a"}, call{northM: 10, description: "bad\x00byte"}, call{northM: 20, key: "a"}, call{northM: 30})
	require.Equal(t, []int{4}, e.groups)
	require.NoError(t, got[0].err)
	require.Equal(t, "internal", kind(got[1].err), "the bad raise fails, as it did alone")
	require.NoError(t, got[2].err)
	require.NoError(t, got[3].err)
	require.Equal(t, got[0].w.GetId(), got[2].w.GetId(), "the key still makes one whistle")
	require.Equal(t, []string{got[0].w.GetId()}, candidateIDs(got[3].w), "duplicates are still found")
	require.Equal(t, 3, e.count("SELECT count(*) FROM whistles"), "the holder, the first with key a, the last")
}

func TestAGroupOfRaisesTakesAFixedNumberOfStatements(t *testing.T) {
	t.Parallel()
	e := newRaiseEnv(t)
	group := func(n int, from float64) int64 {
		var reqs []groupcommit.Request[newWhistle]
		for i := range n {
			// Every raise 20 m north of the one before: each may duplicate the
			// ones raised before it within 100 m. The last repeats the first's key.
			ctx := auth.WithIdentity(context.Background(), streetA)
			row := store.Whistle{
				ID: fmt.Sprintf("w-%v-%03d", from, i), StreetID: street, DistrictID: district, Category: "noise",
				Description: "d", Lat: 39.914 + (from+float64(i)*20)*metre, Lng: 116.404, Urgency: "NORMAL",
				Status: "RAISED", RaisedByRole: "street", RaisedByID: "street-a", RaisedAt: t0, UpdatedAt: t0,
			}
			row.IdempotencyKey.String, row.IdempotencyKey.Valid = fmt.Sprint("key-", from, "-", i%(n-1)), true
			reqs = append(reqs, groupcommit.Request[newWhistle]{Ctx: ctx, Req: newWhistle{row: row, actor: ActorOf(streetA)}})
		}
		start := e.stmts.Count()
		outs, err := e.s.raiseGroup(context.Background(), reqs)
		require.NoError(t, err)
		for _, o := range outs[:n-1] {
			require.NoError(t, o.Err)
			require.NotNil(t, o.Value)
		}
		require.Nil(t, outs[n-1].Value, "the last raise repeats the first one's key")
		return e.stmts.Count() - start
	}
	alone := func() int64 {
		start := e.stmts.Count()
		_, err := e.raise(context.Background(), call{northM: 90_000})
		require.NoError(t, err)
		return e.stmts.Count() - start
	}
	lone := alone()
	three, sixty := group(3, 10_000), group(60, 20_000)
	t.Logf("statements: a lone raise %d; a group of 3 raises %d, of 60 raises %d (%.2f per raise), BEGIN and COMMIT included", lone, three, sixty, float64(sixty)/60)
	require.Equal(t, three, sixty, "the count does not grow with the group")
	require.LessOrEqual(t, lone, three)
}
