package catalogue

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/chuishao/whistle/platform/auth"
	"github.com/chuishao/whistle/services/routing/internal/routing"
	"github.com/chuishao/whistle/services/routing/internal/store"
)

// DistrictMap is what the supervisor's map of a district (or of the city,
// District ""), draws: the published units, the streets with their
// boundaries in force, and every district by id (for their English names).
type DistrictMap struct {
	District        string
	BoundaryVersion string
	Districts       map[string]store.District
	Units           []store.ListMapUnitsRow
	Streets         []store.ListStreetsRow
}

// DistrictMap is the map in the caller's scope: a district supervisor's own
// district only (another district is NotFound, like an unknown one), a city
// supervisor's or an admin's any district, or the city's district outlines
// and streets when none is named.
func (s *Service) DistrictMap(ctx context.Context, caller auth.Identity, district string) (DistrictMap, error) {
	if caller.Role == auth.RoleSupervisor && caller.DistrictID != "" {
		if district == "" {
			district = caller.DistrictID
		}
		if district != caller.DistrictID {
			return DistrictMap{}, fmt.Errorf("district %q: %w", district, routing.ErrNotFound)
		}
	}
	q := s.q()
	districts, err := q.ListDistricts(ctx)
	if err != nil {
		return DistrictMap{}, fmt.Errorf("list districts: %w", err)
	}
	out := DistrictMap{District: district, Districts: map[string]store.District{}}
	for _, d := range districts {
		out.Districts[d.ID] = d
	}
	if _, ok := out.Districts[district]; district != "" && !ok {
		return DistrictMap{}, fmt.Errorf("district %q: %w", district, routing.ErrNotFound)
	}
	switch v, err := q.CurrentBoundaryVersion(ctx); {
	case errors.Is(err, pgx.ErrNoRows):
	case err != nil:
		return DistrictMap{}, fmt.Errorf("boundary version in force: %w", err)
	default:
		out.BoundaryVersion = v.Version
	}
	if out.Units, err = q.ListMapUnits(ctx, district); err != nil {
		return DistrictMap{}, fmt.Errorf("map units of %q: %w", district, err)
	}
	if out.Streets, err = q.ListStreets(ctx, district); err != nil {
		return DistrictMap{}, fmt.Errorf("streets of %q: %w", district, err)
	}
	return out, nil
}
