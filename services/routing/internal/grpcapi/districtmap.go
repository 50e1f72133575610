package grpcapi

import (
	"context"
	"fmt"

	"github.com/chuishao/whistle/platform/auth"
	routingv1 "github.com/chuishao/whistle/proto/gen/whistle/routing/v1"
	typesv1 "github.com/chuishao/whistle/proto/gen/whistle/types/v1"
	"github.com/chuishao/whistle/services/routing/internal/store"
)

// GetDistrictMap returns the areas of the supervisor's map in the caller's
// scope (catalogue.Service.DistrictMap). Streets, desks and grid workers have
// no such map (PermissionDenied).
func (s *Server) GetDistrictMap(ctx context.Context, req *routingv1.GetDistrictMapRequest) (*routingv1.DistrictMap, error) {
	id, err := requireRole(ctx, auth.RoleSupervisor, auth.RoleAdmin)
	if err != nil {
		return nil, err
	}
	m, err := s.catalogue.DistrictMap(ctx, id, req.GetDistrictId())
	if err != nil {
		return nil, s.toStatus(ctx, err)
	}
	out := &routingv1.DistrictMap{DistrictId: m.District, BoundaryVersion: m.BoundaryVersion,
		Areas: make([]*routingv1.MapArea, 0, len(m.Units)+len(m.Streets))}
	// Districts, then streets, then communities: each level drawn over the one before.
	for _, u := range m.Units {
		if u.Level != "district" {
			continue
		}
		a, err := unitArea(u)
		if err != nil {
			return nil, s.toStatus(ctx, err)
		}
		a.NameEn = m.Districts[u.Code].NameEn
		out.Areas = append(out.Areas, a)
	}
	for _, r := range m.Streets {
		st, err := streetToProto(r)
		if err != nil {
			return nil, s.toStatus(ctx, err)
		}
		out.Areas = append(out.Areas, &routingv1.MapArea{
			Level: "street", Code: st.Id, Name: st.Name, NameEn: st.NameEn, ParentCode: st.DistrictId,
			Boundary: st.Boundary, Centroid: st.Centroid, Synthetic: st.SyntheticBoundary,
		})
	}
	for _, u := range m.Units {
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
