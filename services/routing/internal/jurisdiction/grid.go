package jurisdiction

import (
	"math"

	"github.com/paulmach/orb"
)

// grid is a spatial index of boxes (in the index's plane, metres): each
// square cell lists the boxes that overlap it, so a point look-up tests only
// the few shapes of its cell instead of every shape. Boxes spanning more than
// maxCells cells (a district-sized unit in a community file) are kept aside
// and tested on every look-up, so one huge box cannot fill memory.
type grid struct {
	size  float64
	cells map[cellKey][]int32
	large []int32
}

type cellKey struct{ x, y int32 }

// maxCells bounds the cells one box is listed in.
const maxCells = 4096

func newGrid(boxes []orb.Bound, size float64) grid {
	g := grid{size: size, cells: map[cellKey][]int32{}}
	for i, b := range boxes {
		x0, y0 := g.key(b.Min)
		x1, y1 := g.key(b.Max)
		if int64(x1-x0+1)*int64(y1-y0+1) > maxCells {
			g.large = append(g.large, int32(i))
			continue
		}
		for x := x0; x <= x1; x++ {
			for y := y0; y <= y1; y++ {
				k := cellKey{x, y}
				g.cells[k] = append(g.cells[k], int32(i))
			}
		}
	}
	return g
}

func (g grid) key(p orb.Point) (int32, int32) {
	return int32(math.Floor(p[0] / g.size)), int32(math.Floor(p[1] / g.size))
}

// candidates calls f with the index of every box that may contain q, in the
// order the boxes were given.
func (g grid) candidates(q orb.Point, f func(i int32)) {
	x, y := g.key(q)
	cell, large := g.cells[cellKey{x, y}], g.large
	for len(cell) > 0 || len(large) > 0 {
		if len(large) == 0 || (len(cell) > 0 && cell[0] < large[0]) {
			f(cell[0])
			cell = cell[1:]
		} else {
			f(large[0])
			large = large[1:]
		}
	}
}
