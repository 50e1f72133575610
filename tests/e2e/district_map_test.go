package e2e_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestDistrictMapKeepsToTheCallersDistrict: after a real-shaped boundary
// file and a district outline are published, a district supervisor's map is
// its own district's outline, streets (real where published, the synthetic
// stand-in marked where not) and communities, and nothing of another
// district, which it cannot ask for; the city's supervisor gets the city's
// districts and streets; a street gets no map.
func TestDistrictMapKeepsToTheCallersDistrict(t *testing.T) {
	t.Parallel()
	s := startSystem(t, options{})
	admin := adminToken(t, s)
	publish := func(query, file string) {
		t.Helper()
		r := s.do(t, http.MethodPost, "/v1/boundaries:import?publish=true&"+query, admin, file, "Content-Type", "application/geo+json")
		require.Equal(t, http.StatusOK, r.status, r.raw)
	}
	publish("level=street", boundaryFile(t, nil))
	publish("level=district", `{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"code":"110101","name":"东城区"},
		"geometry":{"type":"Polygon","coordinates":[[[116.38,39.85],[116.45,39.85],[116.45,39.97],[116.38,39.97],[116.38,39.85]]]}}]}`)

	type area struct {
		level, parent string
		synthetic     bool
	}
	areas := func(tok, query string) (map[string]area, map[string]any) {
		t.Helper()
		r := s.do(t, http.MethodGet, "/v1/map"+query, tok, nil)
		require.Equal(t, http.StatusOK, r.status, r.raw)
		out := map[string]area{}
		for _, a := range list(r.body["areas"]) {
			a := obj(a)
			require.NotNil(t, a["boundary"], "every area has its outline: %v", a["code"])
			out[str(a["code"])] = area{level: str(a["level"]), parent: str(a["parent_code"]), synthetic: a["synthetic"] == true}
		}
		return out, r.body
	}

	sup := supervisorToken(t, s, dongcheng)
	mine, body := areas(sup, "")
	require.Equal(t, dongcheng, str(body["district_id"]))
	require.Equal(t, "b2", str(body["boundary_version"]))
	require.Equal(t, area{level: "district"}, mine[dongcheng], "the district's published outline")
	require.Equal(t, area{level: "street", parent: dongcheng}, mine[donghuamen], "a published street is real")
	require.Equal(t, area{level: "street", parent: dongcheng, synthetic: true}, mine["110101002"], "Jingshan is still the synthetic stand-in, and says so")
	require.Equal(t, area{level: "street", parent: dongcheng}, mine[newStreet])
	require.Equal(t, area{level: "community", parent: donghuamen}, mine["110101001001"])
	for code := range mine {
		require.True(t, strings.HasPrefix(code, dongcheng), "%s is not Dongcheng's", code)
	}
	same, _ := areas(sup, "?district_id="+dongcheng)
	require.Equal(t, mine, same)

	// Another district is out of the supervisor's scope: the same answer as an unknown one.
	require.Equal(t, http.StatusNotFound, s.do(t, http.MethodGet, "/v1/map?district_id="+huairou, sup, nil).status)
	require.Equal(t, http.StatusNotFound, s.do(t, http.MethodGet, "/v1/map?district_id="+chaoyang, sup, nil).status)
	city := supervisorToken(t, s, "")
	require.Equal(t, http.StatusNotFound, s.do(t, http.MethodGet, "/v1/map?district_id=119999", city, nil).status)

	// The city: every district's outline and street, no communities (they are a district's detail).
	all, body := areas(city, "")
	require.Equal(t, "", str(body["district_id"]))
	require.Equal(t, "district", all[dongcheng].level)
	require.Equal(t, "street", all[huairou+"101"].level, "the generated Huairou streets")
	require.Equal(t, "street", all["110105001"].level, "Chaoyang's synthetic streets too")
	require.True(t, all["110105001"].synthetic)
	_, ok := all["110101001001"]
	require.False(t, ok, "no communities on the city's map")
	theirs, _ := areas(city, "?district_id="+huairou)
	require.Equal(t, countPrefix(all, huairou), len(theirs))
	require.GreaterOrEqual(t, len(theirs), generatedStreet)
	for code := range theirs {
		require.True(t, strings.HasPrefix(code, huairou), code)
	}

	// Streets, desks and grid workers have no supervisor's map.
	require.Equal(t, http.StatusForbidden, s.do(t, http.MethodGet, "/v1/map", streetToken(t, s, donghuamen), nil).status)
	require.Equal(t, http.StatusForbidden, s.do(t, http.MethodGet, "/v1/map", deskToken(t, s, dongcheng, "police"), nil).status)
}

func countPrefix[V any](m map[string]V, prefix string) int {
	n := 0
	for k := range m {
		if strings.HasPrefix(k, prefix) {
			n++
		}
	}
	return n
}
