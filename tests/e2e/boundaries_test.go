package e2e_test

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/chuishao/whistle/platform/auth"
	"github.com/chuishao/whistle/platform/service"
)

// The two streets the boundary file redraws: Donghuamen shrinks to its west
// part (with the palace as a hole) and a new street takes the east part.
const (
	newStreet       = "110101900"
	sharedEdgeLng   = 116.405
	huairou         = "110116"
	generatedStreet = 300
)

// starRing is an irregular closed ring around (lng, lat): n positions at
// increasing angles with radii between 0.75 and 1 of r, like a traced
// boundary. Being star-shaped around its centre it never crosses itself.
func starRing(rng *rand.Rand, lng, lat, r float64, n int) [][2]float64 {
	ring := make([][2]float64, 0, n+1)
	for i := range n {
		a := 2 * math.Pi * float64(i) / float64(n)
		d := r * (0.75 + 0.25*rng.Float64())
		ring = append(ring, [2]float64{lng + d*math.Cos(a), lat + d*math.Sin(a)})
	}
	return append(ring, ring[0])
}

func boundaryFeature(props map[string]any, geomType string, coords any) map[string]any {
	return map[string]any{"type": "Feature", "properties": props, "geometry": map[string]any{"type": geomType, "coordinates": coords}}
}

func rect(w, s, e, n float64) [][2]float64 {
	return [][2]float64{{w, s}, {e, s}, {e, n}, {w, n}, {w, s}}
}

// boundaryFile is a real-shaped import: 300 generated streets of Huairou,
// each an irregular polygon with a hole (every tenth a MultiPolygon of two),
// plus Donghuamen redrawn and a new street beside it. broken, when set,
// changes the features at those indexes into what must be refused.
func boundaryFile(t *testing.T, broken map[int]map[string]any) string {
	t.Helper()
	rng := rand.New(rand.NewPCG(22, 7))
	var features []map[string]any
	for i := range generatedStreet {
		// A 20 × 15 grid of 0.01° cells north of the seeded streets.
		lng, lat := 116.30+0.01*float64(i%20), 40.60+0.01*float64(i/20)
		props := map[string]any{"code": fmt.Sprintf("%s%03d", huairou, 101+i), "name": fmt.Sprintf("生成街道%03d", i)}
		if i%10 == 9 {
			features = append(features, boundaryFeature(props, "MultiPolygon", [][][][2]float64{
				{starRing(rng, lng-0.0025, lat, 0.002, 24), starRing(rng, lng-0.0025, lat, 0.0006, 12)},
				{starRing(rng, lng+0.0025, lat, 0.002, 24)},
			}))
			continue
		}
		features = append(features, boundaryFeature(props, "Polygon", [][][2]float64{
			starRing(rng, lng, lat, 0.0045, 40), starRing(rng, lng, lat, 0.0015, 16),
		}))
	}
	features = append(features,
		boundaryFeature(map[string]any{"code": donghuamen, "name": "东华门街道"}, "Polygon", [][][2]float64{
			rect(116.390, 39.903, sharedEdgeLng, 39.922), rect(116.392, 39.912, 116.396, 39.918)}),
		boundaryFeature(map[string]any{"code": newStreet, "name": "东华门东街道"}, "Polygon", [][][2]float64{
			rect(sharedEdgeLng, 39.903, 116.413, 39.922)}),
		boundaryFeature(map[string]any{"level": "community", "code": "110101001001", "name": "多福巷社区"}, "Polygon", [][][2]float64{
			rect(116.398, 39.905, 116.402, 39.909)}),
	)
	for i, f := range broken {
		features[i] = f
	}
	raw, err := json.Marshal(map[string]any{"type": "FeatureCollection", "features": features})
	require.NoError(t, err)
	return string(raw)
}

