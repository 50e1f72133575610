package app_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"

	"github.com/chuishao/whistle/platform/auth"
	"github.com/chuishao/whistle/proto/events"
	responsev1 "github.com/chuishao/whistle/proto/gen/whistle/response/v1"
	"github.com/chuishao/whistle/services/response/internal/notify"
	"github.com/chuishao/whistle/services/response/internal/notify/whistlewebhook"
)

// webhookHit is what the department's system received, already checked against its secret.
type webhookHit struct {
	event, dispatchID string
	signed            bool
}

func TestDepartmentsSystemIsToldOfNewDispatchesAndBreaches(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	hits := make(chan webhookHit, 20)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := whistlewebhook.Verify(r, "police-secret", e.clk.Now())
		var ev struct {
			DispatchID string `json:"dispatch_id"`
		}
		_ = json.Unmarshal(body, &ev)
		hits <- webhookHit{
			event: r.Header.Get(notify.HeaderEvent), dispatchID: ev.DispatchID,
			signed: err == nil,
		}
	}))
	t.Cleanup(srv.Close)
	e.cfg.Webhooks = department + "@" + district + "=" + srv.URL + "|police-secret"
	e.cfg.WebhookAllow = "127.0.0.1" // the department's system is a loopback test server
	e.start()
	created := e.watch(events.SubjectFor("dispatch.created"))
	sla := e.watch("sla.v1.>")

	e.createDispatch(created, e.request("d-1", "w-1", department))
	e.createDispatch(created, e.request("d-fire", "w-2", "fire")) // no endpoint: the police system hears nothing of it
	next := func() webhookHit {
		t.Helper()
		select {
		case h := <-hits:
			return h
		case <-time.After(10 * time.Second):
			t.Fatal("no webhook arrived")
			return webhookHit{}
		}
	}
	require.Equal(t, webhookHit{event: "dispatch.created", dispatchID: "d-1", signed: true}, next())

	// Nobody acknowledges: the 80 % warning and then the breach of the ack clock reach the system too.
	e.advanceUntil(t0.Add(5*time.Minute), 30*time.Second, sla, isBreach("d-1", "ack"))
	got := map[string]bool{}
	for len(got) < 2 {
		h := next()
		require.Equal(t, "d-1", h.dispatchID)
		require.True(t, h.signed)
		got[h.event] = true
	}
	require.Equal(t, map[string]bool{"sla.warning": true, "sla.breached": true}, got)
}

func TestABadWebhookEntryIsRejectedAtStart(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.cfg.Webhooks = "police@110101=not-a-url|secret"
	err := e.cfg.Validate()
	require.ErrorContains(t, err, "WHISTLE_WEBHOOKS")

	e.cfg.Webhooks = "police@110101=http://127.0.0.1:9000/hook|police-secret"
	require.ErrorContains(t, e.cfg.Validate(), "WHISTLE_WEBHOOK_ALLOW", "a loopback endpoint needs the allow-list")
	e.cfg.WebhookAllow = "127.0.0.0/8"
	require.NoError(t, e.cfg.Validate())
	e.cfg.WebhookAllow = "10.0.0.0/33"
	require.ErrorContains(t, e.cfg.Validate(), "WHISTLE_WEBHOOK_ALLOW")
	e.cfg.WebhookAllow, e.cfg.WebhookDeny = "", "cmd.example"
	require.ErrorContains(t, e.cfg.Validate(), "WHISTLE_WEBHOOK_DENY")
}

