package grpcapi

import (
	"context"
	"fmt"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/types/known/structpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/chuishao/whistle/platform/auth"
	"github.com/chuishao/whistle/platform/geo/coordsys"
	"github.com/chuishao/whistle/platform/rpcerr"
	routingv1 "github.com/chuishao/whistle/proto/gen/whistle/routing/v1"
	typesv1 "github.com/chuishao/whistle/proto/gen/whistle/types/v1"
	"github.com/chuishao/whistle/services/routing/internal/boundary"
	"github.com/chuishao/whistle/services/routing/internal/catalogue"
)

// ImportBoundaries checks a GeoJSON file and makes it, merged into the
// version in force, the boundary draft; it answers the difference, and with
// publish publishes the draft in the same transaction.
func (s *Server) ImportBoundaries(ctx context.Context, req *routingv1.ImportBoundariesRequest) (*routingv1.BoundaryImport, error) {
	id, err := requireRole(ctx, auth.RoleAdmin)
	if err != nil {
		return nil, err
	}
	opt, err := importOptions(req)
	if err != nil {
		return nil, err
	}
	in, err := s.catalogue.ImportBoundaries(ctx, id, catalogue.Import{
		GeoJSON: []byte(req.GetGeojson()), Options: opt, Description: req.GetDescription(),
		Replace: req.GetReplace(), Publish: req.GetPublish(),
	})
	if err != nil {
		return nil, s.toStatus(ctx, err)
	}
	out := &routingv1.BoundaryImport{Version: in.Version, FromVersion: in.FromVersion, SourceSha256: in.SourceSHA256, Units: int32(in.Units)}
	for _, c := range in.Changes {
		u := c.Unit()
		out.Changes = append(out.Changes, &routingv1.BoundaryChange{Change: c.Kind, Level: string(u.Level), Code: u.Code, Name: u.Name})
		switch c.Kind {
		case boundary.Added:
			out.Added++
		case boundary.Changed:
			out.Changed++
		case boundary.Removed:
			out.Removed++
		}
	}
	return out, nil
}

// importOptions reads how to take the file's features.
func importOptions(req *routingv1.ImportBoundariesRequest) (boundary.Options, error) {
	var v rpcerr.Violations
	opt := boundary.Options{CodeProperty: req.GetCodeProperty(), NameProperty: req.GetNameProperty(), ParentProperty: req.GetParentProperty()}
	if req.GetLevel() != "" {
		l, ok := boundary.ParseLevel(req.GetLevel())
		if !ok {
			v.Add("level", "must be district, street, community or grid")
		}
		opt.Level = l
	}
	if req.GetCoordSys() != "" {
		sys, err := coordsys.Parse(req.GetCoordSys())
		if err != nil {
			v.Add("coord_sys", "must be WGS84, GCJ02 (高德, 腾讯) or BD09 (百度)")
		}
		opt.CoordSys = sys
	}
	return opt, v.Err()
}

// PublishBoundaries publishes the draft as the next version.
func (s *Server) PublishBoundaries(ctx context.Context, req *routingv1.PublishBoundariesRequest) (*routingv1.BoundaryVersion, error) {
	id, err := requireRole(ctx, auth.RoleAdmin)
	if err != nil {
		return nil, err
	}
	v, err := s.catalogue.PublishBoundaries(ctx, id, req.GetSourceSha256())
	if err != nil {
		return nil, s.toStatus(ctx, err)
	}
	out := &routingv1.BoundaryVersion{
		Version: v.Version, Description: v.Description, SourceSha256: v.SourceSha256, ImportedBy: v.ImportedBy,
		PublishedBy: v.PublishedBy, Units: int32(v.Units),
	}
	if v.ImportedAt.Valid {
		out.ImportedAt = timestamppb.New(v.ImportedAt.Time)
	}
	if v.PublishedAt.Valid {
		out.PublishedAt = timestamppb.New(v.PublishedAt.Time)
	}
	return out, nil
}

// ListBoundaryUnits lists the units of one version.
func (s *Server) ListBoundaryUnits(ctx context.Context, req *routingv1.ListBoundaryUnitsRequest) (*routingv1.ListBoundaryUnitsResponse, error) {
	if req.GetVersion() == catalogue.BoundaryDraft {
		if _, err := requireRole(ctx, auth.RoleAdmin); err != nil {
			return nil, err
		}
	} else if err := requireCaller(ctx); err != nil {
		return nil, err
	}
	if l := req.GetLevel(); l != "" {
		if _, ok := boundary.ParseLevel(l); !ok {
			return nil, rpcerr.Invalid("level", "must be district, street, community or grid")
		}
	}
	version, rows, err := s.catalogue.BoundaryUnits(ctx, req.GetVersion(), req.GetLevel(), req.GetParentCode())
	if err != nil {
		return nil, s.toStatus(ctx, err)
	}
	if version == "" {
		return &routingv1.ListBoundaryUnitsResponse{}, nil
	}
	out := &routingv1.ListBoundaryUnitsResponse{Version: version, Units: make([]*routingv1.BoundaryUnit, 0, len(rows))}
	for _, r := range rows {
		geometry, err := geoJSONStruct(r.Geometry)
		if err != nil {
			return nil, s.toStatus(ctx, fmt.Errorf("boundary of %s %s: %w", r.Level, r.Code, err))
		}
		out.Units = append(out.Units, &routingv1.BoundaryUnit{
			Level: r.Level, Code: r.Code, Name: r.Name, ParentCode: r.ParentCode, Boundary: geometry,
			Centroid: &typesv1.LatLng{Lat: r.CentroidLat, Lng: r.CentroidLng},
		})
	}
	return out, nil
}

// geoJSONStruct is a stored GeoJSON geometry as the API's Struct.
func geoJSONStruct(raw []byte) (*structpb.Struct, error) {
	out := &structpb.Struct{}
	if err := protojson.Unmarshal(raw, out); err != nil {
		return nil, err
	}
	return out, nil
}

// ListDivisions lists the official units with what the map has for each.
func (s *Server) ListDivisions(ctx context.Context, req *routingv1.ListDivisionsRequest) (*routingv1.ListDivisionsResponse, error) {
	if err := requireCaller(ctx); err != nil {
		return nil, err
	}
	if l, ok := boundary.ParseLevel(req.GetLevel()); req.GetLevel() != "" && (!ok || l == boundary.Grid) {
		return nil, rpcerr.Invalid("level", "must be district, street or community")
	}
	rows, err := s.catalogue.Divisions(ctx, req.GetLevel(), req.GetParentCode())
	if err != nil {
		return nil, s.toStatus(ctx, err)
	}
	out := &routingv1.ListDivisionsResponse{Divisions: make([]*routingv1.Division, 0, len(rows))}
	for _, r := range rows {
		out.Divisions = append(out.Divisions, &routingv1.Division{
			Code: r.Code, Level: r.Level, Name: r.Name, ParentCode: r.ParentCode, BoundaryVersion: r.BoundaryVersion,
			OperatingStreet: r.Operating,
		})
	}
	return out, nil
}
