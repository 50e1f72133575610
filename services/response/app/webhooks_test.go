package app_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/chuishao/whistle/proto/events"
	"github.com/chuishao/whistle/services/response/internal/notify"
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
		body, _ := io.ReadAll(r.Body)
		ts, err := strconv.ParseInt(r.Header.Get(notify.HeaderTimestamp), 10, 64)
		var ev struct {
			DispatchID string `json:"dispatch_id"`
		}
		_ = json.Unmarshal(body, &ev)
		hits <- webhookHit{
			event: r.Header.Get(notify.HeaderEvent), dispatchID: ev.DispatchID,
			signed: err == nil && notify.Verify("police-secret", ts, body, r.Header.Get(notify.HeaderSignature)),
		}
	}))
	t.Cleanup(srv.Close)
	e.cfg.Webhooks = department + "@" + district + "=" + srv.URL + "|police-secret"
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
}
