package e2e_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/chuishao/whistle/platform/service"
)

// Two of Donghuamen's official communities, drawn side by side: 银闸 holds
// the WGS-84 point of coordsys_test.go (wgsLat, wgsLng), 多福巷 lies west of it.
const (
	yinzha = "110101001002"
	duofu  = "110101001001"
)

func communityFile(t *testing.T) string {
	t.Helper()
	raw, err := json.Marshal(map[string]any{"type": "FeatureCollection", "features": []any{
		boundaryFeature(map[string]any{"code": yinzha, "name": "银闸社区"}, "Polygon", [][][2]float64{rect(116.405, 39.908, 116.411, 39.913)}),
		boundaryFeature(map[string]any{"code": duofu, "name": "多福巷社区"}, "Polygon", [][][2]float64{rect(116.398, 39.905, 116.404, 39.912)}),
	}})
	require.NoError(t, err)
	return string(raw)
}

// TestCommunityPartiesTakeTheirCommunitysWhistles: a whistle's point
// resolves to its street and community (none while no community boundary is
// loaded); an admin registers property companies for communities (audited,
// field-level refusals); a category the catalogue gives to 物业 and the
// community committee goes, for a GCJ-02 point, to that community's property
// company and committee desks, which act on it like any desk and appear in
// the district's scorecards; 物业 added by hand is the community's company
// too. A point in no community goes to the district desks of both parties.
func TestCommunityPartiesTakeTheirCommunitysWhistles(t *testing.T) {
	t.Parallel()
	s := startSystem(t, options{})
	admin := adminToken(t, s)
	streetTok := streetToken(t, s, donghuamen)
	raiseAt := func(category string, lat, lng float64, coordSys string, wantDispatches int) map[string]any {
		t.Helper()
		r := s.do(t, http.MethodPost, "/v1/whistles", streetTok, map[string]any{"street_id": donghuamen, "category": category,
			"description": "小区垃圾堆积", "location": map[string]any{"lat": lat, "lng": lng}, "coord_sys": coordSys})
		require.Equal(t, http.StatusCreated, r.status, r.raw)
		var w map[string]any
		eventually(t, "dispatches of the whistle", func() bool {
			w = s.do(t, http.MethodGet, "/v1/whistles/"+str(r.body["id"]), streetTok, nil).body
			return w["routing"] != nil && len(list(w["dispatches"])) == wantDispatches
		})
		return w
	}
	departmentsOf := func(w map[string]any) []string {
		var out []string
		for _, d := range list(w["dispatches"]) {
			out = append(out, str(obj(d)["department"]))
		}
		slices.Sort(out)
		return out
	}

	// No community boundary loaded: the whistle has a street and no community, and says why.
	w := raiseAt("garbage", wgsLat, wgsLng, "WGS84", 2)
	j := obj(obj(w["routing"])["jurisdiction"])
	require.Equal(t, "inside", str(j["result"]))
	require.Equal(t, "unmapped", str(j["community_result"]), j)
	require.Empty(t, w["community_code"])

	// The communities' boundaries, published.
	pub := s.do(t, http.MethodPost, "/v1/boundaries:import?level=community&publish=true", admin, communityFile(t), "Content-Type", "application/geo+json")
	require.Equal(t, http.StatusOK, pub.status, pub.raw)

	// Registering companies: admins only; unknown communities refused by field, nothing saved.
	put := func(tok, code string, body map[string]any) response {
		t.Helper()
		return s.do(t, http.MethodPut, "/v1/property-companies/"+code, tok, body)
	}
	yz := map[string]any{"name": "银闸物业服务有限公司", "name_en": "Yinzha Property Services", "community_codes": []string{yinzha}}
	require.Equal(t, http.StatusForbidden, put(streetTok, "pm-yinzha", yz).status)
	bad := put(admin, "pm-yinzha", map[string]any{"name": "银闸物业", "name_en": "Yinzha", "community_codes": []string{yinzha, "110101999999", "12"}})
	require.Equal(t, http.StatusBadRequest, bad.status, bad.raw)
	require.Contains(t, bad.raw, "community_codes[2]")
	bad = put(admin, "police", map[string]any{"name": "公安", "name_en": "Police", "community_codes": []string{yinzha}})
	require.Equal(t, http.StatusBadRequest, bad.status, bad.raw)
	bad = put(admin, "pm-yinzha", map[string]any{"name": "银闸物业", "name_en": "Yinzha", "community_codes": []string{yinzha, "110101999999"}})
	require.Equal(t, http.StatusBadRequest, bad.status, bad.raw)
	require.Contains(t, bad.raw, "community_codes[1]")
	require.Empty(t, list(s.do(t, http.MethodGet, "/v1/property-companies", admin, nil).body["companies"]))
	ok := put(admin, "pm-yinzha", yz)
	require.Equal(t, http.StatusOK, ok.status, ok.raw)
	require.Equal(t, []any{yinzha}, ok.body["community_codes"])
	ok = put(admin, "pm-duofu", map[string]any{"name": "多福巷物业", "name_en": "Duofu Property", "community_codes": []string{duofu}})
	require.Equal(t, http.StatusOK, ok.status, ok.raw)
	companies := s.do(t, http.MethodGet, "/v1/property-companies?district="+dongcheng, streetTok, nil)
	require.Equal(t, http.StatusOK, companies.status, companies.raw)
	require.Len(t, list(companies.body["companies"]), 2, "many companies in one district")
	citySup := supervisorToken(t, s, "")
	eventually(t, "the registrations audited", func() bool {
		n := 0
		for _, e := range list(s.do(t, http.MethodGet, "/v1/whistles/"+service.AuditChain("")+"/timeline", citySup, nil).body["entries"]) {
			if strings.HasSuffix(str(obj(obj(e)["data"])["method"]), "/SavePropertyCompany") {
				n++
			}
		}
		return n == 2
	})

	// The catalogue gives rubbish in Dongcheng to 物业, with the community committee.
	draft := s.do(t, http.MethodGet, "/v1/catalogue?version=draft", admin, nil)
	require.Equal(t, http.StatusOK, draft.status, draft.raw)
	rules := append(list(draft.body["rules"]), map[string]any{
		"category": "garbage", "district_id": dongcheng, "lead_department": "property-management",
		"cooperating_departments": []string{"community-committee"}, "sla": obj(list(draft.body["rules"])[0])["sla"]})
	r := s.do(t, http.MethodPut, "/v1/catalogue/draft", admin, map[string]any{"rules": rules, "description": "东城垃圾归物业"})
	require.Equal(t, http.StatusOK, r.status, r.raw)
	r = s.do(t, http.MethodPost, "/v1/catalogue/draft:publish", admin, map[string]any{})
	require.Equal(t, http.StatusOK, r.status, r.raw)

	// A point picked in 高德 (GCJ-02): the right street and community, and that community's parties.
	w = raiseAt("garbage", gcjLat, gcjLng, "GCJ02", 2)
	require.Equal(t, []string{"cc-" + yinzha, "pm-yinzha"}, departmentsOf(w))
	require.Equal(t, donghuamen, str(w["street_id"]))
	require.Equal(t, yinzha, str(w["community_code"]), w)
	require.Equal(t, "银闸社区", str(w["community_name"]))
	j = obj(obj(w["routing"])["jurisdiction"])
	require.Equal(t, "inside", str(j["result"]))
	require.Equal(t, "inside", str(j["community_result"]))
	require.Equal(t, yinzha, str(j["community_code"]))
	pm := dispatchOf(t, w, "pm-yinzha")
	require.Equal(t, yinzha, str(pm["community_code"]))
	require.Equal(t, "银闸社区", str(pm["community_name"]))

	// The company's desk acts on it like any desk; the other company's desk cannot see it.
	pmID := str(pm["id"])
	other := deskToken(t, s, dongcheng, "pm-duofu")
	require.Equal(t, http.StatusNotFound, s.do(t, http.MethodGet, "/v1/dispatches/"+pmID, other, nil).status)
	for _, desk := range []string{"pm-yinzha", "cc-" + yinzha} {
		tok := deskToken(t, s, dongcheng, desk)
		q := s.do(t, http.MethodGet, "/v1/dispatches", tok, nil)
		require.Equal(t, http.StatusOK, q.status, q.raw)
		require.Len(t, list(q.body["dispatches"]), 1, desk)
		d := obj(list(q.body["dispatches"])[0])
		require.Equal(t, yinzha, str(d["community_code"]), desk)
		s.clock.Advance(2 * time.Minute)
		work(t, s, tok, str(d["id"]), wgsLat, wgsLng, "垃圾已清运")
	}
	eventually(t, "the whistle resolved", func() bool {
		return s.do(t, http.MethodGet, "/v1/whistles/"+str(w["id"]), streetTok, nil).body["status"] == "RESOLVED"
	})

	// The company and the committee have scorecards of their own.
	sup := supervisorToken(t, s, dongcheng)
	now := s.clock.Now()
	q := url.Values{"district": {dongcheng}, "from": {now.Add(-24 * time.Hour).Format(time.RFC3339)}, "to": {now.Add(24 * time.Hour).Format(time.RFC3339)}}
	eventually(t, "scorecards of the community parties", func() bool {
		sc := s.do(t, http.MethodGet, "/v1/reports/scorecards?"+q.Encode(), sup, nil)
		keys := map[string]bool{}
		for _, c := range list(sc.body["scorecards"]) {
			keys[str(obj(c)["key"])] = true
		}
		return keys["pm-yinzha"] && keys["cc-"+yinzha]
	})

	// 物业 called by hand (manual 吹哨) to a whistle in 银闸 is 银闸's company too.
	vending := raiseAt("street-vending", wgsLat, wgsLng, "WGS84", 2)
	r = s.do(t, http.MethodPost, "/v1/whistles/"+str(vending["id"])+":addDepartment", streetTok,
		map[string]any{"department": "property-management", "reason": "小区门口占道"})
	require.Equal(t, http.StatusOK, r.status, r.raw)
	eventually(t, "the company added", func() bool {
		w := s.do(t, http.MethodGet, "/v1/whistles/"+str(vending["id"]), streetTok, nil).body
		return slices.Contains(departmentsOf(w), "pm-yinzha")
	})

	// In no community: the district desks of 物业 and of the committees take it.
	w = raiseAt("garbage", 39.918, 116.395, "WGS84", 2)
	require.Equal(t, []string{"community-committee", "property-management"}, departmentsOf(w))
	require.Equal(t, "none", str(obj(obj(w["routing"])["jurisdiction"])["community_result"]))
	require.Empty(t, w["community_code"])
}
