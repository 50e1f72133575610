package grpcapi

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/chuishao/whistle/platform/auth"
	"github.com/chuishao/whistle/platform/rpcerr"
	responsev1 "github.com/chuishao/whistle/proto/gen/whistle/response/v1"
	routingv1 "github.com/chuishao/whistle/proto/gen/whistle/routing/v1"
	"github.com/chuishao/whistle/services/routing/internal/events"
	"github.com/chuishao/whistle/services/routing/internal/jurisdiction"
	"github.com/chuishao/whistle/services/routing/internal/routing"
	"github.com/chuishao/whistle/services/routing/internal/store"
)

// decisionFor loads a whistle's decision if the caller may see it; NotFound
// otherwise, so ids cannot be probed.
func (s *Server) decisionFor(ctx context.Context, id auth.Identity, whistleID string) (store.RoutingDecision, error) {
	d, err := s.q.GetDecision(ctx, whistleID)
	if err != nil {
		return d, notFound(err, "whistle", whistleID)
	}
	hidden := fmt.Errorf("whistle %q: %w", whistleID, routing.ErrNotFound)
	switch id.Role {
	case auth.RoleAdmin:
	case auth.RoleStreet:
		if d.StreetID != id.StreetID {
			return d, hidden
		}
	case auth.RoleSupervisor:
		if id.DistrictID != "" && d.DistrictID != id.DistrictID {
			return d, hidden
		}
	case auth.RoleDesk:
		if d.DistrictID != id.DistrictID {
			return d, hidden
		}
		rows, err := s.q.ListAssignments(ctx, whistleID)
		if err != nil {
			return d, fmt.Errorf("dispatches of whistle %s: %w", whistleID, err)
		}
		for _, r := range rows {
			if r.Department == id.Department {
				return d, nil
			}
		}
		return d, hidden
	default:
		return d, hidden
	}
	return d, nil
}

// ExplainRouting tells why each department of a whistle was chosen.
func (s *Server) ExplainRouting(ctx context.Context, req *routingv1.ExplainRoutingRequest) (*routingv1.RoutingExplanation, error) {
	id, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	d, err := s.decisionFor(ctx, id, req.GetWhistleId())
	if err != nil {
		return nil, s.toStatus(ctx, err)
	}
	out, err := s.explain(ctx, d)
	if err != nil {
		return nil, s.toStatus(ctx, err)
	}
	return out, nil
}

