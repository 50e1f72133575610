package jurisdiction

import (
	"context"
	"fmt"
	"sync"
)

// Stamp identifies what an index was built from: the boundary version in
// force and the generation of the community property registry.
type Stamp struct {
	Boundaries int64
	Parties    int64
}

// Cache keeps the index of the map a loader returns, loading it on first
// use, again when asked about a street it does not hold (streets are seeded
// or added while the service runs), and again after Refresh finds a newer
// stamp (a boundary version published, a property company registered, by
// any replica). Safe for concurrent use.
type Cache struct {
	// Load returns every street's boundary and the communities with theirs.
	Load func(ctx context.Context) (Map, error)
	// Version returns the stamp of what is in force; nil when the map never
	// changes while the service runs.
	Version func(ctx context.Context) (Stamp, error)
	// Buffer in metres; DefaultBuffer when <= 0.
	Buffer float64

	mu      sync.Mutex
	ix      *Index
	version Stamp // what ix was built from
}

// Refresh drops the index when what is in force changed since it was built,
// so the next check uses the new boundaries and registry. It costs one small
// query; callers make it once per batch of checks.
func (c *Cache) Refresh(ctx context.Context) error {
	if c.Version == nil {
		return nil
	}
	v, err := c.Version(ctx)
	if err != nil {
		return fmt.Errorf("boundary version: %w", err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if v != c.version {
		c.ix, c.version = nil, v
	}
	return nil
}

// Check locates the point relative to streetID (see Index.Check) and finds
// its community (Index.Community). With no streets on the map at all the
// street check reports Inside: without a map nothing can be judged, and a
// whistle must not fall back for that.
func (c *Cache) Check(ctx context.Context, streetID string, lat, lng float64) (Check, error) {
	ix, err := c.index(ctx, streetID)
	if err != nil {
		return Check{}, err
	}
	check := Check{Result: Inside}
	if ix.Len() > 0 {
		check = ix.Check(streetID, lat, lng)
	}
	check.Community, check.CommunityResult = ix.Community(lat, lng)
	return check, nil
}

func (c *Cache) index(ctx context.Context, streetID string) (*Index, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ix != nil && c.ix.Has(streetID) {
		return c.ix, nil
	}
	m, err := c.Load(ctx)
	if err != nil {
		return nil, fmt.Errorf("load boundaries: %w", err)
	}
	ix, err := Build(m, c.Buffer)
	if err != nil {
		return nil, err
	}
	c.ix = ix
	return ix, nil
}
