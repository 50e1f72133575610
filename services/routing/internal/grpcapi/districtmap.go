package grpcapi

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/chuishao/whistle/platform/auth"
	routingv1 "github.com/chuishao/whistle/proto/gen/whistle/routing/v1"
	typesv1 "github.com/chuishao/whistle/proto/gen/whistle/types/v1"
	"github.com/chuishao/whistle/services/routing/internal/routing"
	"github.com/chuishao/whistle/services/routing/internal/store"
)

// GetDistrictMap returns the areas of the supervisor's map in the caller's
// scope: a district supervisor its own district only (another district is
// NotFound, like an unknown one), a city supervisor or an admin any district,
// or the city's district outlines and streets when none is named. Streets,
// desks and grid workers have no such map (PermissionDenied).
func (s *Server) GetDistrictMap(ctx context.Context, req *routingv1.GetDistrictMapRequest) (*routingv1.DistrictMap, error) {
	id, err := requireRole(ctx, auth.RoleSupervisor, auth.RoleAdmin)
	if err != nil {
		return nil, err
	}
	district := req.GetDistrictId()
	if id.Role == auth.RoleSupervisor && id.DistrictID != "" {
		if district == "" {
			district = id.DistrictID
		}
		if district != id.DistrictID {
			return nil, s.toStatus(ctx, fmt.Errorf("district %q: %w", district, routing.ErrNotFound))
		}
	}
	districts, err := s.q.ListDistricts(ctx)
	if err != nil {
		return nil, s.toStatus(ctx, fmt.Errorf("list districts: %w", err))
	}
	names := map[string]store.District{}
	for _, d := range districts {
		names[d.ID] = d
	}
	if _, ok := names[district]; district != "" && !ok {
		return nil, s.toStatus(ctx, fmt.Errorf("district %q: %w", district, routing.ErrNotFound))
	}
	out := &routingv1.DistrictMap{DistrictId: district}
	switch v, err := s.q.CurrentBoundaryVersion(ctx); {
	case errors.Is(err, pgx.ErrNoRows):
	case err != nil:
		return nil, s.toStatus(ctx, fmt.Errorf("boundary version in force: %w", err))
	default:
		out.BoundaryVersion = v.Version
	}
	units, err := s.q.ListMapUnits(ctx, district)
	if err != nil {
		return nil, s.toStatus(ctx, fmt.Errorf("map units of %q: %w", district, err))
	}
	streets, err := s.q.ListStreets(ctx, district)
	if err != nil {
		return nil, s.toStatus(ctx, fmt.Errorf("streets of %q: %w", district, err))
	}
	out.Areas = make([]*routingv1.MapArea, 0, len(units)+len(streets))
	// Districts, then streets, then communities: each level drawn over the one before.
	for _, u := range units {
		if u.Level != "district" {
			continue
		}
		a, err := unitArea(u)
		if err != nil {
			return nil, s.toStatus(ctx, err)
		}
		a.NameEn = names[u.Code].NameEn
		out.Areas = append(out.Areas, a)
	}
	for _, r := range streets {
		st, err := streetToProto(r)
		if err != nil {
			return nil, s.toStatus(ctx, err)
		}
		out.Areas = append(out.Areas, &routingv1.MapArea{
			Level: "street", Code: st.Id, Name: st.Name, NameEn: st.NameEn, ParentCode: st.DistrictId,
			Boundary: st.Boundary, Centroid: st.Centroid, Synthetic: st.SyntheticBoundary,
		})
	}
	for _, u := range units {
		if u.Level == "district" {
			continue
		}
		a, err := unitArea(u)
		if err != nil {
			return nil, s.toStatus(ctx, err)
		}
		out.Areas = append(out.Areas, a)
	}
	return out, nil
}

// unitArea is a published unit as a map area.
func unitArea(u store.ListMapUnitsRow) (*routingv1.MapArea, error) {
	geometry, err := geoJSONStruct(u.Geometry)
	if err != nil {
		return nil, fmt.Errorf("boundary of %s %s: %w", u.Level, u.Code, err)
	}
	return &routingv1.MapArea{
		Level: u.Level, Code: u.Code, Name: u.Name, ParentCode: u.ParentCode, Boundary: geometry,
		Centroid: &typesv1.LatLng{Lat: u.CentroidLat, Lng: u.CentroidLng},
	}, nil
}
