package coordsys_test

import (
	"math"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/chuishao/whistle/platform/geo/coordsys"
)

// metres is the distance between two points close together (equirectangular).
func metres(a, b coordsys.Point) float64 {
	const perDegree = 6371008.8 * math.Pi / 180
	dy := (a.Lat - b.Lat) * perDegree
	dx := (a.Lng - b.Lng) * perDegree * math.Cos(a.Lat*math.Pi/180)
	return math.Hypot(dx, dy)
}

// vectors were computed from the published forward formulas (GCJ-02 on the
// Krasovsky ellipsoid, BD-09 from GCJ-02) by a separate, direct transcription
// of them in Python, at 12 decimals; see docs/decisions.md.
var vectors = []struct {
	name         string
	wgs, gcj, bd coordsys.Point
}{
	{"天安门 Tiananmen", coordsys.Point{Lat: 39.90923, Lng: 116.397428},
		coordsys.Point{Lat: 39.910633506386, Lng: 116.403671625958}, coordsys.Point{Lat: 39.916972856075, Lng: 116.410044101705}},
	{"北京西站 Beijing West", coordsys.Point{Lat: 39.89491, Lng: 116.322056},
		coordsys.Point{Lat: 39.896209391906, Lng: 116.328174665575}, coordsys.Point{Lat: 39.901926472536, Lng: 116.334775864924}},
	{"外滩 the Bund", coordsys.Point{Lat: 31.236305, Lng: 121.490317},
		coordsys.Point{Lat: 31.234317851534, Lng: 121.494783557904}, coordsys.Point{Lat: 31.239971731201, Lng: 121.501392664068}},
	{"广州 Guangzhou", coordsys.Point{Lat: 23.129112, Lng: 113.264385},
		coordsys.Point{Lat: 23.126435336539, Lng: 113.269714582887}, coordsys.Point{Lat: 23.132723116471, Lng: 113.276135767984}},
	{"乌鲁木齐 Urumqi", coordsys.Point{Lat: 43.792818, Lng: 87.617733},
		coordsys.Point{Lat: 43.794042573150, Lng: 87.620582260419}, coordsys.Point{Lat: 43.800164259592, Lng: 87.627014577755}},
}

func near(t *testing.T, want, got coordsys.Point, tolDeg float64, what string) {
	t.Helper()
	require.InDelta(t, want.Lat, got.Lat, tolDeg, "%s: latitude", what)
	require.InDelta(t, want.Lng, got.Lng, tolDeg, "%s: longitude", what)
}

func TestForwardConversionsMatchTheReferenceVectors(t *testing.T) {
	t.Parallel()
	for _, v := range vectors {
		near(t, v.gcj, coordsys.WGS84ToGCJ02(v.wgs), 1e-11, v.name+" WGS-84 → GCJ-02")
		near(t, v.bd, coordsys.GCJ02ToBD09(v.gcj), 1e-11, v.name+" GCJ-02 → BD-09")
		near(t, v.bd, coordsys.FromWGS84(coordsys.BD09, v.wgs), 1e-11, v.name+" WGS-84 → BD-09")
		// The offsets are what makes the conversion matter: hundreds of metres.
		require.Greater(t, metres(v.wgs, v.gcj), 100.0, v.name)
	}
}

func TestInversesRecoverWGS84ToAMillimetre(t *testing.T) {
	t.Parallel()
	for _, v := range vectors {
		require.Less(t, metres(v.wgs, coordsys.ToWGS84(coordsys.GCJ02, v.gcj)), 0.001, v.name+" GCJ-02 → WGS-84")
		require.Less(t, metres(v.wgs, coordsys.ToWGS84(coordsys.BD09, v.bd)), 0.001, v.name+" BD-09 → WGS-84")
		require.Less(t, metres(v.gcj, coordsys.BD09ToGCJ02(v.bd)), 0.001, v.name+" BD-09 → GCJ-02")
	}
}

// TestPublishedExample checks the worked example of a widely used open
// implementation (coordtransform): for (116.404, 39.915) it gives these
// forward results, and for its approximate BD-09 → GCJ-02 inverse a point our
// refined inverse must agree with to a few centimetres.
func TestPublishedExample(t *testing.T) {
	t.Parallel()
	in := coordsys.Point{Lat: 39.915, Lng: 116.404}
	near(t, coordsys.Point{Lat: 39.91640428150164, Lng: 116.41024449916938}, coordsys.WGS84ToGCJ02(in), 1e-12, "wgs84togcj02")
	near(t, coordsys.Point{Lat: 39.92133699351021, Lng: 116.41036949371029}, coordsys.GCJ02ToBD09(in), 1e-12, "gcj02tobd09")
	require.Less(t, metres(coordsys.Point{Lat: 39.90865673957631, Lng: 116.39762729119315}, coordsys.BD09ToGCJ02(in)), 0.1, "bd09togcj02")
}

// TestRoundTripsAcrossChina converts a grid over the whole rectangle there
// and back in every direction: each comes back within a millimetre.
func TestRoundTripsAcrossChina(t *testing.T) {
	t.Parallel()
	worst := 0.0
	for lat := 1.0; lat <= 55.5; lat += 0.75 {
		for lng := 72.5; lng <= 137.5; lng += 0.8 {
			p := coordsys.Point{Lat: lat, Lng: lng}
			for _, s := range coordsys.Systems {
				worst = math.Max(worst, metres(p, coordsys.ToWGS84(s, coordsys.FromWGS84(s, p))))
				worst = math.Max(worst, metres(p, coordsys.FromWGS84(s, coordsys.ToWGS84(s, p))))
			}
		}
	}
	require.Less(t, worst, 0.001, "worst round trip, metres")
}

func TestOutsideChinaGCJ02IsWGS84(t *testing.T) {
	t.Parallel()
	for _, p := range []coordsys.Point{
		{Lat: 51.5007, Lng: -0.1246},  // London
		{Lat: 35.6586, Lng: 139.7454}, // Tokyo, east of the rectangle
		{Lat: -33.8568, Lng: 151.2153},
		{Lat: 90, Lng: 180},
	} {
		require.Equal(t, p, coordsys.WGS84ToGCJ02(p))
		require.Equal(t, p, coordsys.ToWGS84(coordsys.GCJ02, p))
		require.True(t, coordsys.OutOfChina(p))
		// BD-09 keeps its own shift everywhere, and still round-trips.
		require.Less(t, metres(p, coordsys.ToWGS84(coordsys.BD09, coordsys.FromWGS84(coordsys.BD09, p))), 0.001)
	}
	require.False(t, coordsys.OutOfChina(vectors[0].wgs))
}

func TestParse(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]coordsys.System{
		"WGS84": coordsys.WGS84, "wgs-84": coordsys.WGS84, "GCJ02": coordsys.GCJ02, "gcj-02": coordsys.GCJ02,
		" bd09 ": coordsys.BD09, "BD-09": coordsys.BD09,
	} {
		got, err := coordsys.Parse(in)
		require.NoError(t, err, in)
		require.Equal(t, want, got, in)
	}
	for _, bad := range []string{"", "GCJ", "EPSG:4326", "bd09ll"} {
		_, err := coordsys.Parse(bad)
		require.Error(t, err, bad)
	}
	def, err := coordsys.ParseDefault("")
	require.NoError(t, err)
	require.Equal(t, coordsys.WGS84, def, "a deployment without a default takes WGS-84")
	def, err = coordsys.ParseDefault("gcj02")
	require.NoError(t, err)
	require.Equal(t, coordsys.GCJ02, def)
}
