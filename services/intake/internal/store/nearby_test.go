package store

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"slices"
	"testing"
	"testing/fstest"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/chuishao/whistle/platform/geo"
	"github.com/chuishao/whistle/platform/postgres"
	"github.com/chuishao/whistle/platform/postgres/pgtest"
	"github.com/chuishao/whistle/services/intake/internal/intake"
	"github.com/chuishao/whistle/services/intake/migrations"
)

// now is the storm's end: every whistle was raised in the 24 hours before it.
var now = time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)

func newPool(t testing.TB) *pgxpool.Pool {
	t.Helper()
	ctx := context.Background()
	url := pgtest.NewDatabaseFrom(t, "intake", pgtest.Migrated("intake", migrations.Set))
	pool, err := postgres.Connect(ctx, url, "intake")
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	return pool
}

// A storm spread over the city: points over 40 km × 40 km of Beijing, each
// in the street of its 2 km square (400 streets). stormStreet names a
// point's street the way the storm's SQL does.
const (
	stormLat0, stormLng0       = 39.80, 116.20
	stormLatSpan, stormLngSpan = 0.36, 0.47
	streetLat, streetLng       = 0.018, 0.0235
)

func stormStreet(lat, lng float64) string {
	return fmt.Sprintf("s%d-%d", int((lat-stormLat0)/streetLat), int((lng-stormLng0)/streetLng))
}

// raiseStorm inserts n open noise whistles raised in the last 24 hours
// across the city, in one statement (the storm's shape, not the raise path,
// is what is measured).
func raiseStorm(t testing.TB, pool *pgxpool.Pool, n int) {
	t.Helper()
	raiseStormOver(t, pool, n, stormLatSpan, stormLngSpan)
}

// raiseStormOver is raiseStorm over latSpan × lngSpan degrees from the storm's corner.
func raiseStormOver(t testing.TB, pool *pgxpool.Pool, n int, latSpan, lngSpan float64) {
	t.Helper()
	ctx := context.Background()
	_, err := pool.Exec(ctx, `
		INSERT INTO whistles (id, street_id, district_id, category, description, lat, lng, urgency, status,
		                      raised_by_role, raised_by_id, raised_at, updated_at)
		SELECT 'storm-' || g, 's' || floor((lat - $2) / $4)::int || '-' || floor((lng - $3) / $5)::int, '110101',
		       'noise', 'storm', lat, lng, 'NORMAL', 'ROUTED', 'street', 'bench', at, at
		FROM (SELECT g, $2 + random() * $6 AS lat, $3 + random() * $7 AS lng,
		             $8::timestamptz - random() * interval '23 hours' AS at
		      FROM generate_series(1, $1) AS g) AS p`,
		n, stormLat0, stormLng0, streetLat, streetLng, latSpan, lngSpan, now)
	require.NoError(t, err)
	_, err = pool.Exec(ctx, "ANALYZE whistles")
	require.NoError(t, err)
}

// nearbyParams is the duplicate search of a new whistle of street at (lat,
// lng), a group of one.
func nearbyParams(street string, lat, lng, radiusM float64) NearbyOpenWhistlesParams {
	minLat, maxLat, minLng, maxLng := geo.Box(lat, lng, radiusM)
	p := NearbyOpenWhistlesParams{Ids: []string{"new"}}
	for _, c := range intake.Cells(minLat, maxLat, minLng, maxLng) {
		p.Whistles = append(p.Whistles, 1)
		p.Cells = append(p.Cells, c)
		p.StreetIds = append(p.StreetIds, street)
		p.Categories = append(p.Categories, "noise")
		p.Since = append(p.Since, now.Add(-intake.DefaultDuplicateWindow))
		p.MinLats, p.MaxLats = append(p.MinLats, minLat), append(p.MaxLats, maxLat)
		p.MinLngs, p.MaxLngs = append(p.MinLngs, minLng), append(p.MaxLngs, maxLng)
	}
	return p
}

// plan is the part of EXPLAIN's JSON this test reads.
type plan struct {
	NodeType    string  `json:"Node Type"`
	IndexName   string  `json:"Index Name"`
	ActualRows  float64 `json:"Actual Rows"`
	Loops       float64 `json:"Actual Loops"`
	RowsRemoved float64 `json:"Rows Removed by Filter"`
	SharedHit   int     `json:"Shared Hit Blocks"`
	SharedRead  int     `json:"Shared Read Blocks"`
	Plans       []plan  `json:"Plans"`
}

