package seed_test

import (
	"context"
	"encoding/json"
	"math"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/chuishao/whistle/platform/postgres"
	"github.com/chuishao/whistle/platform/postgres/pgtest"
	"github.com/chuishao/whistle/services/routing/internal/seed"
	"github.com/chuishao/whistle/services/routing/internal/store"
	"github.com/chuishao/whistle/services/routing/migrations"
)

func TestBeijingDataSetIsComplete(t *testing.T) {
	t.Parallel()
	d, err := seed.Beijing()
	require.NoError(t, err)
	require.Len(t, d.Districts, 16)
	require.NotEmpty(t, d.Streets)
	for _, s := range d.Streets {
		var geo struct{ Type string }
		require.NoError(t, json.Unmarshal(s.Boundary, &geo))
		require.Equal(t, "Polygon", geo.Type, "street %s", s.ID)
	}
}

func TestUpsertIsIdempotent(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool, err := postgres.Connect(ctx, pgtest.NewDatabase(t), "routing")
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	require.NoError(t, postgres.Migrate(ctx, pool, "routing", postgres.Migrations{Name: "routing", FS: migrations.FS}))

	d, err := seed.Beijing()
	require.NoError(t, err)
	upsert := func(d *seed.Data) int64 {
		var n int64
		require.NoError(t, pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
			n, err = seed.Upsert(ctx, store.New(tx), d)
			return err
		}))
		return n
	}
	// Reference rows, the seed's catalogue version and its rules, the draft and its copy of the rules.
	all := int64(len(d.Districts) + len(d.Streets) + len(d.Departments) + 1 + 3*len(d.Categories) + 1)
	require.Equal(t, all, upsert(d), "the first load inserts every row")
	require.Zero(t, upsert(d), "loading the same data again changes nothing")
	require.NoError(t, pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error { return seed.Load(ctx, store.New(tx)) }))

	renamed := *d
	renamed.Streets = append([]seed.Street(nil), d.Streets...)
	renamed.Streets[0].NameEn = "Renamed"
	require.Equal(t, int64(1), upsert(&renamed), "only the changed street is rewritten")

	q := store.New(pool)
	st, err := q.GetStreet(ctx, d.Streets[0].ID)
	require.NoError(t, err)
	require.Equal(t, "Renamed", st.NameEn)
	cat, err := q.GetCategory(ctx, "joint-enforcement")
	require.NoError(t, err)
	require.Equal(t, "urban-management", cat.LeadDepartment)
	require.Equal(t, []string{"police", "environment"}, cat.CooperatingDepartments)
	require.Equal(t, "seed-1", cat.CatalogueVersion)
}

// Every seeded street shares a stretch of boundary with another street, so a
// point near any boundary has a neighbour to inform (issue 5: "laid out so
// neighbours touch").
func TestEveryStreetTouchesANeighbour(t *testing.T) {
	t.Parallel()
	d, err := seed.Beijing()
	require.NoError(t, err)
	type segment [2][2]float64
	edges := map[string][]segment{}
	for _, s := range d.Streets {
		var geo struct{ Coordinates [][][2]float64 }
		require.NoError(t, json.Unmarshal(s.Boundary, &geo))
		ring := geo.Coordinates[0]
		for i := 0; i+1 < len(ring); i++ {
			edges[s.ID] = append(edges[s.ID], segment{ring[i], ring[i+1]})
		}
	}
	const eps = 1e-9
	// shared reports whether a and b lie on one line and overlap by more than a point.
	shared := func(a, b segment) bool {
		cross := func(o, p, q [2]float64) float64 { return (p[0]-o[0])*(q[1]-o[1]) - (p[1]-o[1])*(q[0]-o[0]) }
		if math.Abs(cross(a[0], a[1], b[0])) > eps || math.Abs(cross(a[0], a[1], b[1])) > eps {
			return false
		}
		axis := 0
		if math.Abs(a[1][0]-a[0][0]) < math.Abs(a[1][1]-a[0][1]) {
			axis = 1
		}
		lo := math.Max(math.Min(a[0][axis], a[1][axis]), math.Min(b[0][axis], b[1][axis]))
		hi := math.Min(math.Max(a[0][axis], a[1][axis]), math.Max(b[0][axis], b[1][axis]))
		return hi-lo > eps
	}
	for _, s := range d.Streets {
		touches := false
		for _, o := range d.Streets {
			if o.ID == s.ID || touches {
				continue
			}
			for _, a := range edges[s.ID] {
				for _, b := range edges[o.ID] {
					touches = touches || shared(a, b)
				}
			}
		}
		require.True(t, touches, "street %s %s shares no boundary with another street", s.ID, s.Name)
	}
}
