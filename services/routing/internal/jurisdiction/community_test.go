package jurisdiction_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/chuishao/whistle/services/routing/internal/jurisdiction"
)

func square(w, s, size float64) []byte {
	return fmt.Appendf(nil, `{"type":"Polygon","coordinates":[[[%[1]f,%[2]f],[%[3]f,%[2]f],[%[3]f,%[4]f],[%[1]f,%[4]f],[%[1]f,%[2]f]]]}`,
		w, s, w+size, s+size)
}

// communityGrid is n × n communities of 0.004° (about 340 × 440 m) tiling
// Donghuamen's corner, coded in row order, plus one county-sized village far
// away (bigger than the grid keeps per cell).
func communityGrid(n int) []jurisdiction.Community {
	var cs []jurisdiction.Community
	for i := range n * n {
		cs = append(cs, jurisdiction.Community{
			Code: fmt.Sprintf("110101001%03d", i), Name: fmt.Sprintf("社区%d", i), Street: donghuamen,
			Boundary: square(116.39+0.004*float64(i%n), 39.903+0.004*float64(i/n), 0.004),
		})
	}
	return append(cs, jurisdiction.Community{Code: "110116200001", Name: "大村", Street: "110116200",
		Boundary: square(116.0, 40.5, 0.6)})
}

func TestAPointResolvesToItsCommunity(t *testing.T) {
	t.Parallel()
	ix, err := jurisdiction.Build(jurisdiction.Map{Communities: communityGrid(30)}, 0)
	require.NoError(t, err)
	require.Equal(t, 901, ix.Communities())
	for _, tc := range []struct {
		lat, lng float64
		want     string
		result   jurisdiction.CommunityResult
	}{
		{39.903 + 0.002, 116.39 + 0.002, "110101001000", jurisdiction.InCommunity},
		// Row 2, column 5, just inside its south-west corner.
		{39.903 + 0.008 + 3*metre, 116.39 + 0.020 + 5*metre, "110101001065", jurisdiction.InCommunity},
		{39.903 + 0.004*29 + 0.001, 116.39 + 0.004*29 + 0.001, "110101001899", jurisdiction.InCommunity},
		{40.8, 116.3, "110116200001", jurisdiction.InCommunity},
		{39.95, 116.6, "", jurisdiction.NoCommunity},
	} {
		c, result := ix.Community(tc.lat, tc.lng)
		require.Equal(t, tc.result, result, "(%v, %v)", tc.lat, tc.lng)
		require.Equal(t, tc.want, c.Code, "(%v, %v)", tc.lat, tc.lng)
	}
}

func TestWithoutCommunityBoundariesNoPointHasACommunity(t *testing.T) {
	t.Parallel()
	ix := beijing(t)
	c, result := ix.Community(39.91, 116.40)
	require.Equal(t, jurisdiction.Unmapped, result)
	require.Empty(t, c.Code)
}

// The cache rebuilds its index when the stamp changes: a property company
// registered for a community is used from the next batch on.
func TestTheCacheSeesANewRegistration(t *testing.T) {
	t.Parallel()
	property := ""
	stamp := jurisdiction.Stamp{Boundaries: 1}
	loads := 0
	c := &jurisdiction.Cache{
		Load: func(context.Context) (jurisdiction.Map, error) {
			loads++
			cs := communityGrid(2)
			cs[0].Property = property
			return jurisdiction.Map{Streets: []jurisdiction.Street{{ID: donghuamen, Boundary: square(116.39, 39.903, 0.02)}}, Communities: cs}, nil
		},
		Version: func(context.Context) (jurisdiction.Stamp, error) { return stamp, nil },
	}
	ctx := context.Background()
	check := func() jurisdiction.Check {
		t.Helper()
		require.NoError(t, c.Refresh(ctx))
		got, err := c.Check(ctx, donghuamen, 39.904, 116.391)
		require.NoError(t, err)
		return got
	}
	got := check()
	require.Equal(t, jurisdiction.Inside, got.Result)
	require.Equal(t, "110101001000", got.Community.Code)
	require.Empty(t, got.Community.Property)
	property = "pm-a"
	require.Empty(t, check().Community.Property, "nothing changed in force: the index stands")
	stamp.Parties++
	require.Equal(t, "pm-a", check().Community.Property)
	require.Equal(t, 2, loads)
}

func BenchmarkCommunityLookup(b *testing.B) {
	ix, err := jurisdiction.Build(jurisdiction.Map{Communities: communityGrid(87)}, 0) // ~7,500, Beijing's count
	require.NoError(b, err)
	b.ResetTimer()
	for i := range b.N {
		ix.Community(39.903+0.0001*float64(i%3000), 116.39+0.0001*float64(i%3400))
	}
}
