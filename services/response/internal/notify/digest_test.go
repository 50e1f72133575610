package notify_test

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/chuishao/whistle/services/response/internal/notify"
)

// TestAStormToOneDeskIsDigested sends 1,000 new dispatches to one desk at
// once: its endpoint gets the first PerMinute one by one and every other one
// listed in a single digest a minute later, so 1,000 events cost 31 posts and
// not one dispatch is missing.
func TestAStormToOneDeskIsDigested(t *testing.T) {
	t.Parallel()
	const storm, perMinute = 1000, 30
	r := newThrottledRig(t, notify.Worker{}, notify.Throttle{PerMinute: perMinute})
	for i := range storm {
		r.publish("police", fmt.Sprintf("d-%04d", i))
	}
	// Every event is either queued alone or collected into the digest.
	require.Eventually(t, func() bool {
		var alone, listed int
		require.NoError(t, r.pool.QueryRow(r.ctx, `SELECT (SELECT count(*) FROM webhook_deliveries WHERE NOT digest),
			(SELECT count(*) FROM webhook_digest_items)`).Scan(&alone, &listed))
		return alone+listed == storm
	}, 60*time.Second, 20*time.Millisecond)

	seen := map[string]int{}
	for range perMinute {
		h := r.nextHit()
		require.Equal(t, http.StatusOK, h.status)
		require.Equal(t, "dispatch.created", h.event)
		seen[h.body["dispatch_id"].(string)]++
	}
	select {
	case h := <-r.recv.hits:
		t.Fatalf("a %q arrived before the digest was due", h.event)
	case <-time.After(100 * time.Millisecond):
	}

	// A minute later the digest arrives, signed like any delivery, listing the rest.
	r.clk.Advance(time.Minute)
	h := r.nextHit()
	require.Equal(t, http.StatusOK, h.status, "the digest is signed")
	require.Equal(t, notify.DigestEvent, h.event)
	require.Equal(t, notify.DigestEvent, h.body["type"])
	require.EqualValues(t, storm-perMinute, h.body["count"])
	items := h.body["items"].([]any)
	require.Len(t, items, storm-perMinute)
	for _, id := range h.body["dispatch_ids"].([]any) {
		seen[id.(string)]++
	}
	require.Len(t, seen, storm, "every dispatch reached the desk")
	// A dispatch only listed in the digest has the digest in its delivery log.
	last := items[len(items)-1].(map[string]any)["dispatch_id"].(string)
	log := r.waitAttempts(last, 1)
	require.Equal(t, notify.DigestEvent, log[0].EventName)
	require.Equal(t, "delivered", log[0].Status)
	for id, n := range seen {
		require.Equal(t, 1, n, "dispatch %s was sent once", id)
	}

	// 31 posts in all; nothing more is on its way.
	var deliveries int
	require.NoError(t, r.pool.QueryRow(r.ctx, `SELECT count(*) FROM webhook_deliveries`).Scan(&deliveries))
	require.Equal(t, perMinute+1, deliveries)
	r.clk.Advance(time.Hour)
	select {
	case h := <-r.recv.hits:
		t.Fatalf("an extra %q arrived", h.event)
	case <-time.After(100 * time.Millisecond):
	}

	// After the window, the desk hears of new dispatches one by one again.
	r.publish("police", "d-after")
	h = r.nextHit()
	require.Equal(t, "dispatch.created", h.event)
	require.Equal(t, "d-after", h.body["dispatch_id"])
}
