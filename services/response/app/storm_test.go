package app_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/chuishao/whistle/platform/bus"
	"github.com/chuishao/whistle/platform/clock"
	"github.com/chuishao/whistle/services/response/internal/notify"
	"github.com/chuishao/whistle/services/response/internal/notify/whistlewebhook"
)

// stormReceiver is the police system during a storm: it checks every
// signature and notes which dispatches each post told it about.
type stormReceiver struct {
	clk     clock.Clock
	mu      sync.Mutex
	posts   int
	digests int
	seen    map[string]int
	bad     int
}

func (r *stormReceiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, err := whistlewebhook.Verify(req, "police-secret", r.clk.Now())
	r.mu.Lock()
	defer r.mu.Unlock()
	r.posts++
	if err != nil {
		r.bad++
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	var parsed struct {
		DispatchID  string   `json:"dispatch_id"`
		DispatchIDs []string `json:"dispatch_ids"`
	}
	_ = json.Unmarshal(body, &parsed)
	if req.Header.Get(notify.HeaderEvent) == notify.DigestEvent {
		r.digests++
		for _, id := range parsed.DispatchIDs {
			r.seen[id]++
		}
		return
	}
	r.seen[parsed.DispatchID]++
}

func (r *stormReceiver) counts() (posts, digests, dispatches int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.posts, r.digests, len(r.seen)
}

// TestAStormOfDispatchesReachesTheDeskAsADigest raises 1,000 dispatches for
// one desk at once through the whole service: the desk's system gets a
// bounded number of posts (the limit per minute, then one digest), and every
// dispatch is in exactly one of them.
func TestAStormOfDispatchesReachesTheDeskAsADigest(t *testing.T) {
	if testing.Short() {
		t.Skip("1,000 dispatches through the whole service; internal/notify has the quick version")
	}
	t.Parallel()
	const storm = 1000
	e := newEnv(t)
	recv := &stormReceiver{clk: e.clk, seen: map[string]int{}}
	srv := httptest.NewServer(recv)
	t.Cleanup(srv.Close)
	e.cfg.Webhooks = department + "@" + district + "=" + srv.URL + "|police-secret"
	e.cfg.WebhookAllow = "127.0.0.1" // the department's system is a loopback test server
	e.start()

	for i := range storm {
		e.publish(e.request(fmt.Sprintf("d-%04d", i), fmt.Sprintf("w-%04d", i), department))
	}
	// Wait (boundedly, in real time) until the service has created every
	// dispatch, queueing or collecting each dispatch.created's webhook as it
	// wrote the event.
	require.Eventually(t, func() bool {
		cons, err := e.js.Consumer(e.ctx, bus.StreamName, "response")
		if err != nil {
			return false
		}
		info, err := cons.Info(e.ctx)
		if err != nil || info.NumPending > 0 || info.NumAckPending > 0 || info.Delivered.Stream == 0 {
			return false
		}
		n, err := e.db.CountOutbox(e.ctx)
		return err == nil && n == 0
	}, 120*time.Second, 50*time.Millisecond)
	require.Eventually(t, func() bool {
		posts, _, _ := recv.counts()
		return posts == notify.DefaultPerMinute
	}, 30*time.Second, 20*time.Millisecond, "the first 30 arrive one by one")

	e.clk.Advance(time.Minute)
	require.Eventually(t, func() bool {
		_, digests, _ := recv.counts()
		return digests == 1
	}, 30*time.Second, 20*time.Millisecond, "the rest arrive as one digest a minute later")

	posts, digests, dispatches := recv.counts()
	t.Logf("%d dispatches -> %d posts (%d digest)", storm, posts, digests)
	require.Equal(t, notify.DefaultPerMinute+1, posts)
	require.Equal(t, storm, dispatches, "every dispatch reached the desk")
	recv.mu.Lock()
	defer recv.mu.Unlock()
	require.Zero(t, recv.bad, "every post was signed")
	for id, n := range recv.seen {
		require.Equal(t, 1, n, "dispatch %s told once", id)
	}
}
