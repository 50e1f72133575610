// Package grpcapi serves RoutingService: it checks the caller's identity and
// role, turns requests into calls of the use cases (decisions, catalogue) and
// their answers into messages, and domain errors into gRPC codes in one place
// (toStatus).
package grpcapi

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/chuishao/whistle/platform/auth"
	"github.com/chuishao/whistle/platform/geo/coordsys"
	"github.com/chuishao/whistle/platform/rpcerr"
	routingv1 "github.com/chuishao/whistle/proto/gen/whistle/routing/v1"
	typesv1 "github.com/chuishao/whistle/proto/gen/whistle/types/v1"
	"github.com/chuishao/whistle/services/routing/internal/catalogue"
	"github.com/chuishao/whistle/services/routing/internal/decisions"
	"github.com/chuishao/whistle/services/routing/internal/routing"
	"github.com/chuishao/whistle/services/routing/internal/store"
)

// Server implements routingv1.RoutingServiceServer.
type Server struct {
	routingv1.UnimplementedRoutingServiceServer
	decisions *decisions.Service
	catalogue *catalogue.Service
	log       *slog.Logger
	// CoordSys is the system of a point to locate whose request names none
	// (WGS-84 when empty).
	CoordSys coordsys.System
}

// New returns a server over the use cases: d makes the decisions people ask
// for (arbitration, manual 吹哨) the same way the consumer does, c keeps the
// reference data.
func New(d *decisions.Service, c *catalogue.Service, log *slog.Logger) *Server {
	return &Server{decisions: d, catalogue: c, log: log}
}

// toStatus is the one map from domain errors to gRPC codes: routing's own
// errors here, the ones every service shares in rpcerr.Status.
func (s *Server) toStatus(ctx context.Context, err error) error {
	if _, ok := status.FromError(err); ok { // a status already, or nil
		return err
	}
	switch {
	case errors.Is(err, routing.ErrNotFound):
		return status.Error(codes.NotFound, err.Error())
	case errors.Is(err, routing.ErrConflict):
		return status.Error(codes.FailedPrecondition, err.Error())
	case errors.Is(err, routing.ErrPermission):
		return status.Error(codes.PermissionDenied, err.Error())
	}
	return rpcerr.Status(ctx, s.log, err)
}

// PublicViewMethods are the reference reads the public's read-only identity
// (auth.RolePublic) may call: the categories, departments and streets
// Open311 publishes. They hold no personal data.
var PublicViewMethods = []string{
	routingv1.RoutingService_ListCategories_FullMethodName,
	routingv1.RoutingService_GetCategory_FullMethodName,
	routingv1.RoutingService_ListDepartments_FullMethodName,
	routingv1.RoutingService_GetStreet_FullMethodName,
}

// PublicMethods are the reference reads callable without a token: whether a
// street or a category exists, which intake asks when a resident's report
// (itself public) names them. Both are public facts (Open311 publishes the
// categories; streets are the city's administrative map).
var PublicMethods = []string{
	routingv1.RoutingService_GetCategory_FullMethodName,
	routingv1.RoutingService_GetStreet_FullMethodName,
}

// requireCaller lets any signed-in role read reference data. The server's
// interceptor already rejects calls without a token; this keeps the handler
// safe if it is ever mounted elsewhere.
func requireCaller(ctx context.Context) error {
	if _, ok := auth.FromContext(ctx); !ok {
		return status.Error(codes.Unauthenticated, "missing bearer token")
	}
	return nil
}

// ListDistricts returns every district.
func (s *Server) ListDistricts(ctx context.Context, _ *routingv1.ListDistrictsRequest) (*routingv1.ListDistrictsResponse, error) {
	if err := requireCaller(ctx); err != nil {
		return nil, err
	}
	rows, err := s.catalogue.Districts(ctx)
	if err != nil {
		return nil, s.toStatus(ctx, err)
	}
	out := &routingv1.ListDistrictsResponse{Districts: make([]*routingv1.District, 0, len(rows))}
	for _, r := range rows {
		out.Districts = append(out.Districts, &routingv1.District{
			Id: r.ID, Name: r.Name, NameEn: r.NameEn, Centroid: &typesv1.LatLng{Lat: r.CentroidLat, Lng: r.CentroidLng},
		})
	}
	return out, nil
}

