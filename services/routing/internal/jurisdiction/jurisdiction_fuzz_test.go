package jurisdiction_test

import (
	"encoding/json"
	"math"
	"testing"

	"github.com/chuishao/whistle/services/routing/internal/jurisdiction"
	"github.com/chuishao/whistle/services/routing/internal/seed"
)

// FuzzBoundary feeds arbitrary GeoJSON boundaries and points through the
// index: parsing never panics, a boundary that is not a valid WGS-84 Polygon
// or MultiPolygon is rejected, a look-up of any point — NaN, infinite or far
// off the map — answers one of the four results, and an accepted boundary
// written back as GeoJSON parses to the same answers.
func FuzzBoundary(f *testing.F) {
	d, err := seed.Beijing()
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range d.Streets[:min(4, len(d.Streets))] {
		f.Add([]byte(s.Boundary), s.Centroid.Lat, s.Centroid.Lng)
	}
	square := `{"type":"Polygon","coordinates":[[[116.39,39.903],[116.413,39.903],[116.413,39.922],[116.39,39.922],[116.39,39.903]]]}`
	f.Add([]byte(square), 39.91, 116.4)
	f.Add([]byte(square), 91.0, 116.4)
	f.Add([]byte(`{"type":"MultiPolygon","coordinates":[[[[0,0],[1,0],[1,1],[0,0]]],[[[2,2],[3,2],[3,3],[2,2]]]]}`), 0.5, 0.9)
	f.Add([]byte(`{"type":"Polygon","coordinates":[[[116.39,91],[116.413,39.903],[116.413,39.922],[116.39,91]]]}`), 39.91, 116.4)
	f.Add([]byte(`{"type":"Polygon","coordinates":[[[500,39],[501,39],[501,40],[500,39]]]}`), 39.5, 500.5)
	f.Add([]byte(`{"type":"Polygon","coordinates":[]}`), 0.0, 0.0)
	f.Add([]byte(`{"type":"Polygon","coordinates":[[]]}`), 0.0, 0.0)
	f.Add([]byte(`{"type":"Polygon","coordinates":[[[0,0],[1,1]]]}`), 0.0, 0.0)
	f.Add([]byte(`{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,1]]]}`), 0.5, 0.5)
	f.Add([]byte(`{"type":"Polygon","coordinates":null}`), 0.0, 0.0)
	f.Add([]byte(`{"type":"MultiPolygon","coordinates":[[]]}`), 0.0, 0.0)
	f.Add([]byte(`{"type":"Point","coordinates":[116,40]}`), 40.0, 116.0)
	f.Add([]byte(`{"type":"Polygon","coordinates":[[[0,0,7],[1,0],[1,1],[0,0]]]}`), 0.5, 0.5)
	f.Add([]byte(`[`), math.NaN(), math.Inf(1))
	f.Fuzz(func(t *testing.T, boundary []byte, lat, lng float64) {
		streets := []jurisdiction.Street{{ID: "s", Boundary: boundary}}
		ix, err := jurisdiction.New(streets, 0)
		if err != nil {
			return
		}
		polys := coordinates(t, boundary)
		for _, poly := range polys {
			if len(poly) == 0 {
				t.Fatalf("accepted a polygon without rings: %s", boundary)
			}
			for _, ring := range poly {
				if len(ring) < 4 || ring[0] != ring[len(ring)-1] {
					t.Fatalf("accepted a ring that is not closed with at least 4 positions: %v", ring)
				}
				for _, p := range ring {
					if !(p[0] >= -180 && p[0] <= 180 && p[1] >= -90 && p[1] <= 90) {
						t.Fatalf("accepted position %v outside WGS-84", p)
					}
				}
			}
		}
		got := check(ix, lat, lng)

		// Round trip: the accepted geometry, written back as a MultiPolygon, is the same map.
		again, err := json.Marshal(map[string]any{"type": "MultiPolygon", "coordinates": polys})
		if err != nil {
			t.Fatal(err)
		}
		ix2, err := jurisdiction.New([]jurisdiction.Street{{ID: "s", Boundary: again}}, 0)
		if err != nil {
			t.Fatalf("accepted boundary %s, but not itself written back as %s: %v", boundary, again, err)
		}
		if got2 := check(ix2, lat, lng); got2.Result != got.Result {
			t.Fatalf("round trip changed the answer for (%v, %v): %v -> %v", lat, lng, got.Result, got2.Result)
		}
	})
}

