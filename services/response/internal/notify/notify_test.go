package notify_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jonboulle/clockwork"
	"github.com/stretchr/testify/require"

	"github.com/chuishao/whistle/platform/auth"
	"github.com/chuishao/whistle/platform/bus"
	"github.com/chuishao/whistle/platform/clock"
	"github.com/chuishao/whistle/platform/postgres"
	"github.com/chuishao/whistle/platform/postgres/pgtest"
	"github.com/chuishao/whistle/proto/events"
	eventsv1 "github.com/chuishao/whistle/proto/gen/whistle/events/v1"
	responsev1 "github.com/chuishao/whistle/proto/gen/whistle/response/v1"
	typesv1 "github.com/chuishao/whistle/proto/gen/whistle/types/v1"
	"github.com/chuishao/whistle/services/response/internal/notify"
	"github.com/chuishao/whistle/services/response/internal/notify/whistlewebhook"
	"github.com/chuishao/whistle/services/response/migrations"
)

var t0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

// secret is a Standard Webhooks secret: whsec_ and the base64 of 32 bytes.
const secret = "whsec_cG9saWNlLWNvbW1hbmQtc3lzdGVtLXNlY3JldC0zMmI="

// rig is a migrated response schema with the service's outbox, a delivery
// worker on a fake clock, and a webhook receiver. No stream and no consumer:
// the deliveries are queued where the events are written.
type rig struct {
	t    *testing.T
	ctx  context.Context
	clk  *clockwork.FakeClock
	pool *pgxpool.Pool
	out  *notify.Outbox
	subs *notify.Subscriptions
	recv *receiver
	dl   *notify.Deliveries
}

// receiver is a department's system: it checks every signature with the
// receiver of docs/webhooks.md and answers with the status its test sets.
type receiver struct {
	t        *testing.T
	clk      clock.Clock
	mu       sync.Mutex
	status   int
	redirect string
	// secrets are the secrets the department's system may hold (default: secret).
	secrets []string
	hits    chan hit
}

type hit struct {
	status int
	event  string
	id     string
	body   map[string]any
	// verifiedBy are the receiver's secrets under which the delivery verified.
	verifiedBy []string
}

func (r *receiver) setSecrets(s ...string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.secrets = s
}

func (r *receiver) setStatus(s int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.status = s
}

