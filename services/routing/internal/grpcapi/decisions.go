package grpcapi

import (
	"context"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/chuishao/whistle/platform/auth"
	responsev1 "github.com/chuishao/whistle/proto/gen/whistle/response/v1"
	routingv1 "github.com/chuishao/whistle/proto/gen/whistle/routing/v1"
	"github.com/chuishao/whistle/services/routing/internal/decisions"
	"github.com/chuishao/whistle/services/routing/internal/jurisdiction"
	"github.com/chuishao/whistle/services/routing/internal/routing"
	"github.com/chuishao/whistle/services/routing/internal/store"
)

// ExplainRouting tells why each department of a whistle was chosen.
func (s *Server) ExplainRouting(ctx context.Context, req *routingv1.ExplainRoutingRequest) (*routingv1.RoutingExplanation, error) {
	id, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	e, err := s.decisions.Explain(ctx, id, req.GetWhistleId())
	if err != nil {
		return nil, s.toStatus(ctx, err)
	}
	return explanationToProto(e), nil
}

func explanationToProto(e decisions.Explanation) *routingv1.RoutingExplanation {
	d := e.Decision
	out := &routingv1.RoutingExplanation{
		WhistleId: d.WhistleID, CatalogueVersion: d.CatalogueVersion, Rule: d.Rule,
		Jurisdiction: &routingv1.Jurisdiction{
			Result: d.Jurisdiction, NeighbourStreetIds: d.NeighbourStreetIds, DistanceM: d.DistanceM,
			NeedsConfirmation: jurisdiction.Check{Result: jurisdiction.Result(d.Jurisdiction)}.NeedsConfirmation(),
			ConfirmedBy:       d.LocationConfirmedBy,
			CommunityCode:     d.CommunityCode,
			CommunityName:     d.CommunityName,
			CommunityResult:   d.CommunityResult,
		},
	}
	if d.LocationConfirmedAt.Valid {
		out.Jurisdiction.ConfirmedAt = timestamppb.New(d.LocationConfirmedAt.Time)
	}
	for _, r := range e.Assignments {
		reason := r.Reason
		if reason == "" { // decided before reasons were recorded
			reason = routing.Explain(r.Role, d.Rule, d.CatalogueVersion, "", "")
		}
		rule := r.Rule
		if rule == "" {
			rule = d.Rule
		}
		dr := &routingv1.DepartmentReason{
			Department: r.Department, Role: r.Role, DispatchId: r.DispatchID, Reason: reason, Rule: rule, Status: r.Status,
		}
		if r.CreatedAt.Valid {
			dr.DispatchedAt = timestamppb.New(r.CreatedAt.Time)
		}
		out.Departments = append(out.Departments, dr)
	}
	return out
}

// ListArbitrations is a supervisor's queue: its own district, or any (or all)
// for a city supervisor.
func (s *Server) ListArbitrations(ctx context.Context, req *routingv1.ListArbitrationsRequest) (*routingv1.ListArbitrationsResponse, error) {
	id, err := requireRole(ctx, auth.RoleSupervisor)
	if err != nil {
		return nil, err
	}
	rows, err := s.decisions.ListArbitrations(ctx, id, req.GetDistrict(), req.GetStatus())
	if err != nil {
		return nil, s.toStatus(ctx, err)
	}
	out := &routingv1.ListArbitrationsResponse{}
	for _, r := range rows {
		a := arbitrationToProto(store.Arbitration{
			ID: r.ID, WhistleID: r.WhistleID, DistrictID: r.DistrictID, Kind: r.Kind, ReturnedDispatchID: r.ReturnedDispatchID,
			FromDepartment: r.FromDepartment, ReasonCode: r.ReasonCode, Reason: r.Reason, SlaStartedAt: r.SlaStartedAt,
			Status: r.Status, RequestedAt: r.RequestedAt, DecidedAt: r.DecidedAt, DecidedBy: r.DecidedBy,
			Department: r.Department, DispatchID: r.DispatchID, SlaReset: r.SlaReset, SlaResetReason: r.SlaResetReason, Note: r.Note,
			ReturnDepartment: r.ReturnDepartment,
		})
		a.Category = r.Category
		out.Arbitrations = append(out.Arbitrations, a)
	}
	return out, nil
}

func arbitrationToProto(r store.Arbitration) *routingv1.Arbitration {
	a := &routingv1.Arbitration{
		Id: r.ID, WhistleId: r.WhistleID, DistrictId: r.DistrictID, Kind: r.Kind, ReturnedDispatchId: r.ReturnedDispatchID,
		FromDepartment: r.FromDepartment, Reason: r.Reason, Status: r.Status,
		DecidedBy: r.DecidedBy, Department: r.Department, SlaReset: r.SlaReset, SlaResetReason: r.SlaResetReason, Note: r.Note,
		// reason_code (deprecated) is the code in lower case; return_code the enum.
		ReasonCode:       routing.ReturnCode(r.ReasonCode).Legacy(),
		ReturnCode:       responsev1.Dispatch_ReturnCode(responsev1.Dispatch_ReturnCode_value[r.ReasonCode]),
		ReturnDepartment: r.ReturnDepartment,
	}
	if r.RequestedAt.Valid {
		a.RequestedAt = timestamppb.New(r.RequestedAt.Time)
	}
	if r.DecidedAt.Valid {
		a.DecidedAt = timestamppb.New(r.DecidedAt.Time)
	}
	return a
}

// DecideArbitration records a supervisor's binding decision.
func (s *Server) DecideArbitration(ctx context.Context, req *routingv1.DecideArbitrationRequest) (*routingv1.Arbitration, error) {
	id, err := requireRole(ctx, auth.RoleSupervisor)
	if err != nil {
		return nil, err
	}
	row, err := s.decisions.Arbitrate(ctx, id, decisions.Arbitration{
		ID: req.GetId(), Department: req.GetDepartment(), ResetSLA: req.GetResetSla(),
		Reason: req.GetResetReason(), Note: req.GetNote(),
	})
	if err != nil {
		return nil, s.toStatus(ctx, err)
	}
	return arbitrationToProto(row), nil
}

// AddDepartment is a manual 吹哨 on a live whistle.
func (s *Server) AddDepartment(ctx context.Context, req *routingv1.AddDepartmentRequest) (*routingv1.RoutingExplanation, error) {
	id, err := requireRole(ctx, auth.RoleStreet, auth.RoleSupervisor)
	if err != nil {
		return nil, err
	}
	e, err := s.decisions.AddDepartment(ctx, id, req.GetWhistleId(), req.GetDepartment(), req.GetReason())
	if err != nil {
		return nil, s.toStatus(ctx, err)
	}
	return explanationToProto(e), nil
}

// ConfirmLocation is the raising street confirming its flagged location.
func (s *Server) ConfirmLocation(ctx context.Context, req *routingv1.ConfirmLocationRequest) (*routingv1.RoutingExplanation, error) {
	id, err := requireRole(ctx, auth.RoleStreet)
	if err != nil {
		return nil, err
	}
	e, err := s.decisions.ConfirmLocation(ctx, id, req.GetWhistleId(), req.GetNote())
	if err != nil {
		return nil, s.toStatus(ctx, err)
	}
	return explanationToProto(e), nil
}
