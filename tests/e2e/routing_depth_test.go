package e2e_test

import (
	"net/http"
	"testing"

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

	// Police: not our remit → the district government takes over (兜底), same arrival deadline.
	police := dispatchOf(t, w, "police")
	policeArriveBy := parseTime(t, obj(police["deadlines"])["arrive_by"])
	r := s.do(t, http.MethodPost, "/v1/dispatches/"+str(police["id"])+":return", deskToken(t, s, dongcheng, "police"),
		map[string]any{"reason": "not_our_remit: 噪声属生态环境"})
	require.Equal(t, http.StatusOK, r.status, r.raw)
	eventually(t, "district government dispatched", func() bool {
		w = s.do(t, http.MethodGet, "/v1/whistles/"+id, streetTok, nil).body
		return len(list(w["dispatches"])) == 4
	})
	fallback := dispatchOf(t, w, "district-government")
	require.True(t, policeArriveBy.Equal(parseTime(t, obj(fallback["deadlines"])["arrive_by"])), "the arrival clock is inherited")
	require.Contains(t, str(reasonOf(w, "district-government")["reason"]), "police returned its dispatch")

	// Urban management returns as well: the second return goes to arbitration.
	um := dispatchOf(t, w, "urban-management")
	umArriveBy := parseTime(t, obj(um["deadlines"])["arrive_by"])
	r = s.do(t, http.MethodPost, "/v1/dispatches/"+str(um["id"])+":return", deskToken(t, s, dongcheng, "urban-management"),
		map[string]any{"reason": "needs_other_department: housing 属违建"})
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
	require.Equal(t, "needs_other_department", str(entry["reason_code"]))
	require.Equal(t, "urban-management", str(entry["from_department"]))
	require.Equal(t, http.StatusNotFound, s.do(t, http.MethodPost, "/v1/arbitrations/"+str(entry["id"])+":decide",
		supervisorToken(t, s, "110105"), map[string]any{"department": "housing"}).status)
	bad := s.do(t, http.MethodPost, "/v1/arbitrations/"+str(entry["id"])+":decide", sup, map[string]any{"department": "housing", "reset_sla": true})
	require.Equal(t, http.StatusBadRequest, bad.status, bad.raw)
	require.Contains(t, bad.raw, "reset_reason")

	decided := s.do(t, http.MethodPost, "/v1/arbitrations/"+str(entry["id"])+":decide", sup, map[string]any{"department": "housing", "note": "违建由住建牵头"})
	require.Equal(t, http.StatusOK, decided.status, decided.raw)
	require.Equal(t, "decided", str(decided.body["status"]))
	eventually(t, "housing dispatched", func() bool {
		w = s.do(t, http.MethodGet, "/v1/whistles/"+id, streetTok, nil).body
		return len(list(w["dispatches"])) == 5
	})
	housing := dispatchOf(t, w, "housing")
	require.True(t, umArriveBy.Equal(parseTime(t, obj(housing["deadlines"])["arrive_by"])), "arbitration keeps the original start")
	require.Equal(t, "arbitrated", str(reasonOf(w, "housing")["role"]))

	eventually(t, "timeline shows the returns and the arbitration", func() bool {
		types := timelineTypes(t, s, streetTok, id)
		return contains(types, "whistle.rerouted") && contains(types, "whistle.arbitration_requested") && contains(types, "whistle.arbitrated")
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
// candidate; merging it is idempotent and shows on both timelines.
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
	require.Empty(t, list(at("noise", 39.9146+150/111195.0)["duplicate_candidates"]))
	require.Empty(t, list(at("garbage", 39.9146+40/111195.0)["duplicate_candidates"]))

	id := str(dup["id"])
	for range 2 {
		r := s.do(t, http.MethodPost, "/v1/whistles/"+id+":merge", streetTok, map[string]any{"into_whistle_id": first})
		require.Equal(t, http.StatusOK, r.status, r.raw)
		require.Equal(t, first, str(r.body["merged_into"]))
		require.Equal(t, "CANCELLED", str(r.body["status"]))
	}
	eventually(t, "merge on both timelines", func() bool {
		return contains(timelineTypes(t, s, streetTok, first), "whistle.merged") &&
			contains(timelineTypes(t, s, streetTok, id), "whistle.merged")
	})
}