func (r *receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, err := io.ReadAll(req.Body)
	if err != nil {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	r.mu.Lock()
	status, redirect, secrets := r.status, r.redirect, r.secrets
	r.mu.Unlock()
	var verifiedBy []string
	for _, s := range secrets {
		req.Body = io.NopCloser(bytes.NewReader(body))
		if _, err := whistlewebhook.Verify(req, s, r.clk.Now()); err == nil {
			verifiedBy = append(verifiedBy, s)
		}
	}
	if len(verifiedBy) == 0 {
		w.WriteHeader(http.StatusUnauthorized)
		r.hits <- hit{status: http.StatusUnauthorized}
		return
	}
	var parsed map[string]any
	if err := json.Unmarshal(body, &parsed); err != nil {
		w.WriteHeader(http.StatusBadRequest)
		r.hits <- hit{status: http.StatusBadRequest}
		return
	}
	h := hit{event: req.Header.Get(notify.HeaderEvent), id: req.Header.Get(notify.HeaderID), body: parsed, verifiedBy: verifiedBy}
	if redirect != "" {
		http.Redirect(w, req, redirect, http.StatusFound)
		h.status = http.StatusFound
		r.hits <- h
		return
	}
	w.WriteHeader(status)
	h.status = status
	r.hits <- h
}

func newRig(t *testing.T, w notify.Worker) *rig {
	t.Helper()
	return newThrottledRig(t, w, notify.Throttle{})
}

// newThrottledRig is newRig with a throttle on the endpoints.
func newThrottledRig(t *testing.T, w notify.Worker, th notify.Throttle) *rig {
	t.Helper()
	// The departments' systems are loopback test servers: allowed explicitly.
	loopback, err := notify.ParseEgress("127.0.0.1", "")
	require.NoError(t, err)
	w.Egress = loopback
	return newRigWith(t, w, th)
}

// newRigWith is a rig whose worker is w as given, egress policy included.
func newRigWith(t *testing.T, w notify.Worker, th notify.Throttle) *rig {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	url := pgtest.NewDatabaseFrom(t, "response", pgtest.Migrated("response", bus.Migrations, postgres.Migrations{Name: "response", FS: migrations.FS}))
	pool, err := postgres.Connect(ctx, url, "response")
	require.NoError(t, err)
	t.Cleanup(pool.Close)

	clk := clock.NewFake(t0)
	recv := &receiver{t: t, clk: clk, status: http.StatusOK, secrets: []string{secret}, hits: make(chan hit, 100)}
	srv := httptest.NewServer(recv)
	t.Cleanup(srv.Close)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	require.NoError(t, notify.SyncEndpoints(ctx, pool, t0, 0, []notify.Endpoint{
		{Department: "police", DistrictID: "110101", URL: srv.URL + "/hook", Secret: secret},
		{Department: "police", DistrictID: "110105", URL: srv.URL + "/elsewhere", Secret: "not-this-one-at-all"},
		{Department: "closed", DistrictID: "110101", URL: "http://" + closedAddr(t) + "/hook", Secret: secret},
	}))
	subs := &notify.Subscriptions{Pool: pool}
	require.NoError(t, subs.Reload(ctx))
	r := &rig{t: t, ctx: ctx, clk: clk, pool: pool, recv: recv, dl: &notify.Deliveries{Pool: pool, Clock: clk}, subs: subs,
		out: &notify.Outbox{Clock: clk, Log: log, Throttle: th, Subscriptions: subs}}
	w.Recheck = 20 * time.Millisecond
	n := &notify.Notifier{Pool: pool, Clock: clk, Log: log, Worker: w, Subscriptions: subs}
	r.run(n.Run)
	return r
}

// closedAddr is a loopback address nothing listens on.
func closedAddr(t *testing.T) string {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := lis.Addr().String()
	require.NoError(t, lis.Close())
	return addr
}

// run runs task until the test ends.
func (r *rig) run(task func(context.Context) error) {
	ctx, cancel := context.WithCancel(r.ctx)
	done := make(chan error, 1)
	go func() { done <- task(ctx) }()
	r.t.Cleanup(func() {
		cancel()
		require.NoError(r.t, <-done)
	})
}

// publish writes a dispatch.created for department in district 110101 to
// the service's outbox, as the dispatch consumer does, and commits it.
func (r *rig) publish(department, dispatchID string) *eventsv1.Event {
	ev := events.New(r.clk.Now(), &typesv1.Actor{Role: "system", Id: "response"})
	ev.WhistleId, ev.DistrictId, ev.DispatchId, ev.Department = "w-"+dispatchID, "110101", dispatchID, department
	ev.Payload = &eventsv1.Event_DispatchCreated{DispatchCreated: &eventsv1.DispatchCreated{
		Dispatch: &responsev1.Dispatch{Id: dispatchID, Department: department, DistrictId: "110101"},
	}}
	require.NoError(r.t, pgx.BeginFunc(r.ctx, r.pool, func(tx pgx.Tx) error { return r.out.Add(r.ctx, tx, ev) }))
	return ev
}

func (r *rig) nextHit() hit {
	r.t.Helper()
	select {
	case h := <-r.recv.hits:
		return h
	case <-time.After(10 * time.Second):
		r.t.Fatal("no webhook arrived")
		return hit{}
	}
}

// waitAttempts waits until the dispatch's delivery log has n attempts and returns it.
func (r *rig) waitAttempts(dispatchID string, n int) []notify.Attempt {
	r.t.Helper()
	var log []notify.Attempt
	require.Eventually(r.t, func() bool {
		var err error
		log, err = r.dl.Log(r.ctx, "", dispatchID)
		require.NoError(r.t, err)
		return len(log) == n
	}, 10*time.Second, 10*time.Millisecond)
	return log
}

func TestASignedDeliveryReachesTheDepartmentsEndpoint(t *testing.T) {
	t.Parallel()
	r := newRig(t, notify.Worker{})
	r.publish("fire", "d-other") // no endpoint for fire: nothing is sent
	ev := r.publish("police", "d1")

	h := r.nextHit()
	require.Equal(t, http.StatusOK, h.status, "the receiver accepted the signature")
	require.Equal(t, []string{secret}, h.verifiedBy)
	require.NotEmpty(t, h.id, "webhook-id")
	require.Equal(t, "dispatch.created", h.event)
	require.Equal(t, ev.GetId(), h.body["id"])
	require.Equal(t, "d1", h.body["dispatch_id"], "proto field names in the body")
	require.Contains(t, h.body, "dispatch_created")

	log := r.waitAttempts("d1", 1)
	require.Equal(t, "delivered", log[0].Status)
	require.Equal(t, http.StatusOK, log[0].StatusCode)
	other, err := r.dl.Log(r.ctx, "", "d-other")
	require.NoError(t, err)
	require.Empty(t, other)
}

func TestAFlakyReceiverGetsTheDeliveryOnceAfterBackoff(t *testing.T) {
	t.Parallel()
	r := newRig(t, notify.Worker{Backoff: 30 * time.Second, MaxAttempts: 8})
	r.recv.setStatus(http.StatusInternalServerError)
	r.publish("police", "d2")

	backoffs := []time.Duration{30 * time.Second, time.Minute, 2 * time.Minute}
	for i, wait := range backoffs {
		require.Equal(t, http.StatusInternalServerError, r.nextHit().status)
		r.waitAttempts("d2", i+1)
		if i == len(backoffs)-1 {
			r.recv.setStatus(http.StatusOK) // the department's system recovers
		}
		r.clk.Advance(wait)
	}
	require.Equal(t, http.StatusOK, r.nextHit().status)

	log := r.waitAttempts("d2", 4)
	codes := make([]int, len(log))
	at := make([]time.Time, len(log))
	for i, a := range log {
		codes[i], at[i] = a.StatusCode, a.AttemptedAt
		require.Equal(t, "delivered", a.Status)
	}
	require.Equal(t, []int{500, 500, 500, 200}, codes)
	require.Equal(t, []time.Time{t0, t0.Add(30 * time.Second), t0.Add(90 * time.Second), t0.Add(210 * time.Second)}, at,
		"each retry waited twice as long as the one before")
	// Delivered means no further attempt, however long the clock runs.
	r.clk.Advance(24 * time.Hour)
	r.publish("police", "d-sentinel")
	require.Equal(t, http.StatusOK, r.nextHit().status)
	r.waitAttempts("d-sentinel", 1)
	require.Len(t, r.waitAttempts("d2", 4), 4)
}

func TestAPermanentlyFailingEndpointIsDeadLetteredAndReplayed(t *testing.T) {
	t.Parallel()
	r := newRig(t, notify.Worker{Backoff: 10 * time.Second, MaxAttempts: 3})
	r.recv.setStatus(http.StatusServiceUnavailable)
	r.publish("police", "d3")

	for i := range 3 {
		require.Equal(t, http.StatusServiceUnavailable, r.nextHit().status)
		r.waitAttempts("d3", i+1)
		r.clk.Advance(time.Hour)
	}
	var dead []notify.DeadLetter
	require.Eventually(t, func() bool {
		var err error
		dead, err = r.dl.DeadLetters(r.ctx, "110101", 10)
		require.NoError(t, err)
		return len(dead) == 1
	}, 10*time.Second, 10*time.Millisecond)
	require.Equal(t, "d3", dead[0].DispatchID)
	require.Equal(t, "dispatch.created", dead[0].EventName)
	require.Equal(t, 3, dead[0].Attempts)
	require.Equal(t, http.StatusServiceUnavailable, dead[0].LastStatusCode)
	require.Equal(t, "police", dead[0].Department)
	others, err := r.dl.DeadLetters(r.ctx, "110105", 10)
	require.NoError(t, err)
	require.Empty(t, others, "another district's supervisor sees none")

	r.recv.setStatus(http.StatusOK)
	require.ErrorIs(t, r.dl.Replay(r.ctx, "110105", dead[0].ID), notify.ErrNotDead, "not another district's to replay")
	require.NoError(t, r.dl.Replay(r.ctx, "110101", dead[0].ID))
	require.Equal(t, http.StatusOK, r.nextHit().status)
	log := r.waitAttempts("d3", 4)
	require.Equal(t, "delivered", log[3].Status)
	dead, err = r.dl.DeadLetters(r.ctx, "", 10)
	require.NoError(t, err)
	require.Empty(t, dead)
	require.ErrorIs(t, r.dl.Replay(r.ctx, "", log[3].DeliveryID), notify.ErrNotDead, "delivered is not dead")
}

func TestParseEndpoints(t *testing.T) {
	t.Parallel()
	eps, err := notify.ParseEndpoints("police@110101=https://cmd.example/hook|s1, chengguan@110105=http://cg.example:8080/w|s2")
	require.NoError(t, err)
	require.Equal(t, []notify.Endpoint{
		{Department: "police", DistrictID: "110101", URL: "https://cmd.example/hook", Secret: "s1"},
		{Department: "chengguan", DistrictID: "110105", URL: "http://cg.example:8080/w", Secret: "s2"},
	}, eps)
	eps, err = notify.ParseEndpoints("")
	require.NoError(t, err)
	require.Empty(t, eps)
	for _, bad := range []string{"police=https://x|s", "police@1=ftp://x|s", "police@1=https://x", "@1=https://x|s"} {
		_, err := notify.ParseEndpoints(bad)
		require.Error(t, err, bad)
	}
}

// TestAnEndpointChangedThroughTheAPIAppliesToTheNextEvent: the subscriptions
// held in memory follow the admin API at once, so an endpoint added after
// they were loaded gets the very next event, and a disabled one none.
func TestAnEndpointChangedThroughTheAPIAppliesToTheNextEvent(t *testing.T) {
	t.Parallel()
	r := newRig(t, notify.Worker{})
	queued := func(dispatchID string) int {
		var n int
		require.NoError(t, r.pool.QueryRow(r.ctx, `SELECT count(*) FROM webhook_deliveries WHERE dispatch_id = $1`, dispatchID).Scan(&n))
		return n
	}
	r.publish("fire", "d-before")
	require.Zero(t, queued("d-before"), "nobody subscribes to fire yet")

	loopback, err := notify.ParseEgress("127.0.0.1", "")
	require.NoError(t, err)
	eps := &notify.Endpoints{Pool: r.pool, Clock: r.clk, Egress: loopback, Subscriptions: r.subs}
	admin := auth.Identity{Role: auth.RoleAdmin, Subject: "admin"}
	ep, err := eps.Create(r.ctx, admin, "fire", "110101", "http://127.0.0.1:1/fire", "fire-secret-0123456789")
	require.NoError(t, err)
	r.publish("fire", "d-after")
	require.Equal(t, 1, queued("d-after"), "queued with the event")

	off := false
	_, err = eps.Update(r.ctx, admin, ep.ID, notify.EndpointChange{Enabled: &off})
	require.NoError(t, err)
	r.publish("fire", "d-disabled")
	require.Zero(t, queued("d-disabled"))
}
