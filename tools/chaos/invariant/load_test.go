package invariant

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"

	"github.com/chuishao/whistle/platform/bus"
	"github.com/chuishao/whistle/platform/bus/natstest"
	"github.com/chuishao/whistle/platform/postgres"
	"github.com/chuishao/whistle/platform/postgres/pgtest"
	pevents "github.com/chuishao/whistle/proto/events"
	eventsv1 "github.com/chuishao/whistle/proto/gen/whistle/events/v1"
	discoverymig "github.com/chuishao/whistle/services/discovery/migrations"
	feedbackmig "github.com/chuishao/whistle/services/feedback/migrations"
	intakemig "github.com/chuishao/whistle/services/intake/migrations"
	responsemig "github.com/chuishao/whistle/services/response/migrations"
	routingmig "github.com/chuishao/whistle/services/routing/migrations"
)

// system is a database migrated with the services' real schemas and a real
// JetStream stream, holding one flooding whistle routed to its three
// departments in one whistle.routed and dispatched, each dispatch with its
// dispatch.created on the stream.
type system struct {
	db  *pgxpool.Pool
	js  jetstream.JetStream
	api *httptest.Server
	now time.Time
}

func newSystem(t *testing.T) *system {
	ctx := t.Context()
	db, err := pgxpool.New(ctx, pgtest.NewDatabase(t))
	require.NoError(t, err)
	t.Cleanup(db.Close)
	for schema, own := range map[string]postgres.Migrations{
		"intake": intakemig.Set, "discovery": discoverymig.Set, "routing": {Name: "routing", FS: routingmig.FS},
		"response": {Name: "response", FS: responsemig.FS}, "feedback": {Name: "feedback", FS: feedbackmig.FS},
	} {
		require.NoError(t, postgres.Migrate(ctx, db, schema, bus.Migrations, own), schema)
	}
	nc, err := nats.Connect(natstest.Start(t))
	require.NoError(t, err)
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	require.NoError(t, err)
	require.NoError(t, bus.EnsureStream(ctx, js, 1))
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/v1/audit:verify" || r.Header.Get("Authorization") != "Bearer admin" {
			http.NotFound(w, r)
			return
		}
		_, _ = w.Write([]byte(`{"ok":true,"whistles_checked":"1","entries_checked":"5"}`))
	}))
	t.Cleanup(api.Close)
	s := &system{db: db, js: js, api: api, now: t0.Add(10 * time.Minute)}

	s.exec(t, `INSERT INTO routing.departments (code, name, name_en) VALUES
		('water', '水务', 'Water'), ('transport', '交通', 'Transport'), ('emergency', '应急', 'Emergency')`)
	s.exec(t, `INSERT INTO routing.catalogue_versions (version) VALUES ('v1')`)
	s.exec(t, `INSERT INTO routing.categories (code, name, name_en, description, lead_department, cooperating_departments,
		sla_ack_minutes, sla_arrive_minutes, sla_resolve_hours, catalogue_version)
		VALUES ('flooding', '道路积水', 'Flooding', '', 'water', '{transport,emergency}', 5, 30, 12, 'v1')`)
	s.exec(t, `INSERT INTO intake.whistles (id, street_id, district_id, category, description, lat, lng, urgency, status,
		raised_by_role, raised_by_id, raised_at, updated_at, idempotency_key)
		VALUES ('w1', '110101001', '110101', 'flooding', '积水', 39.9, 116.4, 'NORMAL', 'ROUTED', 'street', 's', $1, $1, 'k1')`, t0)
	s.publish(t, "e1", "w1", "", &eventsv1.Event{Payload: &eventsv1.Event_WhistleRaised{}})
	routed := &eventsv1.WhistleRouted{}
	for _, d := range [][2]string{{"d1", "water"}, {"d2", "transport"}, {"d3", "emergency"}} {
		routed.Departments = append(routed.Departments, &eventsv1.RoutedDepartment{
			Department: d[1], DispatchId: d[0], Request: &eventsv1.DispatchRequested{Category: "flooding"}})
	}
	s.publish(t, "e2", "w1", "", &eventsv1.Event{Payload: &eventsv1.Event_WhistleRouted{WhistleRouted: routed}})
	for _, d := range routed.GetDepartments() {
		s.dispatch(t, d.GetDispatchId(), d.GetDepartment())
	}
	return s
}

