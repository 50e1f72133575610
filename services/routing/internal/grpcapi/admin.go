package grpcapi

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/chuishao/whistle/platform/auth"
	"github.com/chuishao/whistle/platform/geo/coordsys"
	"github.com/chuishao/whistle/platform/postgres"
	"github.com/chuishao/whistle/platform/rpcerr"
	responsev1 "github.com/chuishao/whistle/proto/gen/whistle/response/v1"
	routingv1 "github.com/chuishao/whistle/proto/gen/whistle/routing/v1"
	typesv1 "github.com/chuishao/whistle/proto/gen/whistle/types/v1"
	"github.com/chuishao/whistle/services/routing/internal/events"
	"github.com/chuishao/whistle/services/routing/internal/jurisdiction"
	"github.com/chuishao/whistle/services/routing/internal/routing"
	"github.com/chuishao/whistle/services/routing/internal/store"
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

func actor(id auth.Identity) *typesv1.Actor { return &typesv1.Actor{Role: id.Role, Id: id.Subject} }

// inTx runs fn in one transaction, so a state change and its events commit
// together — with the admin action's audit record when the caller's context
// carries the audit's transaction.
func (s *Server) inTx(ctx context.Context, fn func(tx pgx.Tx) error) error {
	return postgres.InTx(ctx, s.pool, fn)
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
	err := s.h.Map.Refresh(ctx)
	var c jurisdiction.Check
	if err == nil {
		c, err = s.h.Map.Check(ctx, req.GetStreetId(), p.Lat, p.Lng)
	}
	if err != nil {
		return nil, s.toStatus(ctx, err)
	}
	return &routingv1.Jurisdiction{
		Result: string(c.Result), NeighbourStreetIds: c.Neighbours, DistanceM: c.DistanceM, NeedsConfirmation: c.NeedsConfirmation(),
		CommunityCode: c.Community.Code, CommunityName: c.Community.Name, CommunityResult: string(c.CommunityResult),
	}, nil
}

// GetCatalogue returns the version in force, a named version, or the draft.
func (s *Server) GetCatalogue(ctx context.Context, req *routingv1.GetCatalogueRequest) (*routingv1.Catalogue, error) {
	if err := mayRead(ctx, req.GetVersion()); err != nil {
		return nil, err
	}
	c, err := s.catalogue(ctx, s.q, req.GetVersion())
	if err != nil {
		return nil, s.toStatus(ctx, err)
	}
	return c, nil
}

func (s *Server) catalogue(ctx context.Context, q *store.Queries, version string) (*routingv1.Catalogue, error) {
	var v store.CatalogueVersion
	var err error
	if version == "" {
		v, err = q.CurrentCatalogueVersion(ctx, pgtype.Timestamptz{Time: s.clock.Now(), Valid: true})
	} else {
		v, err = q.GetCatalogueVersion(ctx, version)
	}
	if err != nil {
		return nil, notFound(err, "catalogue version", version)
	}
	rules, err := q.CatalogueRules(ctx, v.Version)
	if err != nil {
		return nil, fmt.Errorf("rules of catalogue %s: %w", v.Version, err)
	}
	out := &routingv1.Catalogue{Version: v.Version, Description: v.Description, PublishedBy: v.PublishedBy}
	if v.EffectiveAt.Valid {
		out.EffectiveAt = timestamppb.New(v.EffectiveAt.Time)
	}
	if v.PublishedAt.Valid {
		out.PublishedAt = timestamppb.New(v.PublishedAt.Time)
	}
	for _, r := range rules {
		out.Rules = append(out.Rules, ruleToProto(r.Domain()))
	}
	return out, nil
}

func ruleToProto(r routing.Rule) *routingv1.CatalogueRule {
	return &routingv1.CatalogueRule{
		Category: r.Category, DistrictId: r.DistrictID, LeadDepartment: r.Lead, CooperatingDepartments: r.Cooperating,
		Sla: &routingv1.SlaPolicy{
			AckWithin: durationpb.New(r.SLA.AckWithin), ArriveWithin: durationpb.New(r.SLA.ArriveWithin),
			ResolveWithin: durationpb.New(r.SLA.ResolveWithin),
		},
	}
}

