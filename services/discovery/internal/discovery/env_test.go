package discovery

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jonboulle/clockwork"
	"github.com/stretchr/testify/require"

	"github.com/chuishao/whistle/platform/auth"
	"github.com/chuishao/whistle/platform/bus"
	"github.com/chuishao/whistle/platform/clock"
	"github.com/chuishao/whistle/platform/invalid"
	"github.com/chuishao/whistle/platform/postgres/pgtest"
	"github.com/chuishao/whistle/platform/whistlestatus"
	intakev1 "github.com/chuishao/whistle/proto/gen/whistle/intake/v1"
	routingv1 "github.com/chuishao/whistle/proto/gen/whistle/routing/v1"
	typesv1 "github.com/chuishao/whistle/proto/gen/whistle/types/v1"

	"github.com/chuishao/whistle/services/discovery/internal/reports"
	"github.com/chuishao/whistle/services/discovery/internal/whistle"
	"github.com/chuishao/whistle/services/discovery/migrations"
)

var t0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

const (
	streetA  = "110101001"
	streetB  = "110101002"
	streetC  = "110102001" // another district's
	district = "110101"
)

// The callers of the tests.
var (
	street   = auth.Identity{Subject: "street-a", Role: auth.RoleStreet, StreetID: streetA, DistrictID: district}
	streetOf = auth.Identity{Subject: "street-b", Role: auth.RoleStreet, StreetID: streetB, DistrictID: district}
	grid1    = auth.Identity{Subject: "grid-1", Role: auth.RoleGrid, StreetID: streetA, DistrictID: district, GridID: "g1"}
	grid2    = auth.Identity{Subject: "grid-2", Role: auth.RoleGrid, StreetID: streetA, DistrictID: district, GridID: "g2"}
	sup      = auth.Identity{Subject: "sup", Role: auth.RoleSupervisor, DistrictID: district}
	supOther = auth.Identity{Subject: "sup-2", Role: auth.RoleSupervisor, DistrictID: "110102"}
	city     = auth.Identity{Subject: "city", Role: auth.RoleSupervisor}
	desk     = auth.Identity{Subject: "desk", Role: auth.RoleDesk, DistrictID: district, Department: "police"}
	public   = auth.Identity{Subject: "public", Role: auth.RolePublic}
)

// refs is routing as the tests know it: three streets and the category noise.
type refs struct{}

func (refs) District(_ context.Context, streetID, category string) (string, error) {
	var f invalid.Violations
	st, _ := refs{}.Street(context.Background(), streetID)
	if st == nil {
		f.Add("street_id", "unknown street")
	}
	if category != "noise" {
		f.Add("category", "unknown category")
	}
	if err := f.Err(); err != nil {
		return "", err
	}
	return st.GetDistrictId(), nil
}

func (refs) Street(_ context.Context, id string) (*routingv1.Street, error) {
	switch id {
	case streetA, streetB:
		return &routingv1.Street{Id: id, DistrictId: district, Centroid: &typesv1.LatLng{Lat: 39.9, Lng: 116.4}}, nil
	case streetC:
		return &routingv1.Street{Id: id, DistrictId: "110102"}, nil
	}
	return nil, nil
}

func (refs) CategoryKnown(_ context.Context, code string) (bool, error) { return code == "noise", nil }

// whistles is the whistle side: whistles it answers by id, and what
// discovery asked of it.
type whistles struct {
	mu       sync.Mutex
	known    map[string]*intakev1.Whistle
	raised   []raiseCall
	reopened []string
	closed   []string
}

type raiseCall struct {
	actor auth.Identity
	req   *intakev1.RaiseWhistleRequest
	key   string
}

func (w *whistles) Raise(_ context.Context, actor auth.Identity, req *intakev1.RaiseWhistleRequest, key string) (*intakev1.Whistle, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.raised = append(w.raised, raiseCall{actor, req, key})
	return &intakev1.Whistle{Id: "w-raised", StreetId: req.GetStreetId(), Status: intakev1.Whistle_RAISED}, nil
}

func (w *whistles) Get(_ context.Context, viewer auth.Identity, id string) (*intakev1.Whistle, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if wh, ok := w.known[id]; ok && (viewer.Role != auth.RoleStreet || wh.GetStreetId() == viewer.StreetID) {
		return wh, nil
	}
	return nil, whistle.ErrNotFound
}

func (w *whistles) Reopen(_ context.Context, id string, actor *typesv1.Actor, reason string) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.reopened = append(w.reopened, id+" by "+actor.GetRole()+": "+reason)
	return nil
}

func (w *whistles) Close(_ context.Context, id string, actor *typesv1.Actor, _ int32, _ string) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.closed = append(w.closed, id+" by "+actor.GetRole())
	return nil
}

type env struct {
	s     *Service
	pool  *pgxpool.Pool
	clock *clockwork.FakeClock
	w     *whistles
}

// newEnv is the service on a fresh discovery schema.
func newEnv(t *testing.T) *env {
	t.Helper()
	url := pgtest.NewDatabaseFrom(t, "discovery", pgtest.Migrated("discovery", bus.Migrations, migrations.Set))
	pool, _ := pgtest.CountedPool(t, url, "discovery")
	e := &env{pool: pool, clock: clock.NewFake(t0), w: &whistles{known: map[string]*intakev1.Whistle{}}}
	e.s = &Service{Pool: pool, Clock: e.clock, Whistles: e.w, Refs: refs{}}
	return e
}

// file files a report on street s as id (a grid worker's or a street's),
// or a resident's when id is the zero identity.
func (e *env) file(t *testing.T, id auth.Identity, s string, description string) Filed {
	t.Helper()
	n := reports.New{StreetID: s, Category: "noise", Description: description, HasLocation: true, Lat: 39.914, Lng: 116.404}
	var f invalid.Violations
	var out Filed
	var err error
	if id.Role == "" {
		out, err = e.s.SubmitPublicReport(t.Context(), n, Contact{Name: "王女士", Phone: "13800000000"}, &f)
	} else {
		out, err = e.s.FileReport(t.Context(), id, n, &f)
	}
	require.NoError(t, err)
	return out
}

// outbox is the subjects written to the outbox, in order.
func (e *env) outbox(t *testing.T) []string {
	t.Helper()
	rows, err := e.pool.Query(t.Context(), `SELECT subject FROM outbox ORDER BY id`)
	require.NoError(t, err)
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		require.NoError(t, rows.Scan(&s))
		out = append(out, s)
	}
	require.NoError(t, rows.Err())
	return out
}

// kind names the class of an error the API maps to a status.
func kind(err error) string {
	var bad invalid.Error
	var state *whistlestatus.StateError
	switch {
	case err == nil:
		return "ok"
	case errors.As(err, &bad):
		return "invalid"
	case errors.As(err, &state):
		return "state"
	case errors.Is(err, whistle.ErrNotFound):
		return "not found"
	case errors.Is(err, whistle.ErrPermissionDenied):
		return "denied"
	case errors.Is(err, reports.ErrAlreadyRated):
		return "already rated"
	case errors.Is(err, reports.ErrTokenExpired):
		return "expired"
	}
	return "other: " + err.Error()
}
