package intake

import "math"

// The duplicate search reads a grid instead of every recent whistle: cells of
// 1/900° of latitude by 1/700° of longitude (about 124 m by 122 m at
// Beijing's latitude, more than the default radius, so a search reads at
// most 3×3 cells), numbered row×cellRowStride+column. Postgres computes each
// whistle's cell with the same arithmetic (the generated column
// whistles.cell), so the two agree to the bit.
const (
	cellsPerDegreeLat = 900
	cellsPerDegreeLng = 700
	// cellRowStride is more than the columns of a row (360 × 700), so every
	// cell has its own number.
	cellRowStride = 1_000_000
)

// Cell is the grid cell of a point, as whistles.cell stores it.
func Cell(lat, lng float64) int64 {
	return cellRow(lat)*cellRowStride + cellColumn(lng)
}

func cellRow(lat float64) int64    { return int64(math.Floor(lat * cellsPerDegreeLat)) }
func cellColumn(lng float64) int64 { return int64(math.Floor(lng * cellsPerDegreeLng)) }

// Cells are the grid cells that cover a box (see Box): every point inside it
// lies in one of them. A radius larger than a cell covers more of them.
func Cells(minLat, maxLat, minLng, maxLng float64) []int64 {
	var out []int64
	for r := cellRow(minLat); r <= cellRow(maxLat); r++ {
		for c := cellColumn(minLng); c <= cellColumn(maxLng); c++ {
			out = append(out, r*cellRowStride+c)
		}
	}
	return out
}
