package jurisdiction_test

import (
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/chuishao/whistle/services/routing/internal/jurisdiction"
	"github.com/chuishao/whistle/services/routing/internal/routing"
	"github.com/chuishao/whistle/services/routing/internal/seed"
)

const (
	donghuamen = "110101001" // [116.39, 116.413] × [39.903, 39.922]
	jingshan   = "110101002" // north of Donghuamen's west part, sharing lat 39.922
)

// metre is one metre of latitude in degrees.
const metre = 1 / 111195.0

func beijing(t testing.TB) *jurisdiction.Index {
	t.Helper()
	d, err := seed.Beijing()
	require.NoError(t, err)
	streets := make([]jurisdiction.Street, len(d.Streets))
	for i, s := range d.Streets {
		streets[i] = jurisdiction.Street{ID: s.ID, Boundary: s.Boundary}
	}
	ix, err := jurisdiction.New(streets, jurisdiction.DefaultBuffer)
	require.NoError(t, err)
	return ix
}

func TestCheckAgainstTheSeedMap(t *testing.T) {
	t.Parallel()
	ix := beijing(t)
	tests := []struct {
		name       string
		lat, lng   float64
		want       jurisdiction.Result
		neighbours []string
		minDist    float64
	}{
		{"well inside", 39.9146, 116.4036, jurisdiction.Inside, nil, 0},
		{"100 m inside the shared edge", 39.922 - 100*metre, 116.395, jurisdiction.Inside, nil, 0},
		{"on the shared edge", 39.922, 116.395, jurisdiction.NearBoundary, []string{jingshan}, 0},
		{"30 m inside the shared edge", 39.922 - 30*metre, 116.395, jurisdiction.NearBoundary, []string{jingshan}, 0},
		{"30 m over the edge in the neighbour", 39.922 + 30*metre, 116.395, jurisdiction.NearBoundary, []string{jingshan}, 25},
		{"clearly in another street", 39.93, 116.392, jurisdiction.Outside, []string{jingshan}, 700},
		{"outside every street", 39.0, 115.0, jurisdiction.NoStreet, nil, 10000},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := ix.Check(donghuamen, tc.lat, tc.lng)
			require.Equal(t, tc.want, got.Result)
			require.Equal(t, tc.neighbours, got.Neighbours)
			require.GreaterOrEqual(t, got.DistanceM, tc.minDist)
			if tc.minDist == 0 {
				require.Zero(t, got.DistanceM)
			}
			require.Equal(t, tc.want == jurisdiction.Outside || tc.want == jurisdiction.NoStreet, got.NeedsConfirmation())
		})
	}
}

func TestCheckAtTheCityEdgeHasNoNeighbourToInform(t *testing.T) {
	t.Parallel()
	// A square street alone: a point near its edge has nobody to inform.
	ix, err := jurisdiction.New([]jurisdiction.Street{{ID: "s", Boundary: []byte(
		`{"type":"Polygon","coordinates":[[[116.0,40.0],[116.01,40.0],[116.01,40.01],[116.0,40.01],[116.0,40.0]]]}`)}}, 0)
	require.NoError(t, err)
	require.Equal(t, jurisdiction.Inside, ix.Check("s", 40.0+10*metre, 116.005).Result)
	near := ix.Check("s", 40.0-10*metre, 116.005)
	require.Equal(t, jurisdiction.NearBoundary, near.Result)
	require.InDelta(t, 10, near.DistanceM, 0.5)
	require.Equal(t, jurisdiction.NoStreet, ix.Check("s", 40.0-200*metre, 116.005).Result)
	require.Equal(t, jurisdiction.NoStreet, ix.Check("unknown", 40.0-200*metre, 116.005).Result)
	require.Equal(t, jurisdiction.Outside, ix.Check("unknown", 40.005, 116.005).Result)
}

func TestNewRejectsWhatIsNotAPolygon(t *testing.T) {
	t.Parallel()
	_, err := jurisdiction.New([]jurisdiction.Street{{ID: "s", Boundary: []byte(`{"type":"Point","coordinates":[116,40]}`)}}, 0)
	require.ErrorContains(t, err, "street s")
}

// BenchmarkCheck measures point look-ups against the full seed map: random
// points over the seeded part of Beijing, each checked against a random street.
func BenchmarkCheck(b *testing.B) {
	ix := beijing(b)
	d, err := seed.Beijing()
	require.NoError(b, err)
	r := rand.New(rand.NewPCG(1, 2))
	type q struct {
		street   string
		lat, lng float64
	}
	qs := make([]q, 4096)
	for i := range qs {
		s := d.Streets[r.IntN(len(d.Streets))]
		// Around the street's centroid, so most look-ups hit real polygons and boundaries.
		qs[i] = q{s.ID, s.Centroid.Lat + (r.Float64()-0.5)*0.03, s.Centroid.Lng + (r.Float64()-0.5)*0.03}
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		x := qs[i%len(qs)]
		ix.Check(x.street, x.lat, x.lng)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "lookups/s")
}

// BenchmarkDecision measures the in-memory part of a routing decision with the
// full seed catalogue: the category's rule, the plan, and the polygon check.
// (The consumer adds one transaction per whistle on top.)
func BenchmarkDecision(b *testing.B) {
	ix := beijing(b)
	d, err := seed.Beijing()
	require.NoError(b, err)
	rules := map[string]routing.Category{}
	for _, c := range d.Categories {
		rules[c.Code] = routing.Category{Code: c.Code, Lead: c.LeadDepartment, Cooperating: c.CooperatingDepartments, CatalogueVersion: "seed-1"}
	}
	r := rand.New(rand.NewPCG(3, 4))
	type q struct {
		street, category string
		lat, lng         float64
	}
	qs := make([]q, 4096)
	for i := range qs {
		s := d.Streets[r.IntN(len(d.Streets))]
		qs[i] = q{s.ID, d.Categories[r.IntN(len(d.Categories))].Code, s.Centroid.Lat + (r.Float64()-0.5)*0.03, s.Centroid.Lng + (r.Float64()-0.5)*0.03}
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		x := qs[i%len(qs)]
		c := rules[x.category]
		routing.PlanFor(&c)
		ix.Check(x.street, x.lat, x.lng)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "decisions/s")
}
