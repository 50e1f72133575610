package e2e_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/stretchr/testify/require"

	"github.com/chuishao/whistle/platform/bus"
)

// TestADispatchReachesItsDepartmentsWebhookWithoutAConsumer: an endpoint
// added through the admin API gets the next dispatch.created of its
// department, queued by response as it wrote the event: no consumer of the
// stream is involved (none named response-notify exists).
func TestADispatchReachesItsDepartmentsWebhookWithoutAConsumer(t *testing.T) {
	t.Parallel()
	type post struct{ event, dispatchID string }
	posts := make(chan post, 16)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			DispatchID string `json:"dispatch_id"`
		}
		raw, _ := io.ReadAll(r.Body)
		_ = json.Unmarshal(raw, &body)
		posts <- post{event: r.Header.Get("Whistle-Event"), dispatchID: body.DispatchID}
	}))
	t.Cleanup(srv.Close)
	s := startSystem(t, options{webhookAllow: "127.0.0.1"})

	r := s.do(t, http.MethodPost, "/v1/webhooks/endpoints", adminToken(t, s), map[string]any{
		"department": "police", "district_id": dongcheng, "url": srv.URL + "/hook", "secret": "police-hook-secret-0001"})
	require.Equal(t, http.StatusOK, r.status, r.raw)
	_, w := raise(t, s, donghuamen, "joint-enforcement", 3)
	police := str(dispatchOf(t, w, "police")["id"])

	select {
	case p := <-posts:
		require.Equal(t, post{event: "dispatch.created", dispatchID: police}, p, "only the police dispatch, once")
	case <-time.After(30 * time.Second):
		t.Fatal("no webhook arrived")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, err := s.js.Consumer(ctx, bus.StreamName, "response-notify")
	require.ErrorIs(t, err, jetstream.ErrConsumerNotFound)
}