// TestImportedBoundariesRouteAtOnce: an admin's boundary file with a bad
// feature is refused naming it and why, and changes nothing; the good file
// (hundreds of real-shaped polygons with holes) is previewed as a diff,
// published as b1, audited, and from then on a whistle near the new boundary
// is checked against it, while streets the file does not hold keep their
// synthetic boundary and say so.
func TestImportedBoundariesRouteAtOnce(t *testing.T) {
	t.Parallel()
	s := startSystem(t, options{})
	admin := adminToken(t, s)
	streetTok := streetToken(t, s, donghuamen)
	upload := func(query, file string) response {
		t.Helper()
		return s.do(t, http.MethodPost, "/v1/boundaries:import?"+query, admin, file, "Content-Type", "application/geo+json")
	}
	jurisdictionOf := func(lat, lng float64) map[string]any {
		t.Helper()
		r := s.do(t, http.MethodPost, "/v1/whistles", streetTok, map[string]any{"street_id": donghuamen, "category": "street-vending",
			"description": "占道经营", "location": map[string]any{"lat": lat, "lng": lng}})
		require.Equal(t, http.StatusCreated, r.status, r.raw)
		var w map[string]any
		eventually(t, "routing of the whistle", func() bool {
			w = s.do(t, http.MethodGet, "/v1/whistles/"+str(r.body["id"]), streetTok, nil).body
			return w["routing"] != nil
		})
		return obj(obj(w["routing"])["jurisdiction"])
	}
	street := func(id string) map[string]any {
		t.Helper()
		r := s.do(t, http.MethodGet, "/v1/streets/"+id, streetTok, nil)
		require.Equal(t, http.StatusOK, r.status, r.raw)
		return r.body
	}
	// 250 m inside Donghuamen's synthetic east edge, and 17 m west of the new shared edge.
	const pLat, pLng, qLng = 39.91, 116.408, sharedEdgeLng - 0.0002
	require.Equal(t, "inside", str(jurisdictionOf(pLat, pLng)["result"]))
	require.Equal(t, true, street(donghuamen)["synthetic_boundary"])

	// A broken file: a bow tie and a hole outside its shell. Refused, naming both.
	bad := upload("level=street", boundaryFile(t, map[int]map[string]any{
		137: boundaryFeature(map[string]any{"code": "110116238", "name": "蝴蝶"}, "Polygon",
			[][][2]float64{{{116.0, 40.7}, {116.01, 40.71}, {116.01, 40.7}, {116.0, 40.71}, {116.0, 40.7}}}),
		201: boundaryFeature(map[string]any{"code": "110116302", "name": "洞在外"}, "Polygon",
			[][][2]float64{rect(116.0, 40.8, 116.01, 40.81), rect(116.02, 40.8, 116.03, 40.81)}),
	}))
	require.Equal(t, http.StatusBadRequest, bad.status, bad.raw)
	details := map[string]string{}
	for _, d := range list(obj(bad.body["error"])["details"]) {
		details[str(obj(d)["field"])] = str(obj(d)["reason"])
	}
	require.Len(t, details, 2, bad.raw)
	require.Contains(t, details["geojson.features[137]"], "110116238: the shell edge 0 crosses or touches the shell edge 2")
	require.Contains(t, details["geojson.features[201]"], "110116302: hole 1 is not inside its shell")
	// Nothing changed: no version, no draft, the synthetic boundary still routes.
	units := s.do(t, http.MethodGet, "/v1/boundaries/units", streetTok, nil)
	require.Equal(t, http.StatusOK, units.status, units.raw)
	require.Empty(t, list(units.body["units"]))
	require.Equal(t, http.StatusBadRequest, s.do(t, http.MethodPost, "/v1/boundaries/draft:publish", admin, map[string]any{}).status)
	require.Equal(t, true, street(donghuamen)["synthetic_boundary"])
	require.Equal(t, "inside", str(jurisdictionOf(pLat, pLng)["result"]))

	// The good file: previewed as a diff against nothing published.
	good := boundaryFile(t, nil)
	preview := upload("level=street&description=2026年街道边界", good)
	require.Equal(t, http.StatusOK, preview.status, preview.raw)
	require.Equal(t, "draft", str(preview.body["version"]))
	require.EqualValues(t, generatedStreet+3, preview.body["units"])
	require.EqualValues(t, generatedStreet+3, preview.body["added"])
	require.EqualValues(t, 0, preview.body["removed"])
	require.Equal(t, "inside", str(jurisdictionOf(pLat, pLng)["result"]), "a draft routes nothing")

	// Published (only the file previewed), it routes at once.
	pub := s.do(t, http.MethodPost, "/v1/boundaries/draft:publish", admin, map[string]any{"source_sha256": str(preview.body["source_sha256"])})
	require.Equal(t, http.StatusOK, pub.status, pub.raw)
	require.Equal(t, "b1", str(pub.body["version"]))
	j := jurisdictionOf(pLat, pLng)
	require.Equal(t, "outside", str(j["result"]), "P now lies in the new street: %v", j)
	require.Equal(t, []any{newStreet}, j["neighbour_street_ids"])
	j = jurisdictionOf(pLat, qLng)
	require.Equal(t, "near_boundary", str(j["result"]), "Q is within the buffer of the new edge: %v", j)
	require.Equal(t, []any{newStreet}, j["neighbour_street_ids"])
	require.Equal(t, "no_street", str(jurisdictionOf(39.915, 116.394)["result"]), "the palace is a hole in the street, and in no other")

	// The map says which boundaries are real.
	dhm := street(donghuamen)
	require.Equal(t, false, dhm["synthetic_boundary"])
	require.Equal(t, "b1", str(dhm["boundary_version"]))
	require.Equal(t, true, street("110101002")["synthetic_boundary"], "Jingshan is not in the file")
	require.Equal(t, "东华门东街道", str(street(newStreet)["name"]), "a new street joins the reference data")
	streets := s.do(t, http.MethodGet, "/v1/boundaries/units?level=street", streetTok, nil)
	require.Equal(t, http.StatusOK, streets.status, streets.raw)
	require.Len(t, list(streets.body["units"]), generatedStreet+2)
	comm := s.do(t, http.MethodGet, "/v1/boundaries/units?parent_code="+donghuamen, streetTok, nil)
	require.Len(t, list(comm.body["units"]), 1)
	require.Equal(t, "多福巷社区", str(obj(list(comm.body["units"])[0])["name"]))

	// The official units say which have a real boundary and which streets operate on a synthetic one.
	div := s.do(t, http.MethodGet, "/v1/divisions?level=street&parent_code="+dongcheng, streetTok, nil)
	require.Equal(t, http.StatusOK, div.status, div.raw)
	byCode := map[string]map[string]any{}
	for _, d := range list(div.body["divisions"]) {
		byCode[str(obj(d)["code"])] = obj(d)
	}
	require.Len(t, byCode, 17, "Dongcheng's official streets")
	require.Equal(t, "b1", str(byCode[donghuamen]["boundary_version"]))
	require.Equal(t, true, byCode[donghuamen]["operating_street"])
	require.Equal(t, "", str(byCode["110101002"]["boundary_version"]), "Jingshan operates on its synthetic boundary")
	require.Equal(t, true, byCode["110101002"]["operating_street"])
	dfx := s.do(t, http.MethodGet, "/v1/divisions?parent_code="+donghuamen, streetTok, nil)
	require.Equal(t, "多福巷社区居委会", str(obj(list(dfx.body["divisions"])[0])["name"]))
	require.Equal(t, "b1", str(obj(list(dfx.body["divisions"])[0])["boundary_version"]))

	// Importing the same file again changes nothing.
	again := upload("level=street", good)
	require.Equal(t, http.StatusOK, again.status, again.raw)
	require.Equal(t, "b1", str(again.body["from_version"]))
	require.Empty(t, list(again.body["changes"]))

	// The import and the publication are audited, the file by its size and digest.
	sup := s.token(t, auth.Identity{Role: auth.RoleSupervisor, Subject: "supervisor-city"})
	chain := "/v1/whistles/" + service.AuditChain("") + "/timeline"
	var entries []any
	eventually(t, "three audited boundary actions", func() bool {
		tl := s.do(t, http.MethodGet, chain, sup, nil)
		entries = list(tl.body["entries"])
		return tl.status == http.StatusOK && len(entries) == 3
	})
	for i, method := range []string{"ImportBoundaries", "PublishBoundaries", "ImportBoundaries"} {
		data := obj(obj(entries[i])["data"])
		require.True(t, strings.HasSuffix(str(data["method"]), "/"+method), "%v", data)
	}
	req := str(obj(obj(entries[0])["data"])["request_json"])
	require.Contains(t, req, fmt.Sprintf("[%d bytes, sha256 %s]", len(good), str(preview.body["source_sha256"])))
	require.Less(t, len(req), 4096)
}
