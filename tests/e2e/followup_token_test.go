package e2e_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestFollowUpTokensRateOnceAndExpire: a resident's follow-up code rates a
// result once (a second rating is refused until the whistle is reopened and
// resolved again), stops working 30 days after the result, and never appears
// in the gateway's log.
func TestFollowUpTokensRateOnceAndExpire(t *testing.T) {
	t.Parallel()
	logs := &lockedBuffer{}
	s := startSystem(t, options{logs: logs})
	id, w := raise(t, s, donghuamen, "garbage", 2)
	issued := s.do(t, http.MethodPost, "/v1/whistles/"+id+":followUpToken", streetToken(t, s, donghuamen), map[string]any{})
	require.Equal(t, http.StatusOK, issued.status, issued.raw)
	token := str(issued.body["token"])
	follow := func() response { return s.do(t, http.MethodGet, "/v1/public/follow-ups/"+token, "", nil) }
	rate := func(satisfaction int, fixed bool) response {
		return s.do(t, http.MethodPost, "/v1/public/follow-ups/"+token+":rate", "", map[string]any{"satisfaction": satisfaction, "fixed": fixed})
	}

	resolveAll(t, s, w, "已清运")
	eventually(t, "rateable", func() bool { return follow().body["can_rate"] == true })

	// Not fixed: reopened, nothing to rate until the departments resolve again.
	require.Equal(t, http.StatusOK, rate(2, false).status)
	require.Equal(t, http.StatusBadRequest, rate(5, true).status)
	require.Equal(t, false, follow().body["can_rate"])

	// Round 2 resolved: the code rates the new result, once.
	var w2 map[string]any
	eventually(t, "round 2 dispatches", func() bool {
		w2 = s.do(t, http.MethodGet, "/v1/whistles/"+id, streetToken(t, s, donghuamen), nil).body
		pending := 0
		for _, d := range list(w2["dispatches"]) {
			if obj(d)["status"] == "PENDING" {
				pending++
			}
		}
		return pending == 2
	})
	s.clock.Advance(time.Hour)
	pending := map[string]any{"id": w2["id"], "district_id": w2["district_id"], "dispatches": []any{}}
	for _, d := range list(w2["dispatches"]) {
		if obj(d)["status"] == "PENDING" {
			pending["dispatches"] = append(pending["dispatches"].([]any), d)
		}
	}
	resolveAll(t, s, pending, "已彻底清运")
	eventually(t, "round 2 rateable", func() bool { return follow().body["can_rate"] == true })
	require.Equal(t, http.StatusOK, rate(4, true).status)
	again := rate(1, false)
	require.Equal(t, http.StatusBadRequest, again.status, again.raw)
	require.Contains(t, again.raw, "already been rated")
	require.Equal(t, false, follow().body["can_rate"])
	require.EqualValues(t, 4, follow().body["satisfaction"], "the first rating of the round stands")
	require.Equal(t, "CLOSED", s.do(t, http.MethodGet, "/v1/whistles/"+id, streetToken(t, s, donghuamen), nil).body["status"])

	// 30 days after the result the code stops working.
	s.clock.Advance(29 * 24 * time.Hour)
	require.Equal(t, http.StatusOK, follow().status)
	s.clock.Advance(2 * 24 * time.Hour)
	expired := follow()
	require.Equal(t, http.StatusBadRequest, expired.status, expired.raw)
	require.Contains(t, expired.raw, "expired")

	require.Contains(t, logs.String(), "/v1/public/follow-ups/[token]:rate", "the requests were logged")
	require.NotContains(t, logs.String(), token, "a follow-up code in the logs")
}