func (s *Server) explain(ctx context.Context, d store.RoutingDecision) (*routingv1.RoutingExplanation, error) {
	rows, err := s.q.ListAssignments(ctx, d.WhistleID)
	if err != nil {
		return nil, fmt.Errorf("dispatches of whistle %s: %w", d.WhistleID, err)
	}
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
	for _, r := range rows {
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
	return out, nil
}

// ListArbitrations is a supervisor's queue: its own district, or any (or all)
// for a city supervisor.
func (s *Server) ListArbitrations(ctx context.Context, req *routingv1.ListArbitrationsRequest) (*routingv1.ListArbitrationsResponse, error) {
	id, err := requireRole(ctx, auth.RoleSupervisor)
	if err != nil {
		return nil, err
	}
	district := req.GetDistrict()
	if id.DistrictID != "" {
		if district != "" && district != id.DistrictID {
			return nil, status.Error(codes.PermissionDenied, "a district supervisor sees only its own district's queue")
		}
		district = id.DistrictID
	}
	st := req.GetStatus()
	switch st {
	case "":
		st = "open"
	case "all":
		st = ""
	case "open", "decided":
	default:
		return nil, rpcerr.Invalid("status", "must be open, decided or all")
	}
	rows, err := s.q.ListArbitrations(ctx, store.ListArbitrationsParams{DistrictID: district, Status: st})
	if err != nil {
		return nil, s.toStatus(ctx, fmt.Errorf("list arbitrations: %w", err))
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
	known, err := s.departments(ctx)
	if err != nil {
		return nil, s.toStatus(ctx, err)
	}
	var v rpcerr.Violations
	switch {
	case req.GetDepartment() == "":
		v.Add("department", "is required")
	case !known[req.GetDepartment()]:
		v.Add("department", "unknown department %q", req.GetDepartment())
	}
	if req.GetResetSla() && req.GetResetReason() == "" {
		v.Add("reset_reason", "is required to reset the arrival clock")
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	existing, err := s.q.GetArbitration(ctx, req.GetId())
	if err != nil {
		return nil, s.toStatus(ctx, notFound(err, "arbitration", req.GetId()))
	}
	if id.DistrictID != "" && existing.DistrictID != id.DistrictID {
		return nil, s.toStatus(ctx, fmt.Errorf("arbitration %q: %w", req.GetId(), routing.ErrNotFound))
	}
	var row store.Arbitration
	err = s.inTx(ctx, func(tx pgx.Tx) error {
		var err error
		row, err = s.h.Arbitrate(ctx, tx, events.Arbitration{
			ID: req.GetId(), Department: req.GetDepartment(), ResetSLA: req.GetResetSla(),
			Reason: req.GetResetReason(), Note: req.GetNote(), By: actor(id),
		})
		return err
	})
	if err != nil {
		return nil, s.toStatus(ctx, err)
	}
	return arbitrationToProto(row), nil
}

func (s *Server) departments(ctx context.Context) (map[string]bool, error) {
	rows, err := s.q.ListDepartments(ctx)
	if err != nil {
		return nil, fmt.Errorf("list departments: %w", err)
	}
	out := make(map[string]bool, len(rows))
	for _, r := range rows {
		out[r.Code] = true
	}
	return out, nil
}

// AddDepartment is a manual 吹哨 on a live whistle.
func (s *Server) AddDepartment(ctx context.Context, req *routingv1.AddDepartmentRequest) (*routingv1.RoutingExplanation, error) {
	id, err := requireRole(ctx, auth.RoleStreet, auth.RoleSupervisor)
	if err != nil {
		return nil, err
	}
	known, err := s.departments(ctx)
	if err != nil {
		return nil, s.toStatus(ctx, err)
	}
	switch {
	case req.GetDepartment() == "":
		return nil, rpcerr.Invalid("department", "is required")
	case !known[req.GetDepartment()]:
		return nil, rpcerr.Invalid("department", "unknown department %q", req.GetDepartment())
	}
	d, err := s.decisionFor(ctx, id, req.GetWhistleId())
	if err != nil {
		return nil, s.toStatus(ctx, err)
	}
	err = s.inTx(ctx, func(tx pgx.Tx) error {
		return s.h.AddDepartment(ctx, tx, d, req.GetDepartment(), req.GetReason(), actor(id))
	})
	if err != nil {
		return nil, s.toStatus(ctx, err)
	}
	return s.explain(ctx, d)
}

// ConfirmLocation is the raising street confirming its flagged location.
func (s *Server) ConfirmLocation(ctx context.Context, req *routingv1.ConfirmLocationRequest) (*routingv1.RoutingExplanation, error) {
	id, err := requireRole(ctx, auth.RoleStreet)
	if err != nil {
		return nil, err
	}
	if _, err := s.decisionFor(ctx, id, req.GetWhistleId()); err != nil {
		return nil, s.toStatus(ctx, err)
	}
	err = s.inTx(ctx, func(tx pgx.Tx) error {
		return s.h.ConfirmLocation(ctx, tx, req.GetWhistleId(), req.GetNote(), actor(id))
	})
	if err != nil {
		return nil, s.toStatus(ctx, err)
	}
	d, err := s.q.GetDecision(ctx, req.GetWhistleId())
	if err != nil {
		return nil, s.toStatus(ctx, notFound(err, "whistle", req.GetWhistleId()))
	}
	out, err := s.explain(ctx, d)
	if err != nil {
		return nil, s.toStatus(ctx, err)
	}
	return out, nil
}
