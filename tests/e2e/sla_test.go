package e2e_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// timelineCount counts a whistle's timeline entries of one type for one clock.
func timelineCount(t *testing.T, s *system, token, id, typ, clock string) (int, []any) {
	t.Helper()
	tl := s.do(t, http.MethodGet, "/v1/whistles/"+id+"/timeline", token, nil)
	require.Equal(t, http.StatusOK, tl.status, tl.raw)
	n := 0
	for _, e := range list(tl.body["entries"]) {
		e := obj(e)
		if str(e["type"]) == typ && (clock == "" || str(obj(e["data"])["clock"]) == clock) {
			n++
		}
	}
	return n, list(tl.body["entries"])
}

func TestUnacknowledgedDispatchBreachesArrivalOnceWithTwoResponseReplicas(t *testing.T) {
	t.Parallel()
	s := startSystem(t, options{responseReplicas: 2})
	streetTok := streetToken(t, s, donghuamen)
	id, w := raise(t, s, donghuamen, "joint-enforcement", 3)

	// 29 minutes in, nothing has breached the arrival clock yet.
	for range 29 {
		s.clock.Advance(time.Minute)
	}
	n, _ := timelineCount(t, s, streetTok, id, "sla.breached", "arrive")
	require.Zero(t, n, "arrival breached before 30 minutes")

	// Past 30 minutes each unacknowledged dispatch breaches its arrival clock.
	eventually(t, "three arrival breaches", func() bool {
		s.clock.Advance(10 * time.Second) // small steps: a poller may have just gone to sleep
		n, _ := timelineCount(t, s, streetTok, id, "sla.breached", "arrive")
		return n >= 3
	})

	// Something that happens strictly afterwards, to know that any duplicate would have arrived by now.
	policeID := str(dispatchOf(t, w, "police")["id"])
	ack := s.do(t, http.MethodPost, "/v1/dispatches/"+policeID+":acknowledge", deskToken(t, s, dongcheng, "police"), map[string]any{})
	require.Equal(t, http.StatusOK, ack.status, ack.raw)
	eventually(t, "late acknowledgement on the timeline", func() bool {
		n, _ := timelineCount(t, s, streetTok, id, "dispatch.acknowledged", "")
		return n == 1
	})

	_, entries := timelineCount(t, s, streetTok, id, "", "")
	perDispatch := map[string]int{}
	for _, e := range entries {
		e := obj(e)
		if str(e["type"]) == "sla.breached" && str(obj(e["data"])["clock"]) == "arrive" {
			perDispatch[str(e["dispatch_id"])]++
		}
	}
	require.Len(t, perDispatch, 3)
	for d, n := range perDispatch {
		require.Equal(t, 1, n, "dispatch %s breached its arrival clock %d times", d, n)
	}

	// The breach is recorded on the dispatch itself.
	got := s.do(t, http.MethodGet, "/v1/whistles/"+id, streetTok, nil)
	for _, d := range list(got.body["dispatches"]) {
		require.Contains(t, list(obj(d)["breaches"]), "arrive", "dispatch %s", obj(d)["department"])
	}
}

func TestArrivalInTimeDoesNotBreach(t *testing.T) {
	t.Parallel()
	s := startSystem(t, options{})
	streetTok := streetToken(t, s, donghuamen)
	id, w := raise(t, s, "110101001", "joint-enforcement", 3)
	policeTok := deskToken(t, s, dongcheng, "police")
	policeID := str(dispatchOf(t, w, "police")["id"])

	s.clock.Advance(2 * time.Minute)
	require.Equal(t, http.StatusOK, s.do(t, http.MethodPost, "/v1/dispatches/"+policeID+":acknowledge", policeTok, map[string]any{}).status)
	s.clock.Advance(20 * time.Minute)
	require.Equal(t, http.StatusOK, s.do(t, http.MethodPost, "/v1/dispatches/"+policeID+":arrive", policeTok,
		map[string]any{"location": map[string]any{"lat": 39.9146, "lng": 116.4036}}).status)

	eventually(t, "the other two dispatches breach", func() bool {
		s.clock.Advance(time.Minute)
		n, _ := timelineCount(t, s, streetTok, id, "sla.breached", "arrive")
		return n == 2
	})
	_, entries := timelineCount(t, s, streetTok, id, "", "")
	for _, e := range entries {
		e := obj(e)
		if str(e["type"]) == "sla.breached" {
			require.NotEqual(t, policeID, str(e["dispatch_id"]), "police arrived in time but breached %v", obj(e["data"])["clock"])
		}
	}
}