// explain runs the duplicate search under EXPLAIN (ANALYZE, BUFFERS) and
// answers the plan and the execution time.
func explain(t testing.TB, pool *pgxpool.Pool, genericPlan bool, p NearbyOpenWhistlesParams) (plan, float64) {
	t.Helper()
	ctx := context.Background()
	conn, err := pool.Acquire(ctx)
	require.NoError(t, err)
	defer conn.Release()
	mode := "auto"
	if genericPlan {
		mode = "force_generic_plan"
	}
	_, err = conn.Exec(ctx, "SET plan_cache_mode = "+mode)
	require.NoError(t, err)
	defer func() { _, _ = conn.Exec(ctx, "RESET plan_cache_mode") }()
	var out []struct {
		Plan          plan    `json:"Plan"`
		ExecutionTime float64 `json:"Execution Time"`
	}
	var raw []byte
	require.NoError(t, conn.QueryRow(ctx, "EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) "+nearbyOpenWhistles,
		p.Whistles, p.Cells, p.StreetIds, p.Categories, p.Since, p.MinLats, p.MaxLats, p.MinLngs, p.MaxLngs, p.Ids).Scan(&raw))
	require.NoError(t, json.Unmarshal(raw, &out))
	return out[0].Plan, out[0].ExecutionTime
}

// scans are the plan's nodes that read whistles.
func scans(p plan) []plan {
	var out []plan
	if p.IndexName != "" || p.NodeType == "Seq Scan" {
		out = append(out, p)
	}
	for _, c := range p.Plans {
		out = append(out, scans(c)...)
	}
	return out
}

// With 100,000 open whistles of one category raised in the last 24 hours
// across the city, a raise's duplicate search reads a handful of index
// entries and pages (the street's few whistles in the cells around the
// point), not the storm, with the plan Postgres picks for one call and the
// generic plan a prepared statement ends up with.
func TestDuplicateSearchReadsFewRowsInAStorm(t *testing.T) {
	t.Parallel()
	pool := newPool(t)
	raiseStorm(t, pool, 100_000)
	rnd := rand.New(rand.NewPCG(1, 2))
	for _, generic := range []bool{false, true} {
		for range 20 {
			lat, lng := stormLat0+0.01+rnd.Float64()*(stormLatSpan-0.02), stormLng0+0.01+rnd.Float64()*(stormLngSpan-0.02)
			p, ms := explain(t, pool, generic, nearbyParams(stormStreet(lat, lng), lat, lng, intake.DefaultDuplicateRadiusM))
			read := scans(p)
			require.Len(t, read, 1, "one scan: %+v", p)
			require.Equal(t, "whistles_open_cell", read[0].IndexName, "generic plan %v: %+v", generic, p)
			pages := read[0].SharedHit + read[0].SharedRead
			require.Less(t, pages, 100, "pages read")
			t.Logf("generic=%v cells=%v rows=%v removed=%v pages=%d %.3f ms", generic, read[0].Loops,
				read[0].ActualRows*read[0].Loops, read[0].RowsRemoved*read[0].Loops, pages, ms)
		}
	}
}