func ruleFromProto(r *routingv1.CatalogueRule) routing.Rule {
	coop := r.GetCooperatingDepartments()
	if coop == nil {
		coop = []string{}
	}
	return routing.Rule{
		Category: r.GetCategory(), DistrictID: r.GetDistrictId(), Lead: r.GetLeadDepartment(), Cooperating: coop,
		SLA: routing.SLA{
			AckWithin: r.GetSla().GetAckWithin().AsDuration(), ArriveWithin: r.GetSla().GetArriveWithin().AsDuration(),
			ResolveWithin: r.GetSla().GetResolveWithin().AsDuration(),
		},
	}
}

// reference loads what rules may name.
func reference(ctx context.Context, q *store.Queries) (routing.Reference, error) {
	ref := routing.Reference{Categories: map[string]bool{}, Departments: map[string]bool{}, Districts: map[string]bool{}}
	cats, err := q.ListCategories(ctx)
	if err != nil {
		return ref, fmt.Errorf("list categories: %w", err)
	}
	for _, c := range cats {
		ref.Categories[c.Code] = true
	}
	deps, err := q.ListDepartments(ctx)
	if err != nil {
		return ref, fmt.Errorf("list departments: %w", err)
	}
	for _, d := range deps {
		ref.Departments[d.Code] = true
	}
	dists, err := q.ListDistricts(ctx)
	if err != nil {
		return ref, fmt.Errorf("list districts: %w", err)
	}
	for _, d := range dists {
		ref.Districts[d.ID] = true
	}
	return ref, nil
}

func validate(ctx context.Context, q *store.Queries, rules []routing.Rule) error {
	ref, err := reference(ctx, q)
	if err != nil {
		return err
	}
	if vs := routing.ValidateCatalogue(rules, ref); len(vs) > 0 {
		var v rpcerr.Violations
		for _, x := range vs {
			v.Add(x.Field, "%s", x.Reason)
		}
		return v.Err()
	}
	return nil
}

func minutes(d time.Duration) int32 { return int32(d / time.Minute) }

// UpdateCatalogueDraft replaces the draft's rules once they validate.
func (s *Server) UpdateCatalogueDraft(ctx context.Context, req *routingv1.UpdateCatalogueDraftRequest) (*routingv1.Catalogue, error) {
	if _, err := requireRole(ctx, auth.RoleAdmin); err != nil {
		return nil, err
	}
	rules := make([]routing.Rule, len(req.GetRules()))
	for i, r := range req.GetRules() {
		rules[i] = ruleFromProto(r)
	}
	var out *routingv1.Catalogue
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		q := store.New(tx)
		if err := validate(ctx, q, rules); err != nil {
			return err
		}
		if _, err := q.EnsureDraft(ctx, req.GetDescription()); err != nil {
			return fmt.Errorf("create draft: %w", err)
		}
		if _, err := q.LockDraft(ctx); err != nil {
			return fmt.Errorf("lock draft: %w", err)
		}
		if err := q.SetDraftDescription(ctx, req.GetDescription()); err != nil {
			return fmt.Errorf("describe draft: %w", err)
		}
		if err := q.DeleteCatalogueRules(ctx, routing.DraftVersion); err != nil {
			return fmt.Errorf("clear draft: %w", err)
		}
		p := store.UpsertCatalogueRulesParams{Version: routing.DraftVersion}
		for _, r := range rules {
			p.Categories = append(p.Categories, r.Category)
			p.DistrictIds = append(p.DistrictIds, r.DistrictID)
			p.LeadDepartments = append(p.LeadDepartments, r.Lead)
			p.Cooperating = append(p.Cooperating, joinCodes(r.Cooperating))
			p.AckMinutes = append(p.AckMinutes, minutes(r.SLA.AckWithin))
			p.ArriveMinutes = append(p.ArriveMinutes, minutes(r.SLA.ArriveWithin))
			p.ResolveHours = append(p.ResolveHours, int32(r.SLA.ResolveWithin/time.Hour))
		}
		if _, err := q.UpsertCatalogueRules(ctx, p); err != nil {
			return fmt.Errorf("write draft: %w", err)
		}
		var err error
		out, err = s.catalogue(ctx, q, routing.DraftVersion)
		return err
	})
	if err != nil {
		return nil, s.toStatus(ctx, err)
	}
	return out, nil
}

