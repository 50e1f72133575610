package boundary_test

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/paulmach/orb"
	"github.com/stretchr/testify/require"

	"github.com/chuishao/whistle/platform/geo/coordsys"
	"github.com/chuishao/whistle/services/routing/internal/boundary"
)

// square is a closed ring of the square with corner (x, y) and side d.
func square(x, y, d float64) [][2]float64 {
	return [][2]float64{{x, y}, {x + d, y}, {x + d, y + d}, {x, y + d}, {x, y}}
}

func feature(props map[string]any, geomType string, coords any) map[string]any {
	return map[string]any{"type": "Feature", "properties": props, "geometry": map[string]any{"type": geomType, "coordinates": coords}}
}

func file(t *testing.T, features ...map[string]any) []byte {
	t.Helper()
	raw, err := json.Marshal(map[string]any{"type": "FeatureCollection", "features": features})
	require.NoError(t, err)
	return raw
}

func street(code string, coords ...[][2]float64) map[string]any {
	return feature(map[string]any{"code": code, "name": "街道" + code}, "Polygon", coords)
}

func TestTopologyNamesWhatIsWrong(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		shape orb.MultiPolygon
		want  string // empty: valid
	}{
		{"square with a hole", mp(ring(square(0, 0, 10)), ring(square(2, 2, 2))), ""},
		{"two squares apart", orb.MultiPolygon{{ring(square(0, 0, 1))}, {ring(square(3, 0, 1))}}, ""},
		{"an island in a lake", orb.MultiPolygon{{ring(square(0, 0, 10)), ring(square(2, 2, 6))}, {ring(square(4, 4, 1))}}, ""},
		{"repeated positions", mp(orb.Ring{{0, 0}, {1, 0}, {1, 0}, {1, 1}, {0, 1}, {0, 0}}), ""},
		{"bow tie", mp(orb.Ring{{0, 0}, {2, 2}, {2, 0}, {0, 2}, {0, 0}}), "the shell edge 0 crosses or touches the shell edge 2"},
		{"fold back", mp(orb.Ring{{0, 0}, {2, 0}, {1, 0}, {1, 1}, {0, 0}}), "crosses or touches"},
		{"figure eight touching itself", mp(orb.Ring{{0, 0}, {2, 0}, {1, 1}, {2, 2}, {0, 2}, {1, 1}, {0, 0}}), "crosses or touches"},
		{"flat", mp(orb.Ring{{0, 0}, {1, 0}, {2, 0}, {0, 0}}), "crosses or touches"},
		{"hole outside", mp(ring(square(0, 0, 1)), ring(square(5, 5, 1))), "hole 1 is not inside its shell"},
		{"hole across the shell", mp(ring(square(0, 0, 2)), ring(square(1, 1, 2))), "crosses or touches hole 1"},
		{"hole in a hole", mp(ring(square(0, 0, 10)), ring(square(1, 1, 8)), ring(square(2, 2, 1))), "hole 2 lies inside hole 1"},
		{"polygon inside another", orb.MultiPolygon{{ring(square(0, 0, 10))}, {ring(square(2, 2, 1))}}, "polygon 1 lies inside polygon 0"},
		{"overlapping polygons", orb.MultiPolygon{{ring(square(0, 0, 2))}, {ring(square(1, 1, 2))}}, "crosses or touches"},
	} {
		err := boundary.Topology(tc.shape)
		if tc.want == "" {
			require.NoError(t, err, tc.name)
			continue
		}
		require.ErrorContains(t, err, tc.want, tc.name)
	}
}

func ring(c [][2]float64) orb.Ring {
	r := make(orb.Ring, len(c))
	for i, p := range c {
		r[i] = orb.Point(p)
	}
	return r
}

func mp(rings ...orb.Ring) orb.MultiPolygon { return orb.MultiPolygon{orb.Polygon(rings)} }

