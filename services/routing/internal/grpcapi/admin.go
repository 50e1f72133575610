package grpcapi

import (
	"context"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/chuishao/whistle/platform/auth"
	"github.com/chuishao/whistle/platform/geo/coordsys"
	"github.com/chuishao/whistle/platform/rpcerr"
	routingv1 "github.com/chuishao/whistle/proto/gen/whistle/routing/v1"
	"github.com/chuishao/whistle/services/routing/internal/routing"
)

// caller is the signed-in identity, or Unauthenticated.
func caller(ctx context.Context) (auth.Identity, error) {
	id, ok := auth.FromContext(ctx)
	if !ok {
		return id, status.Error(codes.Unauthenticated, "missing bearer token")
	}
	return id, nil
}

// mayRead lets every signed-in caller read a published catalogue version (so
// anyone can see why a department was chosen), but only admins, who edit it,
// and supervisors, who are consulted on it, read the unpublished draft.
func mayRead(ctx context.Context, version string) error {
	if version == routing.DraftVersion {
		_, err := requireRole(ctx, auth.RoleAdmin, auth.RoleSupervisor)
		return err
	}
	_, err := caller(ctx)
	return err
}

func requireRole(ctx context.Context, roles ...string) (auth.Identity, error) {
	id, err := caller(ctx)
	if err != nil {
		return id, err
	}
	for _, r := range roles {
		if id.Role == r {
			return id, nil
		}
	}
	return id, status.Errorf(codes.PermissionDenied, "role %s may not do this", id.Role)
}

// LocateStreet checks a point against a street's boundary.
func (s *Server) LocateStreet(ctx context.Context, req *routingv1.LocateStreetRequest) (*routingv1.Jurisdiction, error) {
	if _, err := caller(ctx); err != nil {
		return nil, err
	}
	var v rpcerr.Violations
	if req.GetStreetId() == "" {
		v.Add("street_id", "is required")
	}
	if lat := req.GetLocation().GetLat(); req.GetLocation() == nil || lat < -90 || lat > 90 {
		v.Add("location.lat", "must be between -90 and 90")
	}
	if lng := req.GetLocation().GetLng(); req.GetLocation() == nil || lng < -180 || lng > 180 {
		v.Add("location.lng", "must be between -180 and 180")
	}
	sys := s.CoordSys
	if req.GetCoordSys() != "" {
		var err error
		if sys, err = coordsys.Parse(req.GetCoordSys()); err != nil {
			v.Add("coord_sys", "must be WGS84, GCJ02 (高德, 腾讯) or BD09 (百度)")
		}
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	p := coordsys.ToWGS84(sys, coordsys.Point{Lat: req.GetLocation().GetLat(), Lng: req.GetLocation().GetLng()})
	c, err := s.decisions.Locate(ctx, req.GetStreetId(), p.Lat, p.Lng)
	if err != nil {
		return nil, s.toStatus(ctx, err)
	}
	return &routingv1.Jurisdiction{
		Result: string(c.Result), NeighbourStreetIds: c.Neighbours, DistanceM: c.DistanceM, NeedsConfirmation: c.NeedsConfirmation(),
		CommunityCode: c.Community.Code, CommunityName: c.Community.Name, CommunityResult: string(c.CommunityResult),
	}, nil
}
