package geo_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/chuishao/whistle/platform/geo"
)

func TestDistanceM(t *testing.T) {
	t.Parallel()
	// A point in Dongcheng, and 40 m north of it.
	lat, lng := 39.9146, 116.4036
	cases := []struct {
		name                   string
		lat1, lng1, lat2, lng2 float64
		want, tol              float64
	}{
		{"the same point", 1, 2, 1, 2, 0, 0},
		{"40 m north", lat, lng, lat + 40/111195.0, lng, 40, 0.5},
		{"天安门 to the Forbidden City's north gate, 1.86 km", 39.9087, 116.3975, 39.9254, 116.3972, 1857, 5},
		{"a degree of latitude at the equator", 0, 0, 1, 0, 111195, 1},
		{"half way round the equator", 0, 0, 0, 180, 20015114, 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			require.InDelta(t, tc.want, geo.DistanceM(tc.lat1, tc.lng1, tc.lat2, tc.lng2), tc.tol)
			require.InDelta(t, tc.want, geo.DistanceM(tc.lat2, tc.lng2, tc.lat1, tc.lng1), tc.tol, "either way round")
		})
	}
}

func TestBoxHoldsTheCircle(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name     string
		lat, lng float64
	}{{"Dongcheng", 39.9146, 116.4036}, {"Urumqi", 43.792818, 87.617733}, {"the equator", 0, 100}} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			minLat, maxLat, minLng, maxLng := geo.Box(tc.lat, tc.lng, 100)
			// Each edge is the radius away from the centre, so the box holds the circle and little more.
			require.InDelta(t, 100, geo.DistanceM(tc.lat, tc.lng, maxLat, tc.lng), 0.5)
			require.InDelta(t, 100, geo.DistanceM(tc.lat, tc.lng, minLat, tc.lng), 0.5)
			require.InDelta(t, 100, geo.DistanceM(tc.lat, tc.lng, tc.lat, maxLng), 0.5)
			require.InDelta(t, 100, geo.DistanceM(tc.lat, tc.lng, tc.lat, minLng), 0.5)
		})
	}
}
