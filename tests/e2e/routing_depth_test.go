package e2e_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/chuishao/whistle/platform/auth"
)

func supervisorToken(t *testing.T, s *system, district string) string {
	return s.token(t, auth.Identity{Role: auth.RoleSupervisor, DistrictID: district})
}

func adminToken(t *testing.T, s *system) string {
	return s.token(t, auth.Identity{Role: auth.RoleAdmin, Subject: "admin-e2e"})
}

func timelineTypes(t *testing.T, s *system, tok, id string) []string {
	t.Helper()
	tl := s.do(t, http.MethodGet, "/v1/whistles/"+id+"/timeline", tok, nil)
	require.Equal(t, http.StatusOK, tl.status, tl.raw)
	var out []string
	for _, e := range list(tl.body["entries"]) {
		out = append(out, str(obj(e)["type"]))
	}
	return out
}

func reasonOf(w map[string]any, department string) map[string]any {
	for _, d := range list(obj(w["routing"])["departments"]) {
		if str(obj(d)["department"]) == department {
			return obj(d)
		}
	}
	return nil
}

// A whistle explains why each department is on it; a return with a reason code
// is re-routed by rule; the second return goes to the district supervisor, whose
// binding decision keeps the original arrival clock; all of it is on the timeline.
func TestRoutingReturnsAndArbitration(t *testing.T) {
	t.Parallel()
	s := startSystem(t, options{})
	streetTok := streetToken(t, s, donghuamen)
	id, w := raise(t, s, donghuamen, "noise", 3)

	routing := obj(w["routing"])
	require.Equal(t, "seed-1", str(routing["catalogue_version"]), w)
	require.Equal(t, "category:noise", str(routing["rule"]))
	require.Equal(t, "inside", str(obj(routing["jurisdiction"])["result"]))
	require.Equal(t, "lead department of rule category:noise in catalogue seed-1", str(reasonOf(w, "environment")["reason"]))
	require.Equal(t, "cooperating", str(reasonOf(w, "police")["role"]))

	// A return needs a reason code.
	police := dispatchOf(t, w, "police")
	policeDesk := deskToken(t, s, dongcheng, "police")
	bad := s.do(t, http.MethodPost, "/v1/dispatches/"+str(police["id"])+":return", policeDesk, map[string]any{"reason": "噪声属生态环境"})
	require.Equal(t, http.StatusBadRequest, bad.status, bad.raw)
	require.Contains(t, bad.raw, "reason_code")

	// Police: needs another department, naming housing → re-routed there by
	// rule, with the same arrival deadline.
	policeArriveBy := parseTime(t, obj(police["deadlines"])["arrive_by"])
	r := s.do(t, http.MethodPost, "/v1/dispatches/"+str(police["id"])+":return", policeDesk,
		map[string]any{"reason": "群租房扰民属住建", "reason_code": "NEEDS_ANOTHER_DEPARTMENT", "department": "housing"})
	require.Equal(t, http.StatusOK, r.status, r.raw)
	require.Equal(t, "NEEDS_ANOTHER_DEPARTMENT", str(r.body["return_code"]))
	require.Equal(t, "housing", str(r.body["return_department"]))
	eventually(t, "housing dispatched", func() bool {
		w = s.do(t, http.MethodGet, "/v1/whistles/"+id, streetTok, nil).body
		return len(list(w["dispatches"])) == 4
	})
	housing := dispatchOf(t, w, "housing")
	require.True(t, policeArriveBy.Equal(parseTime(t, obj(housing["deadlines"])["arrive_by"])), "the arrival clock is inherited")
	require.Equal(t, "redirected", str(reasonOf(w, "housing")["role"]))
	require.Contains(t, str(reasonOf(w, "housing")["reason"]), "police returned its dispatch")

	// Urban management returns as well: the second return goes to arbitration.
	um := dispatchOf(t, w, "urban-management")
	umArriveBy := parseTime(t, obj(um["deadlines"])["arrive_by"])
	r = s.do(t, http.MethodPost, "/v1/dispatches/"+str(um["id"])+":return", deskToken(t, s, dongcheng, "urban-management"),
		map[string]any{"reason": "非城管职责", "reason_code": "NOT_OUR_REMIT"})
	require.Equal(t, http.StatusOK, r.status, r.raw)
	sup := supervisorToken(t, s, dongcheng)
	var queue []any
	eventually(t, "arbitration queued", func() bool {
		q := s.do(t, http.MethodGet, "/v1/arbitrations", sup, nil)
		queue = list(q.body["arbitrations"])
		return len(queue) == 1
	})
	entry := obj(queue[0])
	require.Equal(t, id, str(entry["whistle_id"]))
	require.Equal(t, "NOT_OUR_REMIT", str(entry["return_code"]))
	require.Equal(t, "not_our_remit", str(entry["reason_code"]))
	require.Equal(t, "urban-management", str(entry["from_department"]))
	require.Equal(t, http.StatusNotFound, s.do(t, http.MethodPost, "/v1/arbitrations/"+str(entry["id"])+":decide",
		supervisorToken(t, s, "110105"), map[string]any{"department": "district-government"}).status)
	bad = s.do(t, http.MethodPost, "/v1/arbitrations/"+str(entry["id"])+":decide", sup, map[string]any{"department": "district-government", "reset_sla": true})
	require.Equal(t, http.StatusBadRequest, bad.status, bad.raw)
	require.Contains(t, bad.raw, "reset_reason")

	decided := s.do(t, http.MethodPost, "/v1/arbitrations/"+str(entry["id"])+":decide", sup, map[string]any{"department": "district-government", "note": "由街道所在区政府统筹"})
	require.Equal(t, http.StatusOK, decided.status, decided.raw)
	require.Equal(t, "decided", str(decided.body["status"]))
	eventually(t, "district government dispatched", func() bool {
		w = s.do(t, http.MethodGet, "/v1/whistles/"+id, streetTok, nil).body
		return len(list(w["dispatches"])) == 5
	})
	gov := dispatchOf(t, w, "district-government")
	require.True(t, umArriveBy.Equal(parseTime(t, obj(gov["deadlines"])["arrive_by"])), "arbitration keeps the original start")
	require.Equal(t, "arbitrated", str(reasonOf(w, "district-government")["role"]))

	// The district government returns it too, even naming a department: from
	// the second return on a supervisor decides, and this time restarts the
	// arrival clock, which needs a reason on record.
	s.clock.Advance(40 * time.Minute)
	r = s.do(t, http.MethodPost, "/v1/dispatches/"+str(gov["id"])+":return", deskToken(t, s, dongcheng, "district-government"),
		map[string]any{"reason": "路面塌陷需交通部门", "reason_code": "NEEDS_ANOTHER_DEPARTMENT", "department": "transport"})
	require.Equal(t, http.StatusOK, r.status, r.raw)
	eventually(t, "arbitration queued again", func() bool {
		q := s.do(t, http.MethodGet, "/v1/arbitrations", sup, nil)
		queue = list(q.body["arbitrations"])
		return len(queue) == 1
	})
	again := obj(queue[0])
	require.Equal(t, "NEEDS_ANOTHER_DEPARTMENT", str(again["return_code"]))
	require.Equal(t, "transport", str(again["return_department"]))
	decided = s.do(t, http.MethodPost, "/v1/arbitrations/"+str(again["id"])+":decide", sup,
		map[string]any{"department": "transport", "reset_sla": true, "reset_reason": "路面塌陷为新险情，重新计时"})
	require.Equal(t, http.StatusOK, decided.status, decided.raw)
	eventually(t, "transport dispatched", func() bool {
		w = s.do(t, http.MethodGet, "/v1/whistles/"+id, streetTok, nil).body
		return len(list(w["dispatches"])) == 6
	})
	transport := dispatchOf(t, w, "transport")
	require.True(t, parseTime(t, obj(transport["deadlines"])["arrive_by"]).After(umArriveBy.Add(39*time.Minute)), "a reset clock starts at the decision, 40 minutes later")

	eventually(t, "timeline shows the returns, the arbitrations and the reset", func() bool {
		tl := s.do(t, http.MethodGet, "/v1/whistles/"+id+"/timeline", streetTok, nil)
		var types []string
		reset := ""
		for _, e := range list(tl.body["entries"]) {
			types = append(types, str(obj(e)["type"]))
			if str(obj(e)["type"]) == "whistle.arbitrated" && obj(obj(e)["data"])["sla_reset"] == true {
				reset = str(obj(obj(e)["data"])["sla_reset_reason"])
			}
		}
		return contains(types, "whistle.rerouted") && contains(types, "whistle.arbitration_requested") &&
			contains(types, "dispatch.returned") && reset == "路面塌陷为新险情，重新计时"
	})
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// Publishing a catalogue version changes routing for new whistles only; an
// invalid draft is refused field by field. A street adds a department by hand.
func TestRoutingCatalogueAndManualWhistle(t *testing.T) {
	t.Parallel()
	s := startSystem(t, options{})
	admin := adminToken(t, s)
	streetTok := streetToken(t, s, donghuamen)
	before, _ := raise(t, s, donghuamen, "street-vending", 2)

	draft := s.do(t, http.MethodGet, "/v1/catalogue?version=draft", admin, nil)
	require.Equal(t, http.StatusOK, draft.status, draft.raw)
	rules := list(draft.body["rules"])
	require.GreaterOrEqual(t, len(rules), 12)

	invalid := append(append([]any(nil), rules...),
		map[string]any{"category": "street-vending", "lead_department": "police", "sla": obj(rules[0])["sla"]},
		map[string]any{"category": "noise", "district_id": dongcheng, "lead_department": "sanitation", "sla": obj(rules[0])["sla"]})
	r := s.do(t, http.MethodPut, "/v1/catalogue/draft", admin, map[string]any{"rules": invalid})
	require.Equal(t, http.StatusBadRequest, r.status, r.raw)
	require.Contains(t, r.raw, "exactly one lead")
	require.Contains(t, r.raw, "sanitation")
	require.Equal(t, http.StatusForbidden, s.do(t, http.MethodPut, "/v1/catalogue/draft", streetTok, map[string]any{"rules": rules}).status)

	valid := append(append([]any(nil), rules...), map[string]any{
		"category": "street-vending", "district_id": dongcheng, "lead_department": "urban-management",
		"cooperating_departments": []string{"market-regulation", "police"}, "sla": obj(rules[0])["sla"]})
	r = s.do(t, http.MethodPut, "/v1/catalogue/draft", admin, map[string]any{"rules": valid, "description": "东城占道经营加公安"})
	require.Equal(t, http.StatusOK, r.status, r.raw)
	diff := s.do(t, http.MethodGet, "/v1/catalogue:diff", admin, nil)
	require.Equal(t, http.StatusOK, diff.status, diff.raw)
	require.Len(t, list(diff.body["changes"]), 1)
	pub := s.do(t, http.MethodPost, "/v1/catalogue/draft:publish", admin, map[string]any{})
	require.Equal(t, http.StatusOK, pub.status, pub.raw)
	require.Equal(t, "v2", str(pub.body["version"]))

	after, w := raise(t, s, donghuamen, "street-vending", 3)
	require.Equal(t, "v2", str(obj(w["routing"])["catalogue_version"]))
	require.Equal(t, "category:street-vending@110101", str(obj(w["routing"])["rule"]))
	old := s.do(t, http.MethodGet, "/v1/whistles/"+before, streetTok, nil).body
	require.Len(t, list(old["dispatches"]), 2, "published versions do not touch earlier whistles")
	require.Equal(t, "seed-1", str(obj(old["routing"])["catalogue_version"]))

	// Manual 吹哨: the street calls transport too.
	r = s.do(t, http.MethodPost, "/v1/whistles/"+after+":addDepartment", streetTok, map[string]any{"department": "transport", "reason": "占用机动车道"})
	require.Equal(t, http.StatusOK, r.status, r.raw)
	require.Equal(t, http.StatusNotFound, s.do(t, http.MethodPost, "/v1/whistles/"+after+":addDepartment",
		streetToken(t, s, "110101002"), map[string]any{"department": "water"}).status)
	eventually(t, "transport dispatched", func() bool {
		w = s.do(t, http.MethodGet, "/v1/whistles/"+after, streetTok, nil).body
		return len(list(w["dispatches"])) == 4
	})
	require.Equal(t, "added", str(reasonOf(w, "transport")["role"]))
	eventually(t, "timeline shows the added department", func() bool {
		return contains(timelineTypes(t, s, streetTok, after), "whistle.department_added")
	})
}

// A whistle 40 m from an open one of the same category is a duplicate
// candidate (not one 150 m away, nor one of another category); merging it is
// idempotent, cancels its own dispatches (nobody is sent twice, nothing is
// counted twice) and shares the surviving whistle's dispatches and timeline.
func TestRoutingDuplicatesMerge(t *testing.T) {
	t.Parallel()
	s := startSystem(t, options{})
	streetTok := streetToken(t, s, donghuamen)
	first, _ := raise(t, s, donghuamen, "noise", 3)
	at := func(category string, lat float64) map[string]any {
		r := s.do(t, http.MethodPost, "/v1/whistles", streetTok, map[string]any{
			"street_id": donghuamen, "category": category, "description": "夜间噪音",
			"location": map[string]any{"lat": lat, "lng": 116.4036}})
		require.Equal(t, http.StatusCreated, r.status, r.raw)
		return r.body
	}
	dup := at("noise", 39.9146+40/111195.0)
	require.Len(t, list(dup["duplicate_candidates"]), 1)
	require.Equal(t, first, str(obj(list(dup["duplicate_candidates"])[0])["whistle_id"]))
	far := at("noise", 39.9146+150/111195.0)
	require.Empty(t, list(far["duplicate_candidates"]))
	other := at("garbage", 39.9146+40/111195.0)
	require.Empty(t, list(other["duplicate_candidates"]))

	id := str(dup["id"])
	get := func(id string) map[string]any {
		return s.do(t, http.MethodGet, "/v1/whistles/"+id, streetTok, nil).body
	}
	eventually(t, "the duplicate routed", func() bool { return len(list(get(id)["dispatches"])) == 3 })
	for range 2 {
		r := s.do(t, http.MethodPost, "/v1/whistles/"+id+":merge", streetTok, map[string]any{"into_whistle_id": first})
		require.Equal(t, http.StatusOK, r.status, r.raw)
		require.Equal(t, first, str(r.body["merged_into"]))
		require.Equal(t, "CANCELLED", str(r.body["status"]))
	}
	require.Equal(t, []any{id}, get(first)["merged_whistle_ids"])

	// The merged whistle lists its own dispatches, all cancelled, then the
	// surviving whistle's, which go on working.
	var merged map[string]any
	eventually(t, "own dispatches cancelled", func() bool {
		merged = get(id)
		cancelled := 0
		for _, d := range list(merged["dispatches"]) {
			if str(obj(d)["whistle_id"]) == id && str(obj(d)["status"]) == "CANCELLED" {
				cancelled++
			}
		}
		return cancelled == 3
	})
	require.Equal(t, first, str(merged["merged_into"]))
	ds := list(merged["dispatches"])
	require.Len(t, ds, 6)
	for _, d := range ds[3:] {
		require.Equal(t, first, str(obj(d)["whistle_id"]))
		require.Equal(t, "PENDING", str(obj(d)["status"]))
	}

	// Its timeline continues with the surviving whistle's entries, each naming its whistle.
	eventually(t, "the joined timeline", func() bool {
		tl := s.do(t, http.MethodGet, "/v1/whistles/"+id+"/timeline", streetTok, nil)
		byWhistle := map[string][]string{}
		for _, e := range list(tl.body["entries"]) {
			byWhistle[str(obj(e)["whistle_id"])] = append(byWhistle[str(obj(e)["whistle_id"])], str(obj(e)["type"]))
		}
		return len(byWhistle) == 2 && contains(byWhistle[first], "whistle.raised") && contains(byWhistle[first], "whistle.merged") &&
			contains(byWhistle[id], "whistle.merged") && contains(byWhistle[id], "dispatch.cancelled")
	})
	require.NotContains(t, timelineWhistles(t, s, streetTok, first), id, "the surviving whistle's own timeline is its own")

	// The SLA report counts the surviving whistle's dispatches once and the
	// merged whistle's cancelled ones not at all.
	want := 0
	for _, w := range []string{first, str(far["id"]), str(other["id"])} {
		eventually(t, "routed "+w, func() bool { return len(list(get(w)["dispatches"])) > 0 })
		want += len(list(get(w)["dispatches"]))
	}
	q := url.Values{"district": {dongcheng}, "from": {t0.Add(-time.Hour).Format(time.RFC3339)}, "to": {t0.Add(24 * time.Hour).Format(time.RFC3339)}}
	eventually(t, "the report counts each dispatch once", func() bool {
		rep := s.do(t, http.MethodGet, "/v1/reports/sla?"+q.Encode(), supervisorToken(t, s, dongcheng), nil)
		return rep.status == http.StatusOK && obj(rep.body["total"])["dispatched"] == strconv.Itoa(want)
	})
}

func timelineWhistles(t *testing.T, s *system, tok, id string) []string {
	t.Helper()
	tl := s.do(t, http.MethodGet, "/v1/whistles/"+id+"/timeline", tok, nil)
	require.Equal(t, http.StatusOK, tl.status, tl.raw)
	var out []string
	for _, e := range list(tl.body["entries"]) {
		out = append(out, str(obj(e)["whistle_id"]))
	}
	return out
}

// raiseNearBoundary raises, as Donghuamen, a whistle within 50 m of the
// street's boundary with Jingshan and waits until it is routed; it answers the
// whistle's id, the whistle as the street reads it and its jurisdiction check.
func raiseNearBoundary(t *testing.T, s *system, streetTok string) (id string, w, jurisdiction map[string]any) {
	t.Helper()
	r := s.do(t, http.MethodPost, "/v1/whistles", streetTok, map[string]any{
		"street_id": donghuamen, "category": "street-vending", "description": "占道经营",
		"location": map[string]any{"lat": 39.922, "lng": 116.395}})
	require.Equal(t, http.StatusCreated, r.status, r.raw)
	id = str(r.body["id"])
	eventually(t, "routed", func() bool {
		w = s.do(t, http.MethodGet, "/v1/whistles/"+id, streetTok, nil).body
		return w["routing"] != nil && len(list(w["dispatches"])) == 2
	})
	jurisdiction = obj(obj(w["routing"])["jurisdiction"])
	require.Equal(t, "near_boundary", str(jurisdiction["result"]), w)
	return id, w, jurisdiction
}

// A whistle within 50 m of a neighbouring street's boundary informs that
// street: it reads the whistle (GET, its list, the timeline) marked as a
// neighbour, and can do nothing with it; other streets still get 404.
func TestRoutingNeighbourStreetReadsOnly(t *testing.T) {
	t.Parallel()
	s := startSystem(t, options{})
	streetTok := streetToken(t, s, donghuamen)
	id, w, j := raiseNearBoundary(t, s, streetTok)
	require.Empty(t, str(w["viewer_role"]))
	neighbours := list(j["neighbour_street_ids"])
	require.NotEmpty(t, neighbours)
	neighbour := str(neighbours[0])
	nTok := streetToken(t, s, neighbour)

	eventually(t, "the neighbour reads it", func() bool {
		g := s.do(t, http.MethodGet, "/v1/whistles/"+id, nTok, nil)
		return g.status == http.StatusOK && str(g.body["viewer_role"]) == "neighbour" && len(list(g.body["dispatches"])) == 2
	})
	inbox := s.do(t, http.MethodGet, "/v1/whistles", nTok, nil)
	require.Equal(t, http.StatusOK, inbox.status, inbox.raw)
	require.Len(t, list(inbox.body["whistles"]), 1)
	require.Equal(t, id, str(obj(list(inbox.body["whistles"])[0])["id"]))
	require.Equal(t, "neighbour", str(obj(list(inbox.body["whistles"])[0])["viewer_role"]))
	own := s.do(t, http.MethodGet, "/v1/whistles", streetTok, nil)
	require.Empty(t, str(obj(list(own.body["whistles"])[0])["viewer_role"]))
	eventually(t, "the neighbour reads the timeline", func() bool {
		return s.do(t, http.MethodGet, "/v1/whistles/"+id+"/timeline", nTok, nil).status == http.StatusOK
	})

	// Read only: every action is refused as if the whistle were not there.
	for _, act := range []struct{ verb, body string }{
		{":cancel", `{"reason":"x"}`}, {":confirmLocation", `{}`}, {":addDepartment", `{"department":"transport"}`},
		{":feedback", `{"satisfaction":5}`}, {":reopen", `{"reason":"x"}`}, {":keep", `{}`},
	} {
		var body map[string]any
		require.NoError(t, json.Unmarshal([]byte(act.body), &body))
		got := s.do(t, http.MethodPost, "/v1/whistles/"+id+act.verb, nTok, body)
		require.Equal(t, http.StatusNotFound, got.status, "%s: %s", act.verb, got.raw)
	}

	// A street out of scope (not a neighbour) still gets 404 everywhere.
	outsider := streetToken(t, s, "110101011")
	require.NotContains(t, neighbours, "110101011")
	require.Equal(t, http.StatusNotFound, s.do(t, http.MethodGet, "/v1/whistles/"+id, outsider, nil).status)
	require.Equal(t, http.StatusNotFound, s.do(t, http.MethodGet, "/v1/whistles/"+id+"/timeline", outsider, nil).status)
	require.Empty(t, list(s.do(t, http.MethodGet, "/v1/whistles", outsider, nil).body["whistles"]))
}
