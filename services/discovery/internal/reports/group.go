package reports

import "github.com/chuishao/whistle/platform/geo"

// Point is what grouping needs of a report.
type Point struct {
	ID       string
	Category string
	Lat, Lng float64
}

// Group clusters reports of one category that lie within radiusM of each
// other, directly or through a chain of reports (single linkage), using the
// whistles' duplicate distance. points come oldest first; each group lists
// indexes into points, oldest first, and groups are ordered by their oldest.
func Group(points []Point, radiusM float64) [][]int {
	parent := make([]int, len(points))
	for i := range parent {
		parent[i] = i
	}
	find := func(i int) int {
		for parent[i] != i {
			parent[i] = parent[parent[i]]
			i = parent[i]
		}
		return i
	}
	for i := range points {
		for j := i + 1; j < len(points); j++ {
			a, b := points[i], points[j]
			if a.Category != b.Category || geo.DistanceM(a.Lat, a.Lng, b.Lat, b.Lng) > radiusM {
				continue
			}
			ri, rj := find(i), find(j)
			if ri == rj {
				continue
			}
			if ri > rj {
				ri, rj = rj, ri
			}
			parent[rj] = ri // the older report roots the group
		}
	}
	index := map[int]int{}
	var groups [][]int
	for i := range points {
		r := find(i)
		g, ok := index[r]
		if !ok {
			g = len(groups)
			index[r] = g
			groups = append(groups, nil)
		}
		groups[g] = append(groups[g], i)
	}
	return groups
}