func joinCodes(codes []string) string {
	out := ""
	for i, c := range codes {
		if i > 0 {
			out += ","
		}
		out += c
	}
	return out
}

// PublishCatalogue validates the draft again (departments or categories may
// have changed since it was saved) and publishes it as the next version.
func (s *Server) PublishCatalogue(ctx context.Context, req *routingv1.PublishCatalogueRequest) (*routingv1.Catalogue, error) {
	id, err := requireRole(ctx, auth.RoleAdmin)
	if err != nil {
		return nil, err
	}
	now := s.clock.Now()
	effective := now
	if req.GetEffectiveAt() != nil {
		if !req.GetEffectiveAt().IsValid() {
			return nil, rpcerr.Invalid("effective_at", "is not a valid time")
		}
		effective = req.GetEffectiveAt().AsTime()
	}
	var out *routingv1.Catalogue
	err = s.inTx(ctx, func(tx pgx.Tx) error {
		q := store.New(tx)
		draft, err := q.LockDraft(ctx)
		if errors.Is(err, pgx.ErrNoRows) {
			return status.Error(codes.FailedPrecondition, "there is no draft to publish")
		}
		if err != nil {
			return fmt.Errorf("lock draft: %w", err)
		}
		rows, err := q.CatalogueRules(ctx, routing.DraftVersion)
		if err != nil {
			return fmt.Errorf("rules of the draft: %w", err)
		}
		rules := make([]routing.Rule, len(rows))
		for i, r := range rows {
			rules[i] = r.Domain()
		}
		if err := validate(ctx, q, rules); err != nil {
			return err
		}
		n, err := q.CountPublishedVersions(ctx)
		if err != nil {
			return fmt.Errorf("count versions: %w", err)
		}
		version := "v" + strconv.FormatInt(n+1, 10)
		if err := q.InsertPublishedVersion(ctx, store.InsertPublishedVersionParams{
			Version: version, Description: draft.Description,
			EffectiveAt: pgtype.Timestamptz{Time: effective, Valid: true},
			PublishedAt: pgtype.Timestamptz{Time: now, Valid: true}, PublishedBy: id.Subject,
		}); err != nil {
			return fmt.Errorf("publish %s: %w", version, err)
		}
		if _, err := q.CopyCatalogueRules(ctx, store.CopyCatalogueRulesParams{ToVersion: version, FromVersion: routing.DraftVersion}); err != nil {
			return fmt.Errorf("publish %s: %w", version, err)
		}
		out, err = s.catalogue(ctx, q, version)
		return err
	})
	if err != nil {
		return nil, s.toStatus(ctx, err)
	}
	s.log.InfoContext(ctx, "catalogue published", "version", out.GetVersion(), "effective_at", effective, "by", id.Subject)
	return out, nil
}

// DiffCatalogue compares two versions rule by rule.
func (s *Server) DiffCatalogue(ctx context.Context, req *routingv1.DiffCatalogueRequest) (*routingv1.DiffCatalogueResponse, error) {
	to := req.GetToVersion()
	if to == "" {
		to = routing.DraftVersion
	}
	for _, v := range []string{req.GetFromVersion(), to} {
		if err := mayRead(ctx, v); err != nil {
			return nil, err
		}
	}
	from, err := s.catalogue(ctx, s.q, req.GetFromVersion())
	if err != nil {
		return nil, s.toStatus(ctx, err)
	}
	target, err := s.catalogue(ctx, s.q, to)
	if err != nil {
		return nil, s.toStatus(ctx, err)
	}
	toRules := func(c *routingv1.Catalogue) []routing.Rule {
		out := make([]routing.Rule, len(c.GetRules()))
		for i, r := range c.GetRules() {
			out[i] = ruleFromProto(r)
		}
		return out
	}
	out := &routingv1.DiffCatalogueResponse{FromVersion: from.GetVersion(), ToVersion: target.GetVersion()}
	for _, c := range routing.Diff(toRules(from), toRules(target)) {
		ch := &routingv1.RuleChange{Change: c.Kind}
		if c.Before != nil {
			ch.Before = ruleToProto(*c.Before)
		}
		if c.After != nil {
			ch.After = ruleToProto(*c.After)
		}
		out.Changes = append(out.Changes, ch)
	}
	return out, nil
}

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
