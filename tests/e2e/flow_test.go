package e2e_test

import (
	"net/http"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

const (
	donghuamen = "110101001" // 东华门街道, 东城区
	dongcheng  = "110101"
	chaoyang   = "110105"
)

// raise raises a whistle as the street and waits until routing and response
// have created all of its dispatches.
func raise(t *testing.T, s *system, street, category string, wantDispatches int) (string, map[string]any) {
	t.Helper()
	tok := streetToken(t, s, street)
	r := s.do(t, http.MethodPost, "/v1/whistles", tok, map[string]any{
		"street_id": street, "category": category, "title": "东华门大街占道施工扰民",
		"description": "东华门大街路口夜间违规施工，噪声和扬尘扰民，需要城管、公安和生态环境联合执法。",
		"location":    map[string]any{"lat": 39.9146, "lng": 116.4036}, "urgency": "HIGH",
	})
	require.Equal(t, http.StatusCreated, r.status, r.raw)
	id := str(r.body["id"])
	require.NotEmpty(t, id)
	var w map[string]any
	eventually(t, "dispatches of "+id, func() bool {
		w = s.do(t, http.MethodGet, "/v1/whistles/"+id, tok, nil).body
		return len(list(w["dispatches"])) == wantDispatches
	})
	return id, w
}

func dispatchOf(t *testing.T, w map[string]any, department string) map[string]any {
	t.Helper()
	for _, d := range list(w["dispatches"]) {
		if str(obj(d)["department"]) == department {
			return obj(d)
		}
	}
	t.Fatalf("no %s dispatch in %v", department, w["dispatches"])
	return nil
}

// work has the desk of tok acknowledge its dispatch, arrive at (lat, lng)
// (WGS-84) and resolve it with summary, each step answered 200.
func work(t *testing.T, s *system, tok, dispatchID string, lat, lng float64, summary string) {
	t.Helper()
	for _, step := range []struct {
		action string
		body   map[string]any
	}{
		{"acknowledge", map[string]any{}},
		{"arrive", map[string]any{"location": map[string]any{"lat": lat, "lng": lng}}},
		{"resolve", map[string]any{"summary": summary}},
	} {
		r := s.do(t, http.MethodPost, "/v1/dispatches/"+dispatchID+":"+step.action, tok, step.body)
		require.Equal(t, http.StatusOK, r.status, "%s %s: %s", dispatchID, step.action, r.raw)
	}
}

func TestJointEnforcementFromRaiseToClose(t *testing.T) {
	t.Parallel()
	s := startSystem(t, options{})
	streetTok := streetToken(t, s, donghuamen)

	id, w := raise(t, s, donghuamen, "joint-enforcement", 3)
	require.Equal(t, dongcheng, w["district_id"])
	var departments []string
	for _, d := range list(w["dispatches"]) {
		d := obj(d)
		departments = append(departments, str(d["department"]))
		require.Equal(t, "PENDING", d["status"])
		dispatched := parseTime(t, d["dispatched_at"])
		arriveBy := parseTime(t, obj(d["deadlines"])["arrive_by"])
		require.Equal(t, 30*time.Minute, arriveBy.Sub(dispatched), "arrive_by of %s", d["department"])
	}
	slices.Sort(departments)
	require.Equal(t, []string{"environment", "police", "urban-management"}, departments)

	police := dispatchOf(t, w, "police")
	policeID := str(police["id"])
	policeTok := deskToken(t, s, dongcheng, "police")

	// The police desk's queue holds its own dispatch and nobody else's.
	q := s.do(t, http.MethodGet, "/v1/dispatches", policeTok, nil)
	require.Equal(t, http.StatusOK, q.status, q.raw)
	require.Len(t, list(q.body["dispatches"]), 1)
	require.Equal(t, policeID, obj(list(q.body["dispatches"])[0])["id"])

	// Another department's desk, and the police desk of another district, cannot see or touch it.
	for _, other := range []string{deskToken(t, s, dongcheng, "environment"), deskToken(t, s, chaoyang, "police")} {
		require.Equal(t, http.StatusNotFound, s.do(t, http.MethodGet, "/v1/dispatches/"+policeID, other, nil).status)
		r := s.do(t, http.MethodPost, "/v1/dispatches/"+policeID+":acknowledge", other, map[string]any{})
		require.Equal(t, http.StatusNotFound, r.status, r.raw)
		require.Equal(t, "NOT_FOUND", obj(r.body["error"])["code"])
	}

	// The police desk acknowledges (twice: same result), arrives on site and resolves.
	s.clock.Advance(3 * time.Minute)
	ack := s.do(t, http.MethodPost, "/v1/dispatches/"+policeID+":acknowledge", policeTok, map[string]any{})
	require.Equal(t, http.StatusOK, ack.status, ack.raw)
	require.Equal(t, "ACKNOWLEDGED", ack.body["status"])
	again := s.do(t, http.MethodPost, "/v1/dispatches/"+policeID+":acknowledge", policeTok, map[string]any{})
	require.Equal(t, ack.body["acknowledged_at"], again.body["acknowledged_at"])

	s.clock.Advance(12 * time.Minute)
	arr := s.do(t, http.MethodPost, "/v1/dispatches/"+policeID+":arrive", policeTok,
		map[string]any{"location": map[string]any{"lat": 39.9147, "lng": 116.4035}})
	require.Equal(t, http.StatusOK, arr.status, arr.raw)
	require.Equal(t, "ARRIVED", arr.body["status"])
	require.Equal(t, false, arr.body["arrival_far"])

	s.clock.Advance(40 * time.Minute)
	res := s.do(t, http.MethodPost, "/v1/dispatches/"+policeID+":resolve", policeTok, map[string]any{"summary": "已责令停工，现场恢复秩序"})
	require.Equal(t, http.StatusOK, res.status, res.raw)
	require.Equal(t, "RESOLVED", res.body["status"])

	// Not resolved until every department has resolved its part.
	require.NotEqual(t, "RESOLVED", s.do(t, http.MethodGet, "/v1/whistles/"+id, streetTok, nil).body["status"])
	for _, dept := range []string{"urban-management", "environment"} {
		tok := deskToken(t, s, dongcheng, dept)
		did := str(dispatchOf(t, w, dept)["id"])
		work(t, s, tok, did, 39.9146, 116.4036, "处理完毕")
	}
	eventually(t, "whistle resolved", func() bool {
		return s.do(t, http.MethodGet, "/v1/whistles/"+id, streetTok, nil).body["status"] == "RESOLVED"
	})

	// The street's feedback closes it.
	fb := s.do(t, http.MethodPost, "/v1/whistles/"+id+":feedback", streetTok, map[string]any{"satisfaction": 5, "comment": "响应迅速"})
	require.Equal(t, http.StatusOK, fb.status, fb.raw)
	require.Equal(t, "CLOSED", fb.body["status"])

	// The timeline lists every step in order, each with its actor and time.
	var entries []any
	eventually(t, "timeline complete", func() bool {
		tl := s.do(t, http.MethodGet, "/v1/whistles/"+id+"/timeline", streetTok, nil)
		entries = list(tl.body["entries"])
		return len(entries) > 0 && str(obj(entries[len(entries)-1])["type"]) == "whistle.closed"
	})
	var types []string
	prevHash := ""
	for i, e := range entries {
		e := obj(e)
		types = append(types, str(e["type"]))
		require.Equal(t, strconv.Itoa(i+1), e["seq"], "seq (an int64, a string in proto JSON)")
		require.Equal(t, prevHash, str(e["prev_hash"]), "hash chain at entry %d", i+1)
		prevHash = str(e["hash"])
		parseTime(t, e["at"])
		require.NotEmpty(t, obj(e["actor"])["role"], "entry %d has no actor", i+1)
	}
	// The police dispatch's story reads in order, in seq and in time.
	find := func(typ, dept string) int {
		for i, e := range entries {
			if str(obj(e)["type"]) == typ && (dept == "" || str(obj(e)["department"]) == dept) {
				return i
			}
		}
		t.Fatalf("no %s %s entry in %v", typ, dept, types)
		return -1
	}
	story := []int{find("whistle.raised", ""), find("whistle.routed", ""), find("dispatch.created", "police"),
		find("dispatch.acknowledged", "police"), find("dispatch.arrived", "police"), find("dispatch.resolved", "police"),
		find("whistle.resolved", ""), find("whistle.closed", "")}
	for i := 1; i < len(story); i++ {
		a, b := obj(entries[story[i-1]]), obj(entries[story[i]])
		require.Less(t, story[i-1], story[i], "%s before %s", a["type"], b["type"])
		require.False(t, parseTime(t, b["at"]).Before(parseTime(t, a["at"])), "%s at %v before %s at %v", b["type"], b["at"], a["type"], a["at"])
	}
	require.Equal(t, "whistle.raised", types[0])
	require.Equal(t, "whistle.closed", types[len(types)-1])
	for _, want := range []string{"whistle.routed", "dispatch.created", "dispatch.acknowledged", "dispatch.arrived", "dispatch.resolved", "whistle.resolved"} {
		require.Contains(t, types, want)
	}
	count := func(typ, dept string) int {
		n := 0
		for _, e := range entries {
			if str(obj(e)["type"]) == typ && (dept == "" || str(obj(e)["department"]) == dept) {
				n++
			}
		}
		return n
	}
	require.Equal(t, 3, count("dispatch.created", ""))
	require.Equal(t, 1, count("dispatch.acknowledged", "police"), "the repeated acknowledge is not a second event")
	require.Equal(t, 3, count("dispatch.resolved", ""))
	for _, e := range entries {
		if e := obj(e); str(e["type"]) == "dispatch.acknowledged" && str(e["department"]) == "police" {
			require.Equal(t, "desk", obj(e["actor"])["role"])
		}
	}
}