// ListStreets returns the streets, of one district when the request names it.
func (s *Server) ListStreets(ctx context.Context, req *routingv1.ListStreetsRequest) (*routingv1.ListStreetsResponse, error) {
	if err := requireCaller(ctx); err != nil {
		return nil, err
	}
	rows, err := s.catalogue.Streets(ctx, req.GetDistrict())
	if err != nil {
		return nil, s.toStatus(ctx, err)
	}
	out := &routingv1.ListStreetsResponse{Streets: make([]*routingv1.Street, 0, len(rows))}
	for _, r := range rows {
		st, err := streetToProto(r)
		if err != nil {
			return nil, s.toStatus(ctx, err)
		}
		out.Streets = append(out.Streets, st)
	}
	return out, nil
}

// GetStreet returns one street.
func (s *Server) GetStreet(ctx context.Context, req *routingv1.GetStreetRequest) (*routingv1.Street, error) {
	r, err := s.catalogue.Street(ctx, req.GetId())
	if err != nil {
		return nil, s.toStatus(ctx, err)
	}
	st, err := streetToProto(r)
	if err != nil {
		return nil, s.toStatus(ctx, err)
	}
	return st, nil
}

// ListDepartments returns every department.
func (s *Server) ListDepartments(ctx context.Context, _ *routingv1.ListDepartmentsRequest) (*routingv1.ListDepartmentsResponse, error) {
	if err := requireCaller(ctx); err != nil {
		return nil, err
	}
	rows, err := s.catalogue.Departments(ctx)
	if err != nil {
		return nil, s.toStatus(ctx, err)
	}
	out := &routingv1.ListDepartmentsResponse{Departments: make([]*routingv1.Department, 0, len(rows))}
	for _, r := range rows {
		out.Departments = append(out.Departments, &routingv1.Department{Code: r.Code, Name: r.Name, NameEn: r.NameEn, Kind: r.Kind})
	}
	return out, nil
}

// ListCategories returns every category with its routing rule.
func (s *Server) ListCategories(ctx context.Context, _ *routingv1.ListCategoriesRequest) (*routingv1.ListCategoriesResponse, error) {
	if err := requireCaller(ctx); err != nil {
		return nil, err
	}
	rows, err := s.catalogue.Categories(ctx)
	if err != nil {
		return nil, s.toStatus(ctx, err)
	}
	out := &routingv1.ListCategoriesResponse{Categories: make([]*routingv1.Category, 0, len(rows))}
	for _, r := range rows {
		out.Categories = append(out.Categories, categoryToProto(r))
	}
	return out, nil
}

// GetCategory returns one category.
func (s *Server) GetCategory(ctx context.Context, req *routingv1.GetCategoryRequest) (*routingv1.Category, error) {
	r, err := s.catalogue.Category(ctx, req.GetCode())
	if err != nil {
		return nil, s.toStatus(ctx, err)
	}
	return categoryToProto(r), nil
}

// streetToProto is a street with its boundary in force: the published
// version's, or the synthetic stand-in (boundary_version empty).
func streetToProto(r store.ListStreetsRow) (*routingv1.Street, error) {
	boundary, err := geoJSONStruct(r.Boundary)
	if err != nil {
		return nil, fmt.Errorf("boundary of street %s: %w", r.ID, err)
	}
	return &routingv1.Street{
		Id: r.ID, Name: r.Name, NameEn: r.NameEn, DistrictId: r.DistrictID,
		Centroid: &typesv1.LatLng{Lat: r.CentroidLat, Lng: r.CentroidLng},
		Boundary: boundary, BoundaryVersion: r.BoundaryVersion, SyntheticBoundary: r.BoundaryVersion == "",
	}, nil
}

func categoryToProto(r store.Category) *routingv1.Category {
	sla := r.Domain().SLA
	return &routingv1.Category{
		Code: r.Code, Name: r.Name, NameEn: r.NameEn, Description: r.Description,
		LeadDepartment: r.LeadDepartment, CooperatingDepartments: r.CooperatingDepartments,
		Sla: &routingv1.SlaPolicy{
			AckWithin:     durationpb.New(sla.AckWithin),
			ArriveWithin:  durationpb.New(sla.ArriveWithin),
			ResolveWithin: durationpb.New(sla.ResolveWithin),
		},
	}
}
