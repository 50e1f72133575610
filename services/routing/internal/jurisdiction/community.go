package jurisdiction

import (
	"fmt"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"

	"github.com/chuishao/whistle/services/routing/internal/boundary"
)

// Community is a community (社区/村) with its published boundary and the
// property company (物业) registered for it.
type Community struct {
	Code string
	Name string
	// Street is the code of the street or town it belongs to.
	Street string
	// Property is the department code of its property company; empty when
	// none is registered.
	Property string
	// Boundary is GeoJSON (Polygon or MultiPolygon, WGS-84 lng/lat).
	Boundary []byte
}

// Map is what an index is built from.
type Map struct {
	Streets     []Street
	Communities []Community
}

// CommunityResult says how a point's community was found.
type CommunityResult string

// Community results.
const (
	// InCommunity: the point lies in a community (Check.Community).
	InCommunity CommunityResult = "inside"
	// NoCommunity: community boundaries are loaded, and the point is in none.
	NoCommunity CommunityResult = "none"
	// Unmapped: no community boundary is loaded, so no point has a community.
	Unmapped CommunityResult = "unmapped"
)

// Cell sizes of the grids, in metres: a street spans a few kilometres, a
// community a few hundred metres (a village more).
const (
	streetCell    = 1000.0
	communityCell = 500.0
)

type communityEntry struct {
	c     Community
	shape orb.MultiPolygon // projected, metres
	bound orb.Bound
}

// addCommunities projects the communities into the index's plane and grids them.
func (ix *Index) addCommunities(cs []Community) error {
	boxes := make([]orb.Bound, 0, len(cs))
	for _, c := range cs {
		shape, err := boundary.Decode(c.Boundary)
		if err != nil {
			return fmt.Errorf("boundary of community %s: %w", c.Code, err)
		}
		p := ix.projectShape(shape)
		c.Boundary = nil // the projected shape is what the index keeps
		ix.communities = append(ix.communities, communityEntry{c: c, shape: p, bound: p.Bound()})
		boxes = append(boxes, p.Bound())
	}
	ix.communityGrid = newGrid(boxes, communityCell)
	return nil
}

// Community is the community the point (lat, lng) lies in: the first by code
// when boundaries overlap (real data has slivers). Only the communities whose
// grid cell holds the point are tested.
func (ix *Index) Community(lat, lng float64) (Community, CommunityResult) {
	if len(ix.communities) == 0 {
		return Community{}, Unmapped
	}
	q := ix.project(orb.Point{lng, lat})
	found := -1
	ix.communityGrid.candidates(q, func(i int32) {
		if found >= 0 {
			return
		}
		e := ix.communities[i]
		if e.bound.Contains(q) && planar.MultiPolygonContains(e.shape, q) {
			found = int(i)
		}
	})
	if found < 0 {
		return Community{}, NoCommunity
	}
	return ix.communities[found].c, InCommunity
}

// Communities is the number of communities indexed.
func (ix *Index) Communities() int { return len(ix.communities) }
