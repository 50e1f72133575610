// Package boundary reads, checks and compares the boundaries of
// administrative units (districts, streets, communities and grids): a GeoJSON
// file an admin imports becomes units with WGS-84 shapes, or the list of the
// features that are wrong and why. GeoJSON is decoded by orb/geojson; this
// package checks what RFC 7946 and simple-feature validity ask of a polygon.
package boundary

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"
	"github.com/paulmach/orb/planar"
)

// Decode reads a stored GeoJSON Polygon or MultiPolygon geometry as a
// MultiPolygon and checks its structure (see Structure).
func Decode(raw []byte) (orb.MultiPolygon, error) {
	g, err := geojson.UnmarshalGeometry(raw)
	if err != nil {
		return nil, err
	}
	if err := checkPositions(raw, false); err != nil {
		return nil, err
	}
	mp, err := multiPolygon(g.Coordinates)
	if err != nil {
		return nil, err
	}
	return mp, Structure(mp)
}

// checkPositions refuses a position that is not two numbers (an altitude may
// follow). orb reads positions into [2]float64, which would take [116] as
// [116, 0] without a word; this walks the raw coordinates of a geometry (or
// of a feature's geometry) for that one rule.
func checkPositions(raw []byte, feature bool) error {
	var g struct {
		Coordinates json.RawMessage `json:"coordinates"`
	}
	var f struct {
		Geometry *struct {
			Coordinates json.RawMessage `json:"coordinates"`
		} `json:"geometry"`
	}
	target := any(&g)
	if feature {
		target = &f
	}
	if err := json.Unmarshal(raw, target); err != nil {
		return err
	}
	coords := g.Coordinates
	if feature && f.Geometry != nil {
		coords = f.Geometry.Coordinates
	}
	var nested any
	if len(coords) == 0 || json.Unmarshal(coords, &nested) != nil {
		return nil // orb has judged these
	}
	return walkPositions(nested)
}

func walkPositions(v any) error {
	arr, ok := v.([]any)
	if !ok || len(arr) == 0 {
		return nil
	}
	if _, leaf := arr[0].(float64); !leaf {
		for _, e := range arr {
			if err := walkPositions(e); err != nil {
				return err
			}
		}
		return nil
	}
	if len(arr) < 2 || len(arr) > 3 {
		return fmt.Errorf("position %v has %d numbers, want [longitude, latitude]", arr, len(arr))
	}
	return nil
}

// multiPolygon accepts the two area geometries and nothing else.
func multiPolygon(g orb.Geometry) (orb.MultiPolygon, error) {
	switch g := g.(type) {
	case orb.Polygon:
		return orb.MultiPolygon{g}, nil
	case orb.MultiPolygon:
		return g, nil
	case nil:
		return nil, errors.New("has no geometry")
	default:
		return nil, fmt.Errorf("is a %s, not a Polygon or MultiPolygon", g.GeoJSONType())
	}
}

// Structure checks what every stored boundary must be: at least one polygon,
// each with a shell; every ring closed (its last position repeats its first)
// with at least four positions; every position a finite WGS-84 longitude and
// latitude. A silently open or empty polygon would put every point of its
// unit outside it.
func Structure(mp orb.MultiPolygon) error {
	if len(mp) == 0 {
		return errors.New("has no polygons")
	}
	for i, poly := range mp {
		if len(poly) == 0 {
			return fmt.Errorf("%s has no rings", polyName(mp, i))
		}
		for j, r := range poly {
			if len(r) < 4 {
				return fmt.Errorf("%s has %d positions, a closed ring needs at least 4", ringName(mp, i, j), len(r))
			}
			for k, p := range r {
				if !(p.Lon() >= -180 && p.Lon() <= 180) || !(p.Lat() >= -90 && p.Lat() <= 90) {
					return fmt.Errorf("%s position %d [%v, %v] is not a WGS-84 longitude and latitude", ringName(mp, i, j), k, p.Lon(), p.Lat())
				}
			}
			if r[0] != r[len(r)-1] {
				return fmt.Errorf("%s is not closed: its last position differs from its first", ringName(mp, i, j))
			}
		}
	}
	return nil
}

func polyName(mp orb.MultiPolygon, i int) string {
	if len(mp) == 1 {
		return "the polygon"
	}
	return fmt.Sprintf("polygon %d", i)
}

func ringName(mp orb.MultiPolygon, i, j int) string {
	ring := "the shell"
	if j > 0 {
		ring = fmt.Sprintf("hole %d", j)
	}
	if len(mp) == 1 {
		return ring
	}
	return fmt.Sprintf("polygon %d %s", i, ring)
}

