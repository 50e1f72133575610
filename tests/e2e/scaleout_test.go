package e2e_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// oneStreetPerDistrict is a street of each of Beijing's 16 districts, with a
// point inside it (its centroid), so whistles spread over every partition.
var oneStreetPerDistrict = []struct {
	id       string
	lat, lng float64
}{
	{"110101001", 39.9125, 116.4015}, {"110102001", 39.91, 116.381}, {"110105001", 39.9065, 116.459},
	{"110106001", 39.8635, 116.3675}, {"110107001", 39.905, 116.235}, {"110108010", 40.002, 116.345},
	{"110109001", 39.9435, 116.1025}, {"110111001", 39.7, 115.985}, {"110112001", 39.9025, 116.6625},
	{"110113001", 40.1335, 116.6635}, {"110114001", 40.229, 116.23}, {"110115001", 39.73, 116.335},
	{"110116001", 40.325, 116.6375}, {"110117001", 40.1425, 117.115}, {"110118001", 40.3775, 116.845},
	{"110119001", 40.4625, 115.975},
}

// handledBy counts the routing decisions (each carrying a whistle's dispatch
// requests) a response replica's consumer applied (not skipped as
// duplicates), from its debug log.
func handledBy(logs *lockedBuffer, replica int) int {
	n := 0
	for _, line := range strings.Split(logs.String(), "\n") {
		if strings.Contains(line, `msg="event handled"`) && strings.Contains(line, fmt.Sprintf("svc=response-%d ", replica)) &&
			strings.Contains(line, "consumer=response ") && strings.Contains(line, "event=whistle.routed") &&
			strings.Contains(line, "duplicate=false") {
			n++
		}
	}
	return n
}

func TestTwoPartitionedResponseReplicasShareTheDispatchesAndFireEachTimerOnce(t *testing.T) {
	t.Parallel()
	logs := &lockedBuffer{}
	s := startSystem(t, options{responseReplicas: 2, partitions: 8, logs: logs})

	type whistle struct{ id, token string }
	var whistles []whistle
	raiseRound := func() {
		for _, st := range oneStreetPerDistrict {
			tok := streetToken(t, s, st.id)
			r := s.do(t, http.MethodPost, "/v1/whistles", tok, map[string]any{
				"street_id": st.id, "category": "joint-enforcement", "title": "路口夜间违规施工扰民",
				"description": "路口夜间违规施工，噪声和扬尘扰民，需要城管、公安和生态环境联合执法。",
				"location":    map[string]any{"lat": st.lat, "lng": st.lng}, "urgency": "HIGH",
			})
			require.Equal(t, http.StatusCreated, r.status, r.raw)
			whistles = append(whistles, whistle{id: str(r.body["id"]), token: tok})
		}
	}
	dispatches := func(w whistle) []any {
		return list(s.do(t, http.MethodGet, "/v1/whistles/"+w.id, w.token, nil).body["dispatches"])
	}
	// Rounds of one whistle per district until both replicas have created
	// dispatches (the first round may come before the partitions are shared out).
	for round := 0; handledBy(logs, 0) == 0 || handledBy(logs, 1) == 0; round++ {
		require.Less(t, round, 5, "after %d rounds: replica 0 handled %d, replica 1 %d", round, handledBy(logs, 0), handledBy(logs, 1))
		raiseRound()
		eventually(t, "every dispatch of the round", func() bool {
			for _, w := range whistles {
				if len(dispatches(w)) != 3 {
					return false
				}
			}
			return true
		})
	}
	t.Logf("%d whistles; routing decisions handled by replica 0: %d, replica 1: %d", len(whistles), handledBy(logs, 0), handledBy(logs, 1))
	require.Equal(t, len(whistles), handledBy(logs, 0)+handledBy(logs, 1), "each routing decision applied once")

	// Each dispatch once; past 30 minutes each breaches its arrival clock once.
	breaches := func(w whistle) map[string]int {
		_, entries := timelineCount(t, s, w.token, w.id, "", "")
		per := map[string]int{}
		for _, e := range entries {
			e := obj(e)
			if str(e["type"]) == "sla.breached" && str(obj(e["data"])["clock"]) == "arrive" {
				per[str(e["dispatch_id"])]++
			}
		}
		return per
	}
	for range 30 {
		s.clock.Advance(time.Minute)
	}
	eventually(t, "an arrival breach of every dispatch", func() bool {
		s.clock.Advance(10 * time.Second)
		for _, w := range whistles {
			if len(breaches(w)) != 3 {
				return false
			}
		}
		return true
	})
	// Give any second firing time to show: one more round trip through every replica's consumer.
	raiseRound()
	eventually(t, "the last round's dispatches", func() bool {
		for _, w := range whistles[len(whistles)-len(oneStreetPerDistrict):] {
			if len(dispatches(w)) != 3 {
				return false
			}
		}
		return true
	})
	for _, w := range whistles[:len(whistles)-len(oneStreetPerDistrict)] {
		n, _ := timelineCount(t, s, w.token, w.id, "dispatch.created", "")
		require.Equal(t, 3, n, "whistle %s: dispatches created", w.id)
		for d, n := range breaches(w) {
			require.Equal(t, 1, n, "dispatch %s breached its arrival clock %d times", d, n)
		}
	}
}