// The grid finds exactly what measuring every open whistle of the street and
// category finds: points on and around cell edges and corners, at and around
// the radius, other streets and categories, closed and old whistles.
func TestDuplicateSearchFindsWhatAFullScanFinds(t *testing.T) {
	t.Parallel()
	pool := newPool(t)
	ctx := context.Background()
	q := New(pool)
	rnd := rand.New(rand.NewPCG(3, 4))
	type row struct {
		id, street, category, status string
		lat, lng                     float64
		at                           time.Time
	}
	// A cell corner near 东华门: both grid lines pass through it.
	cornerLat, cornerLng := 35912.0/900, 81481.0/700
	var rows []row
	batch := &pgx.Batch{}
	for i := range 1500 {
		lat := cornerLat + (rnd.Float64()-0.5)*0.006 // ±330 m
		lng := cornerLng + (rnd.Float64()-0.5)*0.008 // ±340 m
		switch i % 5 {
		case 0: // on a grid line
			lat = float64(int(lat*900)) / 900
		case 1:
			lng = float64(int(lng*700)) / 700
		}
		r := row{id: fmt.Sprintf("w%04d", i), street: "a", category: "noise", status: "ROUTED", lat: lat, lng: lng,
			at: now.Add(-time.Duration(rnd.Float64() * float64(23*time.Hour))).Truncate(time.Microsecond)}
		switch rnd.IntN(10) {
		case 0:
			r.street = "b"
		case 1:
			r.category = "garbage"
		case 2:
			r.status = "CLOSED"
		case 3:
			r.at = now.Add(-25 * time.Hour)
		}
		rows = append(rows, r)
		batch.Queue(`INSERT INTO whistles (id, street_id, district_id, category, description, lat, lng, urgency,
			status, raised_by_role, raised_by_id, raised_at, updated_at) VALUES ($1, $2, '110101', $3, 'd', $4, $5, 'NORMAL', $6, 'street', 's', $7, $7)`,
			r.id, r.street, r.category, r.lat, r.lng, r.status, r.at)
	}
	require.NoError(t, pool.SendBatch(ctx, batch).Close())
	var cell int64
	require.NoError(t, pool.QueryRow(ctx, "SELECT cell FROM whistles WHERE id = 'w0000'").Scan(&cell))
	require.Equal(t, intake.Cell(rows[0].lat, rows[0].lng), cell, "Postgres and Go put a point in the same cell")

	checked := 0
	for i := range 400 {
		radius := intake.DefaultDuplicateRadiusM
		if i%4 == 0 {
			radius = 250 // a radius larger than a cell reads more cells
		}
		// Search from an existing point (whose neighbours lie at every distance) or from a corner.
		from := rows[rnd.IntN(len(rows))]
		lat, lng := from.lat, from.lng
		if i%7 == 0 {
			lat, lng = cornerLat, cornerLng
		}
		// What the query meant before the grid: the first 20 (oldest first) of
		// the street's open whistles of the category in the box, then the
		// exact distance.
		minLat, maxLat, minLng, maxLng := geo.Box(lat, lng, radius)
		var inBox []row
		for _, r := range rows {
			if r.street == "a" && r.category == "noise" && r.status == "ROUTED" && !r.at.Before(now.Add(-24*time.Hour)) &&
				r.lat >= minLat && r.lat <= maxLat && r.lng >= minLng && r.lng <= maxLng {
				inBox = append(inBox, r)
			}
		}
		slices.SortFunc(inBox, func(a, b row) int { return cmp.Or(a.at.Compare(b.at), cmp.Compare(a.id, b.id)) })
		var want []string
		for _, r := range inBox[:min(20, len(inBox))] {
			if geo.DistanceM(lat, lng, r.lat, r.lng) <= radius {
				want = append(want, r.id)
			}
		}
		found, err := q.NearbyOpenWhistles(ctx, nearbyParams("a", lat, lng, radius))
		require.NoError(t, err)
		var got []string
		for _, f := range found {
			if geo.DistanceM(lat, lng, f.Lat, f.Lng) <= radius {
				got = append(got, f.ID)
			}
		}
		require.Equal(t, want, got, "search %d from (%v, %v), radius %v", i, lat, lng, radius)
		checked += len(want)
	}
	require.Greater(t, checked, 1000, "the searches found candidates to compare")
}

// Whistles raised before the grid get their cell when the migration adds it.
func TestMigrationFillsTheCellsOfExistingWhistles(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool, err := postgres.Connect(ctx, pgtest.NewDatabase(t), "intake")
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	before := fstest.MapFS{}
	files, err := fs.Glob(migrations.FS, "*.sql")
	require.NoError(t, err)
	for _, f := range files {
		if f < "0006" {
			data, err := fs.ReadFile(migrations.FS, f)
			require.NoError(t, err)
			before[f] = &fstest.MapFile{Data: data}
		}
	}
	require.NoError(t, postgres.Migrate(ctx, pool, "intake", postgres.Migrations{Name: "intake", FS: before}))
	_, err = pool.Exec(ctx, `INSERT INTO whistles (id, street_id, district_id, category, description, lat, lng, urgency,
		status, raised_by_role, raised_by_id, raised_at, updated_at) VALUES ('old', 'a', '110101', 'noise', 'd', 39.9146, 116.4036, 'NORMAL', 'ROUTED', 'street', 's', $1, $1)`, now)
	require.NoError(t, err)
	require.NoError(t, postgres.Migrate(ctx, pool, "intake", migrations.Set))
	found, err := New(pool).NearbyOpenWhistles(ctx, nearbyParams("a", 39.9147, 116.4036, intake.DefaultDuplicateRadiusM))
	require.NoError(t, err)
	require.Len(t, found, 1)
	require.Equal(t, "old", found[0].ID)
}

// BenchmarkDuplicateSearchInAStorm is one raise's duplicate search among
// 100,000 open whistles of its category raised in the last 24 hours: spread
// across the city (400 streets), and all in one street (2 km square, about
// 1,000 of them within the box of a search).
func BenchmarkDuplicateSearchInAStorm(b *testing.B) {
	for _, storm := range []struct {
		name             string
		latSpan, lngSpan float64
	}{{"city", stormLatSpan, stormLngSpan}, {"one-street", streetLat, streetLng}} {
		b.Run(storm.name, func(b *testing.B) {
			pool := newPool(b)
			raiseStormOver(b, pool, 100_000, storm.latSpan, storm.lngSpan)
			q := New(pool)
			rnd := rand.New(rand.NewPCG(5, 6))
			ctx := context.Background()
			for b.Loop() {
				lat, lng := stormLat0+rnd.Float64()*storm.latSpan, stormLng0+rnd.Float64()*storm.lngSpan
				if _, err := q.NearbyOpenWhistles(ctx, nearbyParams(stormStreet(lat, lng), lat, lng, intake.DefaultDuplicateRadiusM)); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
