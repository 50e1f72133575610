// Package jurisdiction checks a whistle's location against the street that
// raised it, using the streets' boundary polygons (jurisdiction by map).
package jurisdiction

import (
	"fmt"
	"math"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"

	"github.com/chuishao/whistle/services/routing/internal/boundary"
)

// Result of a location check.
type Result string

// Results, from the least to the most attention they need.
const (
	// Inside: the point lies in the raising street, away from its neighbours.
	Inside Result = "inside"
	// NearBoundary: the point is within the buffer of a boundary shared with
	// other streets; they are informed.
	NearBoundary Result = "near_boundary"
	// Outside: the point lies clearly in another street; the raising street must confirm.
	Outside Result = "outside"
	// NoStreet: the point is in no street at all; the district government takes
	// the whistle (兜底) and a human reviews it.
	NoStreet Result = "no_street"
)

// DefaultBuffer is how close to a boundary a point counts as "on the boundary".
const DefaultBuffer = 50.0 // metres

// Street is a street's boundary as GeoJSON (Polygon or MultiPolygon, WGS-84 lng/lat).
type Street struct {
	ID       string
	Boundary []byte
}

// Check is the outcome of checking one point.
type Check struct {
	Result Result
	// Neighbours are the other streets within the buffer (NearBoundary) or the
	// streets that contain the point (Outside).
	Neighbours []string
	// DistanceM is how far the point is from the raising street's boundary;
	// 0 when it is inside.
	DistanceM float64
	// Community is the community the point lies in (Cache.Check fills it);
	// its Code is empty unless CommunityResult is InCommunity.
	Community       Community
	CommunityResult CommunityResult
}

// NeedsConfirmation reports whether the raising street must confirm the location.
func (c Check) NeedsConfirmation() bool { return c.Result == Outside || c.Result == NoStreet }

// metresPerDegree is the length of a degree of latitude (and of longitude at the equator).
const metresPerDegree = 6371008.8 * math.Pi / 180

// Index answers point look-ups against every street. Boundaries are projected
// once to a local plane in metres (equirectangular around the streets' mean
// latitude): across a city the scale error is well under 1 %, i.e. under half
// a metre of a 50 m buffer, and a look-up needs no trigonometry.
type Index struct {
	buffer        float64
	cosLat        float64
	streets       []entry
	byID          map[string]int
	streetGrid    grid
	communities   []communityEntry
	communityGrid grid
}

type entry struct {
	id    string
	shape orb.MultiPolygon // projected, metres
	bound orb.Bound        // projected, grown by the buffer
}

// New builds an index over streets with the given buffer in metres (DefaultBuffer when <= 0).
func New(streets []Street, bufferM float64) (*Index, error) {
	return Build(Map{Streets: streets}, bufferM)
}

// Build builds an index over a map's streets and communities with the given
// buffer in metres (DefaultBuffer when <= 0). The plane is centred on the
// streets' mean latitude (the communities' when there are no streets).
func Build(m Map, bufferM float64) (*Index, error) {
	if bufferM <= 0 {
		bufferM = DefaultBuffer
	}
	shapes := make([]orb.MultiPolygon, len(m.Streets))
	var latSum float64
	var n int
	for i, s := range m.Streets {
		shape, err := boundary.Decode(s.Boundary)
		if err != nil {
			return nil, fmt.Errorf("boundary of street %s: %w", s.ID, err)
		}
		shapes[i] = shape
		c := shapes[i].Bound().Center()
		latSum += c.Lat()
		n++
	}
	if n == 0 && len(m.Communities) > 0 {
		if shape, err := boundary.Decode(m.Communities[0].Boundary); err == nil {
			latSum, n = shape.Bound().Center().Lat(), 1
		}
	}
	ix := &Index{buffer: bufferM, cosLat: 1, byID: make(map[string]int, len(m.Streets))}
	if n > 0 {
		ix.cosLat = math.Cos(latSum / float64(n) * math.Pi / 180)
	}
	boxes := make([]orb.Bound, len(m.Streets))
	for i, s := range m.Streets {
		projected := ix.projectShape(shapes[i])
		ix.byID[s.ID] = len(ix.streets)
		boxes[i] = projected.Bound().Pad(bufferM)
		ix.streets = append(ix.streets, entry{id: s.ID, shape: projected, bound: boxes[i]})
	}
	ix.streetGrid = newGrid(boxes, streetCell)
	if err := ix.addCommunities(m.Communities); err != nil {
		return nil, err
	}
	return ix, nil
}

// projectShape projects a lng/lat shape to the index's plane.
func (ix *Index) projectShape(shape orb.MultiPolygon) orb.MultiPolygon {
	projected := make(orb.MultiPolygon, len(shape))
	for j, poly := range shape {
		projected[j] = make(orb.Polygon, len(poly))
		for k, ring := range poly {
			r := make(orb.Ring, len(ring))
			for m, p := range ring {
				r[m] = ix.project(p)
			}
			projected[j][k] = r
		}
	}
	return projected
}

// Len is the number of streets indexed.
func (ix *Index) Len() int { return len(ix.streets) }

// Has reports whether the street is indexed.
func (ix *Index) Has(streetID string) bool {
	_, ok := ix.byID[streetID]
	return ok
}

// Buffer is the buffer in metres.
func (ix *Index) Buffer() float64 { return ix.buffer }

func (ix *Index) project(p orb.Point) orb.Point {
	return orb.Point{p.Lon() * metresPerDegree * ix.cosLat, p.Lat() * metresPerDegree}
}

// near is one street close to a point.
type near struct {
	inside bool
	dist   float64 // from the boundary
}

func (e entry) near(q orb.Point) near {
	return near{inside: planar.MultiPolygonContains(e.shape, q), dist: planar.DistanceFrom(e.shape, q)}
}

// Check locates the point (lat, lng) relative to the street streetID:
//   - inside the street and not within the buffer of another → Inside;
//   - within the buffer of the street's boundary, with other streets within the
//     buffer too → NearBoundary (those are the neighbours to inform); a point
//     just outside the street but within the buffer is NearBoundary as well;
//   - farther than the buffer outside the street but in another street → Outside;
//   - in no street and not within the buffer of any → NoStreet.
//
// An unknown streetID is treated as a street the point is outside of.
func (ix *Index) Check(streetID string, lat, lng float64) Check {
	q := ix.project(orb.Point{lng, lat})
	own := near{dist: math.Inf(1)}
	if i, ok := ix.byID[streetID]; ok {
		own = ix.streets[i].near(q)
	}
	var close, containing []string
	ix.streetGrid.candidates(q, func(i int32) {
		e := ix.streets[i]
		if e.id == streetID || !e.bound.Contains(q) {
			return
		}
		n := e.near(q)
		if n.inside {
			containing = append(containing, e.id)
		}
		if n.inside || n.dist <= ix.buffer {
			close = append(close, e.id)
		}
	})
	switch {
	case own.inside && own.dist <= ix.buffer && len(close) > 0:
		return Check{Result: NearBoundary, Neighbours: close}
	case own.inside:
		return Check{Result: Inside}
	case own.dist <= ix.buffer:
		return Check{Result: NearBoundary, Neighbours: close, DistanceM: own.dist}
	case len(containing) > 0:
		return Check{Result: Outside, Neighbours: containing, DistanceM: own.dist}
	case len(close) > 0:
		// Within the buffer of another street only: that street is the likely one.
		return Check{Result: Outside, Neighbours: close, DistanceM: own.dist}
	default:
		return Check{Result: NoStreet, DistanceM: own.dist}
	}
}