func TestReadRefusesABrokenFileNamingEachFailingFeature(t *testing.T) {
	t.Parallel()
	good := street("110101001", square(116.39, 39.90, 0.02), square(116.395, 39.905, 0.005))
	units, problems := boundary.Read(file(t,
		good,
		feature(map[string]any{"code": "110101002", "name": "景山"}, "Polygon", [][][2]float64{{{116, 39}, {116.1, 39.1}, {116.1, 39}, {116, 39.1}, {116, 39}}}),
		feature(map[string]any{"code": "110101003", "name": "交道口"}, "Point", [2]float64{116, 39}),
		street("110101001", square(116.5, 39.9, 0.01)),
		feature(map[string]any{"code": "1101", "name": "短"}, "Polygon", [][][2]float64{square(116, 39, 0.01)}),
		feature(map[string]any{"code": "110101004"}, "Polygon", [][][2]float64{square(116, 39, 0.01)}),
		feature(map[string]any{"code": "110101005", "name": "开口"}, "Polygon", [][][2]float64{{{116, 39}, {116.1, 39}, {116.1, 39.1}, {116, 39.1}}}),
		feature(map[string]any{"code": "110101006", "name": "越界"}, "Polygon", [][][2]float64{square(190, 39, 1)}),
	), boundary.Options{Level: boundary.Street})
	require.Nil(t, units, "nothing of a broken file is taken")
	got := map[string]string{}
	for _, p := range problems {
		got[p.Field()] = p.Message()
	}
	require.Equal(t, map[string]string{
		"geojson.features[1]": "110101002: the shell edge 0 crosses or touches the shell edge 2 near [116.050000, 39.050000]",
		"geojson.features[2]": "110101003: geometry is a Point, not a Polygon or MultiPolygon",
		"geojson.features[3]": "110101001: street 110101001 is already feature 0",
		"geojson.features[4]": `1101: code "1101" of a street must be a nine-digit township code (property "code")`,
		"geojson.features[5]": `110101004: name is required (property "name")`,
		"geojson.features[6]": "110101005: the shell is not closed: its last position differs from its first",
		"geojson.features[7]": "110101006: the shell position 0 [190, 39] is not a WGS-84 longitude and latitude",
	}, got)
}

func TestReadRefusesWhatIsNotAFeatureCollection(t *testing.T) {
	t.Parallel()
	for raw, want := range map[string]string{
		`{`:                                  "is not JSON",
		`{"type":"Feature","geometry":null}`: `is a "Feature", not a GeoJSON FeatureCollection`,
		`{"type":"FeatureCollection","features":[]}`:   "has no features",
		`{"type":"FeatureCollection","features":[{}]}`: "",
	} {
		_, problems := boundary.Read([]byte(raw), boundary.Options{Level: boundary.Street})
		require.NotEmpty(t, problems, raw)
		require.Contains(t, problems[0].Reason, want, raw)
	}
}

func TestReadTakesLevelsCodesAndParents(t *testing.T) {
	t.Parallel()
	units, problems := boundary.Read(file(t,
		feature(map[string]any{"level": "district", "XZQDM": 110101, "MC": "东城区"}, "Polygon", [][][2]float64{square(116.38, 39.85, 0.1)}),
		feature(map[string]any{"XZQDM": 110101001, "MC": "东华门街道"}, "MultiPolygon", [][][][2]float64{{square(116.39, 39.90, 0.01)}, {square(116.41, 39.90, 0.01)}}),
		feature(map[string]any{"level": "grid", "XZQDM": "DHM-01", "MC": "东华门一网格", "SJ": "110101001"}, "Polygon", [][][2]float64{square(116.39, 39.90, 0.005)}),
		feature(map[string]any{"level": "community", "XZQDM": "110101001001", "MC": "多福巷社区", "SJ": "110101002"}, "Polygon", [][][2]float64{square(116.39, 39.90, 0.005)}),
	), boundary.Options{Level: boundary.Street, CodeProperty: "XZQDM", NameProperty: "MC", ParentProperty: "SJ"})
	require.Len(t, problems, 1)
	require.Equal(t, 3, problems[0].Index)
	require.Contains(t, problems[0].Reason, `parent "110101002" does not match the code 110101001001, which lies in 110101001`)
	require.Nil(t, units)

	units, problems = boundary.Read(file(t,
		feature(map[string]any{"level": "district", "XZQDM": 110101, "MC": "东城区"}, "Polygon", [][][2]float64{square(116.38, 39.85, 0.1)}),
		feature(map[string]any{"XZQDM": 110101001, "MC": "东华门街道"}, "MultiPolygon", [][][][2]float64{{square(116.39, 39.90, 0.01)}, {square(116.41, 39.90, 0.01)}}),
		feature(map[string]any{"level": "grid", "XZQDM": "DHM-01", "MC": "东华门一网格", "SJ": "110101001"}, "Polygon", [][][2]float64{square(116.39, 39.90, 0.005)}),
	), boundary.Options{Level: boundary.Street, CodeProperty: "XZQDM", NameProperty: "MC", ParentProperty: "SJ"})
	require.Empty(t, problems)
	require.Len(t, units, 3)
	require.Equal(t, boundary.Unit{Level: boundary.District, Code: "110101", Name: "东城区"}, withoutShape(units[0]))
	require.Equal(t, boundary.Unit{Level: boundary.Street, Code: "110101001", Name: "东华门街道", Parent: "110101"}, withoutShape(units[1]))
	require.Len(t, units[1].Shape, 2)
	require.Equal(t, boundary.Unit{Level: boundary.Grid, Code: "DHM-01", Name: "东华门一网格", Parent: "110101001"}, withoutShape(units[2]))
}