// Topology checks a structurally sound MultiPolygon for simple-feature
// validity: no ring crosses or touches itself or another ring (a ring is
// simple, holes do not touch their shell, polygons do not touch each other),
// no ring has zero area, every hole lies inside its shell and outside the
// other holes, and no polygon lies inside another. A self-intersecting
// boundary would make "is this point inside" depend on the algorithm.
func Topology(mp orb.MultiPolygon) error {
	mp = withoutRepeats(mp)
	if c, ok := firstCrossing(mp); ok {
		return fmt.Errorf("%s crosses or touches %s near [%.6f, %.6f]", segName(mp, c.a), segName(mp, c.b), c.at.Lon(), c.at.Lat())
	}
	for i, poly := range mp {
		for j, r := range poly {
			if len(r) < 4 || planar.Area(r) == 0 {
				return fmt.Errorf("%s has no area", ringName(mp, i, j))
			}
		}
	}
	for i, poly := range mp {
		for j := 1; j < len(poly); j++ {
			if !planar.RingContains(poly[0], poly[j][0]) {
				return fmt.Errorf("%s is not inside its shell", ringName(mp, i, j))
			}
			for k := 1; k < len(poly); k++ {
				if k != j && planar.RingContains(poly[k], poly[j][0]) {
					return fmt.Errorf("%s lies inside %s", ringName(mp, i, j), ringName(mp, i, k))
				}
			}
		}
		for k, other := range mp {
			if k != i && planar.PolygonContains(other, poly[0][0]) {
				return fmt.Errorf("%s lies inside %s", polyName(mp, i), polyName(mp, k))
			}
		}
	}
	return nil
}

// withoutRepeats drops positions equal to the one before (zero-length
// edges, common in exported files), which say nothing about the shape.
func withoutRepeats(mp orb.MultiPolygon) orb.MultiPolygon {
	out := make(orb.MultiPolygon, len(mp))
	for i, poly := range mp {
		out[i] = make(orb.Polygon, len(poly))
		for j, r := range poly {
			clean := make(orb.Ring, 0, len(r))
			for k, p := range r {
				if k == 0 || p != r[k-1] {
					clean = append(clean, p)
				}
			}
			out[i][j] = clean
		}
	}
	return out
}

// segRef names one edge: polygon, ring and index of its first position.
type segRef struct{ poly, ring, idx int }

func segName(mp orb.MultiPolygon, s segRef) string {
	return fmt.Sprintf("%s edge %d", ringName(mp, s.poly, s.ring), s.idx)
}

type crossing struct {
	a, b segRef
	at   orb.Point
}

type segment struct {
	ref        segRef
	p, q       orb.Point
	minX, maxX float64
	minY, maxY float64
	ringLen    int // edges in its ring
}

// firstCrossing finds the first pair of edges (in ring order) that meet
// other than where consecutive edges of one ring share their position. Edges
// are put in the cells of a grid of about one cell per edge over the shape's
// bounds and compared only with the edges sharing a cell, so a traced
// boundary of tens of thousands of positions costs about as many
// comparisons, whatever its shape.
func firstCrossing(mp orb.MultiPolygon) (crossing, bool) {
	var segs []segment
	bound := mp.Bound()
	for i, poly := range mp {
		for j, r := range poly {
			n := len(r) - 1
			for k := range n {
				p, q := r[k], r[k+1]
				segs = append(segs, segment{ref: segRef{i, j, k}, p: p, q: q,
					minX: math.Min(p[0], q[0]), maxX: math.Max(p[0], q[0]),
					minY: math.Min(p[1], q[1]), maxY: math.Max(p[1], q[1]), ringLen: n})
			}
		}
	}
	g := max(1, int(math.Ceil(math.Sqrt(float64(len(segs))))))
	w, h := bound.Max[0]-bound.Min[0], bound.Max[1]-bound.Min[1]
	col := func(x float64) int { return min(g-1, max(0, int((x-bound.Min[0])/w*float64(g)))) }
	row := func(y float64) int { return min(g-1, max(0, int((y-bound.Min[1])/h*float64(g)))) }
	if !(w > 0) {
		col = func(float64) int { return 0 }
	}
	if !(h > 0) {
		row = func(float64) int { return 0 }
	}
	cells := make([][]int, g*g) // edge indexes, ascending within a cell
	for i, s := range segs {
		for y := row(s.minY); y <= row(s.maxY); y++ {
			for x := col(s.minX); x <= col(s.maxX); x++ {
				cells[y*g+x] = append(cells[y*g+x], i)
			}
		}
	}
	bi, bj := len(segs), len(segs) // the first crossing pair found so far
	var at orb.Point
	for _, cell := range cells {
		for a, i := range cell {
			if i > bi {
				break
			}
			for _, j := range cell[a+1:] {
				if i == bi && j >= bj {
					break
				}
				s, o := &segs[i], &segs[j]
				if o.maxX < s.minX || o.minX > s.maxX || o.maxY < s.minY || o.minY > s.maxY {
					continue
				}
				if p, bad := meet(s, o); bad {
					bi, bj, at = i, j, p
					break
				}
			}
		}
	}
	if bi == len(segs) {
		return crossing{}, false
	}
	return crossing{a: segs[bi].ref, b: segs[bj].ref, at: at}, true
}

