package grpcapi

import (
	"context"

	"github.com/chuishao/whistle/platform/auth"
	routingv1 "github.com/chuishao/whistle/proto/gen/whistle/routing/v1"
)

// SaveDepartment adds a department or renames one (admin only).
func (s *Server) SaveDepartment(ctx context.Context, req *routingv1.SaveDepartmentRequest) (*routingv1.Department, error) {
	id, err := requireRole(ctx, auth.RoleAdmin)
	if err != nil {
		return nil, err
	}
	row, err := s.catalogue.SaveDepartment(ctx, id, req.GetCode(), req.GetName(), req.GetNameEn())
	if err != nil {
		return nil, s.toStatus(ctx, err)
	}
	return &routingv1.Department{Code: row.Code, Name: row.Name, NameEn: row.NameEn, Kind: row.Kind}, nil
}

// RenameStreet changes a street's names (admin only).
func (s *Server) RenameStreet(ctx context.Context, req *routingv1.RenameStreetRequest) (*routingv1.Street, error) {
	id, err := requireRole(ctx, auth.RoleAdmin)
	if err != nil {
		return nil, err
	}
	row, err := s.catalogue.RenameStreet(ctx, id, req.GetId(), req.GetName(), req.GetNameEn())
	if err != nil {
		return nil, s.toStatus(ctx, err)
	}
	st, err := streetToProto(row)
	if err != nil {
		return nil, s.toStatus(ctx, err)
	}
	return st, nil
}