func withoutShape(u boundary.Unit) boundary.Unit { u.Shape = nil; return u }

// A file traced in 高德 (GCJ-02) is stored in WGS-84: every position moved
// back by the inverse conversion.
func TestReadConvertsToWGS84(t *testing.T) {
	t.Parallel()
	sq := square(116.39, 39.90, 0.02)
	units, problems := boundary.Read(file(t, street("110101001", sq)), boundary.Options{Level: boundary.Street, CoordSys: coordsys.GCJ02})
	require.Empty(t, problems)
	for i, p := range units[0].Shape[0][0] {
		w := coordsys.ToWGS84(coordsys.GCJ02, coordsys.Point{Lat: sq[i][1], Lng: sq[i][0]})
		require.Equal(t, orb.Point{w.Lng, w.Lat}, p)
	}
	require.NoError(t, boundary.Structure(units[0].Shape), "still closed")
}

func TestReadLimits(t *testing.T) {
	t.Parallel()
	big := make([][2]float64, 0, boundary.MaxFeatureVertices+2)
	for i := range boundary.MaxFeatureVertices + 1 {
		big = append(big, [2]float64{116 + float64(i)*1e-6, 39})
	}
	big = append(big, [2]float64{116, 39.1}, big[0])
	_, problems := boundary.Read(file(t, street("110101001", big)), boundary.Options{Level: boundary.Street})
	require.Len(t, problems, 1)
	require.Contains(t, problems[0].Reason, fmt.Sprintf("at most %d per unit", boundary.MaxFeatureVertices))

	var many []map[string]any
	for i := range boundary.MaxFeatures + 1 {
		many = append(many, street(fmt.Sprintf("110101%03d", i%1000), square(116, 39, 0.01)))
	}
	_, problems = boundary.Read(file(t, many...), boundary.Options{Level: boundary.Street})
	require.Equal(t, []boundary.Problem{{Index: -1, Reason: fmt.Sprintf("has %d features, at most %d are imported at once: split the file", boundary.MaxFeatures+1, boundary.MaxFeatures)}}, problems)
}

func TestMergeAndDiff(t *testing.T) {
	t.Parallel()
	u := func(level boundary.Level, code string, x float64) boundary.Unit {
		return boundary.Unit{Level: level, Code: code, Name: code, Shape: mp(ring(square(x, 0, 1)))}
	}
	current := []boundary.Unit{u(boundary.Street, "110101001", 0), u(boundary.Street, "110101002", 2), u(boundary.District, "110101", 0)}
	imported := []boundary.Unit{u(boundary.Street, "110101002", 3), u(boundary.Street, "110101003", 5)}

	merged := boundary.Merge(current, imported, false)
	kinds := func(cs []boundary.Change) []string {
		var out []string
		for _, c := range cs {
			out = append(out, c.Kind+" "+c.Unit().Key())
		}
		return out
	}
	require.Equal(t, []string{"changed street:110101002", "added street:110101003"}, kinds(boundary.Diff(current, merged)))

	replaced := boundary.Merge(current, imported, true)
	require.Equal(t, []string{"removed street:110101001", "changed street:110101002", "added street:110101003"}, kinds(boundary.Diff(current, replaced)),
		"replace drops the streets the file does not hold, and keeps the district")
	require.Empty(t, boundary.Diff(merged, boundary.Merge(merged, imported, false)), "importing the same file again changes nothing")
}