// check looks the point up against street "s" and against an unknown street,
// failing on an answer outside the four results.
func check(ix *jurisdiction.Index, lat, lng float64) jurisdiction.Check {
	var first jurisdiction.Check
	for i, street := range []string{"s", "unknown"} {
		c := ix.Check(street, lat, lng)
		switch c.Result {
		case jurisdiction.Inside, jurisdiction.NearBoundary, jurisdiction.Outside, jurisdiction.NoStreet:
		default:
			panic("unknown result " + string(c.Result))
		}
		if i == 0 {
			first = c
		}
	}
	return first
}

// coordinates reads an accepted boundary's polygons the way RFC 7946 defines them.
func coordinates(t *testing.T, raw []byte) [][][][2]float64 {
	t.Helper()
	var g struct {
		Type        string          `json:"type"`
		Coordinates json.RawMessage `json:"coordinates"`
	}
	if err := json.Unmarshal(raw, &g); err != nil {
		t.Fatalf("accepted boundary is not JSON: %v", err)
	}
	var out [][][][2]float64
	switch g.Type {
	case "Polygon":
		var p [][][2]float64
		if err := json.Unmarshal(g.Coordinates, &p); err != nil {
			t.Fatalf("accepted polygon coordinates do not parse: %v", err)
		}
		if p == nil {
			t.Fatalf("accepted a polygon without coordinates: %s", raw)
		}
		out = [][][][2]float64{p}
	case "MultiPolygon":
		if err := json.Unmarshal(g.Coordinates, &out); err != nil {
			t.Fatalf("accepted multipolygon coordinates do not parse: %v", err)
		}
		if len(out) == 0 {
			t.Fatalf("accepted a multipolygon without polygons: %s", raw)
		}
	default:
		t.Fatalf("accepted geometry type %q", g.Type)
	}
	return out
}

// TestNewRejectsInvalidBoundaries pins what FuzzBoundary found accepted:
// geometry RFC 7946 forbids used to become a street that contains nothing.
func TestNewRejectsInvalidBoundaries(t *testing.T) {
	t.Parallel()
	for name, raw := range map[string]string{
		"no rings":          `{"type":"Polygon","coordinates":[]}`,
		"null coordinates":  `{"type":"Polygon","coordinates":null}`,
		"empty ring":        `{"type":"Polygon","coordinates":[[]]}`,
		"open ring":         `{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,1]]]}`,
		"short ring":        `{"type":"Polygon","coordinates":[[[0,0],[1,1],[0,0]]]}`,
		"lat 91":            `{"type":"Polygon","coordinates":[[[116.39,91],[116.413,39.903],[116.413,39.922],[116.39,91]]]}`,
		"lng 500":           `{"type":"Polygon","coordinates":[[[500,39],[501,39],[501,40],[500,39]]]}`,
		"one-number":        `{"type":"Polygon","coordinates":[[[0],[1,0],[1,1],[0]]]}`,
		"no polygons":       `{"type":"MultiPolygon","coordinates":[]}`,
		"polygon w/o rings": `{"type":"MultiPolygon","coordinates":[[]]}`,
	} {
		_, err := jurisdiction.New([]jurisdiction.Street{{ID: "s", Boundary: []byte(raw)}}, 0)
		if err == nil {
			t.Errorf("%s: boundary %s accepted", name, raw)
		}
	}
	// An altitude is allowed (RFC 7946 §3.1.1) and ignored.
	_, err := jurisdiction.New([]jurisdiction.Street{{ID: "s", Boundary: []byte(`{"type":"Polygon","coordinates":[[[0,0,5],[1,0,5],[1,1,5],[0,0,5]]]}`)}}, 0)
	if err != nil {
		t.Fatalf("boundary with altitudes rejected: %v", err)
	}
}