func TestSupervisorSeesAndReplaysDeadLetters(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	var answer atomic.Int32
	answer.Store(http.StatusServiceUnavailable)
	hits := make(chan int, 50)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		code := int(answer.Load())
		w.WriteHeader(code)
		if r.Header.Get(notify.HeaderEvent) == "dispatch.created" {
			hits <- code
		}
	}))
	t.Cleanup(srv.Close)
	e.cfg.Webhooks = department + "@" + district + "=" + srv.URL + "|police-secret"
	e.cfg.WebhookAllow = "127.0.0.1" // the department's system is a loopback test server
	e.cfg.WebhookBackoff, e.cfg.WebhookMaxAttempts = 10*time.Second, 2
	a := e.start()
	created := e.watch(events.SubjectFor("dispatch.created"))
	supervisor := auth.Identity{Subject: "sup-1", Role: auth.RoleSupervisor, DistrictID: district}
	cli, ctx := e.adminClient(a, supervisor)

	e.createDispatch(created, e.request("d-1", "w-1", department))
	var dead []*responsev1.WebhookDeadLetter
	require.Eventually(t, func() bool {
		if e.clk.Now().Before(t0.Add(time.Minute)) { // the retry is 10 s after the first failure
			e.clk.Advance(5 * time.Second)
		}
		resp, err := cli.ListWebhookDeadLetters(ctx, &responsev1.ListWebhookDeadLettersRequest{})
		require.NoError(t, err)
		dead = resp.GetDeadLetters()
		return len(dead) == 1
	}, 10*time.Second, 20*time.Millisecond)
	require.Equal(t, "d-1", dead[0].GetDispatchId())
	require.Equal(t, "dispatch.created", dead[0].GetEventName())
	require.EqualValues(t, 2, dead[0].GetAttempts())
	require.EqualValues(t, http.StatusServiceUnavailable, dead[0].GetLastStatusCode())

	other, octx := e.adminClient(a, auth.Identity{Subject: "sup-2", Role: auth.RoleSupervisor, DistrictID: "110105"})
	resp, err := other.ListWebhookDeadLetters(octx, &responsev1.ListWebhookDeadLettersRequest{})
	require.NoError(t, err)
	require.Empty(t, resp.GetDeadLetters(), "another district's supervisor sees none")
	_, err = other.ReplayWebhookDeadLetter(octx, &responsev1.ReplayWebhookDeadLetterRequest{Id: dead[0].GetId()})
	requireCode(t, err, codes.NotFound)
	desk, dctx := e.adminClient(a, deskOf(department, district))
	_, err = desk.ListWebhookDeadLetters(dctx, &responsev1.ListWebhookDeadLettersRequest{})
	requireCode(t, err, codes.PermissionDenied)

	answer.Store(http.StatusOK) // the police system is back
	_, err = cli.ReplayWebhookDeadLetter(ctx, &responsev1.ReplayWebhookDeadLetterRequest{Id: dead[0].GetId()})
	require.NoError(t, err)
	for delivered := false; !delivered; {
		select {
		case code := <-hits:
			delivered = code == http.StatusOK
		case <-time.After(10 * time.Second):
			t.Fatal("the replayed delivery did not arrive")
		}
	}
	// The dispatch's delivery log tells the whole story (once the worker has
	// recorded the answer); another district sees none of it.
	var codesSeen []int32
	require.Eventually(t, func() bool {
		log, err := cli.ListWebhookAttempts(ctx, &responsev1.ListWebhookAttemptsRequest{DispatchId: "d-1"})
		require.NoError(t, err)
		codesSeen = nil
		for _, a := range log.GetAttempts() {
			if a.GetEventName() == "dispatch.created" && a.GetStatus() == "delivered" {
				codesSeen = append(codesSeen, a.GetStatusCode())
			}
		}
		return len(codesSeen) == 3
	}, 10*time.Second, 20*time.Millisecond)
	require.Equal(t, []int32{503, 503, 200}, codesSeen)
	resp, err = cli.ListWebhookDeadLetters(ctx, &responsev1.ListWebhookDeadLettersRequest{})
	require.NoError(t, err)
	require.Empty(t, resp.GetDeadLetters())
	_, err = cli.ReplayWebhookDeadLetter(ctx, &responsev1.ReplayWebhookDeadLetterRequest{Id: dead[0].GetId()})
	requireCode(t, err, codes.NotFound)
	olog, err := other.ListWebhookAttempts(octx, &responsev1.ListWebhookAttemptsRequest{DispatchId: "d-1"})
	require.NoError(t, err)
	require.Empty(t, olog.GetAttempts())
}

func TestOnlyAdminsManageWebhookEndpoints(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.cfg.Webhooks = department + "@" + district + "=https://cmd.police.example/hook|police-secret-0001"
	a := e.start()
	sup, sctx := e.adminClient(a, auth.Identity{Subject: "sup-1", Role: auth.RoleSupervisor, DistrictID: district})
	city, cctx := e.adminClient(a, auth.Identity{Subject: "sup-city", Role: auth.RoleSupervisor})
	admin, actx := e.adminClient(a, auth.Identity{Subject: "admin-1", Role: auth.RoleAdmin})

	create := &responsev1.CreateWebhookEndpointRequest{Department: "water", DistrictId: district,
		Url: "https://water.example/hook", Secret: "water-secret-00001"}
	_, err := sup.CreateWebhookEndpoint(sctx, create)
	requireCode(t, err, codes.PermissionDenied)
	_, err = city.CreateWebhookEndpoint(cctx, create)
	requireCode(t, err, codes.PermissionDenied)
	made, err := admin.CreateWebhookEndpoint(actx, create)
	require.NoError(t, err)
	for _, internal := range []string{"http://169.254.169.254/latest/meta-data", "http://localhost:8080/", "http://[::1]/", "http://10.1.2.3/"} {
		_, err = admin.CreateWebhookEndpoint(actx, &responsev1.CreateWebhookEndpointRequest{Department: "water", DistrictId: district,
			Url: internal, Secret: "water-secret-00001"})
		requireField(t, err, "url")
	}

	enabled := false
	_, err = sup.UpdateWebhookEndpoint(sctx, &responsev1.UpdateWebhookEndpointRequest{Id: made.GetId(), Url: "https://attacker.example/"})
	requireCode(t, err, codes.PermissionDenied)
	_, err = sup.UpdateWebhookEndpoint(sctx, &responsev1.UpdateWebhookEndpointRequest{Id: made.GetId(), Enabled: &enabled})
	requireCode(t, err, codes.PermissionDenied)
	_, err = sup.DeleteWebhookEndpoint(sctx, &responsev1.DeleteWebhookEndpointRequest{Id: made.GetId()})
	requireCode(t, err, codes.PermissionDenied)
	listed, err := sup.ListWebhookEndpoints(sctx, &responsev1.ListWebhookEndpointsRequest{})
	require.NoError(t, err, "supervisors still see their district's endpoints")
	require.Len(t, listed.GetEndpoints(), 2)

	// The configured endpoint cannot be pointed elsewhere through the API.
	var configured *responsev1.WebhookEndpoint
	for _, ep := range listed.GetEndpoints() {
		if ep.GetSource() == "env" {
			configured = ep
		}
	}
	require.NotNil(t, configured)
	_, err = admin.UpdateWebhookEndpoint(actx, &responsev1.UpdateWebhookEndpointRequest{Id: configured.GetId(), Url: "https://attacker.example/"})
	requireField(t, err, "url")
	got, err := admin.UpdateWebhookEndpoint(actx, &responsev1.UpdateWebhookEndpointRequest{Id: configured.GetId(), Enabled: &enabled})
	require.NoError(t, err, "an admin may still disable it")
	require.Equal(t, "https://cmd.police.example/hook", got.GetUrl())
	require.False(t, got.GetEnabled())
}