// adjacent reports whether two edges follow each other in one ring.
func adjacent(a, b *segment) bool {
	if a.ref.poly != b.ref.poly || a.ref.ring != b.ref.ring {
		return false
	}
	d := a.ref.idx - b.ref.idx
	return d == 1 || d == -1 || d == a.ringLen-1 || d == -(a.ringLen-1)
}

// meet reports whether two edges meet where they must not: any common point
// for edges that do not follow each other, and more than their shared
// position (a fold back) for edges that do.
func meet(a, b *segment) (orb.Point, bool) {
	d1, d2 := orient(a.p, a.q, b.p), orient(a.p, a.q, b.q)
	d3, d4 := orient(b.p, b.q, a.p), orient(b.p, b.q, a.q)
	if adjacent(a, b) {
		if d1 != 0 || d2 != 0 {
			return orb.Point{}, false // not collinear: they meet at the shared position only
		}
		// Collinear neighbours overlap unless they point away from each other.
		shared, aFar, bFar := sharedEnd(a, b)
		if dot(sub(aFar, shared), sub(bFar, shared)) > 0 {
			return shared, true
		}
		return orb.Point{}, false
	}
	switch {
	case (d1 > 0 && d2 < 0 || d1 < 0 && d2 > 0) && (d3 > 0 && d4 < 0 || d3 < 0 && d4 > 0):
		return crossingPoint(a, b), true
	case d1 == 0 && onSegment(a.p, a.q, b.p):
		return b.p, true
	case d2 == 0 && onSegment(a.p, a.q, b.q):
		return b.q, true
	case d3 == 0 && onSegment(b.p, b.q, a.p):
		return a.p, true
	case d4 == 0 && onSegment(b.p, b.q, a.q):
		return a.q, true
	}
	return orb.Point{}, false
}

// sharedEnd is the position two consecutive edges share and their far ends.
func sharedEnd(a, b *segment) (shared, aFar, bFar orb.Point) {
	switch {
	case a.q == b.p:
		return a.q, a.p, b.q
	case a.p == b.q:
		return a.p, a.q, b.p
	case a.p == b.p:
		return a.p, a.q, b.q
	default:
		return a.q, a.p, b.p
	}
}

func orient(a, b, c orb.Point) int {
	v := (b[0]-a[0])*(c[1]-a[1]) - (b[1]-a[1])*(c[0]-a[0])
	switch {
	case v > 0:
		return 1
	case v < 0:
		return -1
	}
	return 0
}

func onSegment(a, b, c orb.Point) bool {
	return c[0] >= math.Min(a[0], b[0]) && c[0] <= math.Max(a[0], b[0]) &&
		c[1] >= math.Min(a[1], b[1]) && c[1] <= math.Max(a[1], b[1])
}

// crossingPoint is where two edges that properly cross meet.
func crossingPoint(a, b *segment) orb.Point {
	r, q := sub(a.q, a.p), sub(b.q, b.p)
	t := cross(sub(b.p, a.p), q) / cross(r, q)
	return orb.Point{a.p[0] + t*r[0], a.p[1] + t*r[1]}
}

func cross(a, b orb.Point) float64 { return a[0]*b[1] - a[1]*b[0] }

func sub(a, b orb.Point) orb.Point { return orb.Point{a[0] - b[0], a[1] - b[1]} }
func dot(a, b orb.Point) float64   { return a[0]*b[0] + a[1]*b[1] }

// Inside is a point inside the shape, where a unit is labelled and where an
// address without a point is placed: the centroid of its largest polygon
// when that lies inside it (not in a hole, not outside a concave shell),
// otherwise the middle of the widest inside stretch of the parallel through
// that centroid.
func Inside(mp orb.MultiPolygon) orb.Point {
	if len(mp) == 0 || len(mp[0]) == 0 || len(mp[0][0]) == 0 {
		return orb.Point{}
	}
	largest := mp[0]
	for _, poly := range mp[1:] {
		if math.Abs(planar.Area(poly)) > math.Abs(planar.Area(largest)) {
			largest = poly
		}
	}
	c, _ := planar.CentroidArea(largest)
	if planar.PolygonContains(largest, c) {
		return c
	}
	y := c.Lat()
	var xs []float64
	for _, r := range largest {
		for k := 0; k+1 < len(r); k++ {
			p, q := r[k], r[k+1]
			if (p[1] > y) != (q[1] > y) {
				xs = append(xs, p[0]+(y-p[1])*(q[0]-p[0])/(q[1]-p[1]))
			}
		}
	}
	slices.Sort(xs)
	best, width := largest[0][0], -1.0
	for k := 0; k+1 < len(xs); k += 2 { // even-odd: [x0, x1], [x2, x3], ... are inside
		if w := xs[k+1] - xs[k]; w > width {
			best, width = orb.Point{(xs[k] + xs[k+1]) / 2, y}, w
		}
	}
	return best
}