func (s *system) exec(t *testing.T, sql string, args ...any) {
	t.Helper()
	_, err := s.db.Exec(t.Context(), sql, args...)
	require.NoError(t, err)
}

// dispatch adds a pending dispatch whose ack deadline fell due (and fired)
// and its dispatch.created and sla.breached events.
func (s *system) dispatch(t *testing.T, id, dep string) {
	t.Helper()
	s.exec(t, `INSERT INTO response.dispatches (id, whistle_id, district_id, department, status, dispatched_at,
		sla_started_at, ack_by, arrive_by, resolve_by, updated_at, breaches)
		VALUES ($1, 'w1', '110101', $2, 'PENDING', $3, $3, $4, $5, $6, $3, '{ack}')`,
		id, dep, t0, t0.Add(5*time.Minute), t0.Add(30*time.Minute), t0.Add(12*time.Hour))
	s.publish(t, "c"+id, "w1", id, &eventsv1.Event{Payload: &eventsv1.Event_DispatchCreated{}})
	s.publish(t, "b"+id, "w1", id, &eventsv1.Event{Payload: &eventsv1.Event_SlaBreached{SlaBreached: &eventsv1.SlaBreached{Clock: "ack"}}})
}

func (s *system) publish(t *testing.T, id, whistle, dispatch string, ev *eventsv1.Event) {
	t.Helper()
	ev.Id, ev.WhistleId, ev.DispatchId, ev.DistrictId, ev.Department = id, whistle, dispatch, "110101", "water"
	subject, err := pevents.Subject(ev)
	require.NoError(t, err)
	data, err := proto.Marshal(ev)
	require.NoError(t, err)
	_, err = s.js.Publish(t.Context(), subject, data)
	require.NoError(t, err)
}

func (s *system) check(t *testing.T) Report {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	snap, err := Load(ctx, Sources{DB: s.db, JS: s.js, Stream: bus.StreamName, APIURL: s.api.URL, AdminToken: "admin"},
		s.now, time.Minute, []Raise{{Key: "k1", StreetID: "110101001", WhistleID: "w1", Category: "flooding"}})
	require.NoError(t, err)
	return Check(snap)
}

func TestLoadReadsASettledSystemAsHealthy(t *testing.T) {
	s := newSystem(t)
	r := s.check(t)
	assert.True(t, r.OK(), r.Violations)
	assert.Equal(t, 1, r.Whistles)
	assert.Equal(t, 3, r.Dispatches)
	assert.Equal(t, 8, r.Events)
	assert.Equal(t, 3, r.BreachesFired)
}

func TestLoadCatchesADoctoredDatabaseAndStream(t *testing.T) {
	s := newSystem(t)
	// A department dispatched twice, an event left in an outbox, a deadline
	// fired twice on the stream, a timer left unfired.
	s.exec(t, `INSERT INTO response.dispatches (id, whistle_id, district_id, department, status, dispatched_at,
		sla_started_at, ack_by, arrive_by, resolve_by, updated_at)
		VALUES ('d9', 'w1', '110101', 'water', 'PENDING', $1, $1, $2, $2, $2, $1)`, t0, t0.Add(time.Hour))
	s.exec(t, `INSERT INTO routing.outbox (event_id, subject, payload) VALUES ('x', 'whistle.v1.routed.110101', '')`)
	s.exec(t, `INSERT INTO response.timers (dispatch_id, due_at, clock, kind) VALUES ('d9', $1, 'ack', 'warning')`, t0)
	s.publish(t, "again", "w1", "d2", &eventsv1.Event{Payload: &eventsv1.Event_SlaBreached{SlaBreached: &eventsv1.SlaBreached{Clock: "ack"}}})

	r := s.check(t)
	require.False(t, r.OK())
	for _, want := range []string{"duplicate dispatch:", "outbox not drained:", "deadline fired twice:", "missed deadline:", "lost event:"} {
		assert.True(t, hasPrefix(r.Violations, want), "want %q in %v", want, r.Violations)
	}
}
