package seed_test

import (
	"context"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/chuishao/whistle/platform/postgres"
	"github.com/chuishao/whistle/platform/postgres/pgtest"
	"github.com/chuishao/whistle/services/routing/internal/seed"
	"github.com/chuishao/whistle/services/routing/internal/store"
	"github.com/chuishao/whistle/services/routing/migrations"
)

// The official units are Beijing's whole map, and the operating streets
// and districts are among them under the same codes and names.
func TestDivisionsHoldTheOperatingStreets(t *testing.T) {
	t.Parallel()
	div, err := seed.BeijingDivisions()
	require.NoError(t, err)
	require.Len(t, div.Districts, 16)
	require.Greater(t, len(div.Streets), 300)
	require.Greater(t, len(div.Communities), 7000)
	official := map[string]string{}
	for _, level := range [][][2]string{div.Districts, div.Streets, div.Communities} {
		for _, u := range level {
			require.True(t, strings.HasPrefix(u[0], "11"), "%v is in Beijing", u)
			official[u[0]] = u[1]
		}
	}
	for _, c := range div.Communities {
		require.Contains(t, official, c[0][:9], "community %v has an official street", c)
	}
	d, err := seed.Beijing()
	require.NoError(t, err)
	for _, x := range d.Districts {
		require.Equal(t, official[x.ID], x.Name, "district %s", x.ID)
	}
	for _, s := range d.Streets {
		require.Equal(t, official[s.ID], s.Name, "street %s", s.ID)
	}
}

func TestLoadSeedsTheDivisionsOnce(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool, err := postgres.Connect(ctx, pgtest.NewDatabase(t), "routing")
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	require.NoError(t, postgres.Migrate(ctx, pool, "routing", postgres.Migrations{Name: "routing", FS: migrations.FS}))
	load := func() {
		require.NoError(t, pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error { return seed.Load(ctx, store.New(tx)) }))
	}
	load()
	load()
	q := store.New(pool)
	communities, err := q.ListDivisions(ctx, store.ListDivisionsParams{ParentCode: "110101001"})
	require.NoError(t, err)
	require.NotEmpty(t, communities)
	require.Equal(t, "多福巷社区居委会", communities[0].Name)
	require.Equal(t, "community", communities[0].Level)
	// A district's communities (its committees) in one answer, every one of its streets'.
	dongcheng, err := q.ListDivisions(ctx, store.ListDivisionsParams{Level: "community", ParentCode: "110101"})
	require.NoError(t, err)
	require.Greater(t, len(dongcheng), len(communities))
	require.Equal(t, "多福巷社区居委会", dongcheng[0].Name)
	for _, c := range dongcheng {
		require.Equal(t, "community", c.Level)
		require.True(t, strings.HasPrefix(c.ParentCode, "110101"), c.Code)
	}
	streets, err := q.ListDivisions(ctx, store.ListDivisionsParams{Level: "street", ParentCode: "110105"})
	require.NoError(t, err)
	operating := 0
	for _, s := range streets {
		if s.Operating {
			operating++
		}
		require.Empty(t, s.BoundaryVersion, "nothing imported yet")
	}
	require.Greater(t, len(streets), operating, "Chaoyang has official streets the seed does not operate")
	require.Positive(t, operating)
}
