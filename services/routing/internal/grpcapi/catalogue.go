package grpcapi

import (
	"context"
	"time"

	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/chuishao/whistle/platform/auth"
	"github.com/chuishao/whistle/platform/rpcerr"
	routingv1 "github.com/chuishao/whistle/proto/gen/whistle/routing/v1"
	"github.com/chuishao/whistle/services/routing/internal/catalogue"
	"github.com/chuishao/whistle/services/routing/internal/routing"
)

// GetCatalogue returns the version in force, a named version, or the draft.
func (s *Server) GetCatalogue(ctx context.Context, req *routingv1.GetCatalogueRequest) (*routingv1.Catalogue, error) {
	if err := mayRead(ctx, req.GetVersion()); err != nil {
		return nil, err
	}
	c, err := s.catalogue.Catalogue(ctx, req.GetVersion())
	if err != nil {
		return nil, s.toStatus(ctx, err)
	}
	return catalogueToProto(c), nil
}

func catalogueToProto(c catalogue.Catalogue) *routingv1.Catalogue {
	out := &routingv1.Catalogue{Version: c.Version, Description: c.Description, PublishedBy: c.PublishedBy}
	if c.EffectiveAt.Valid {
		out.EffectiveAt = timestamppb.New(c.EffectiveAt.Time)
	}
	if c.PublishedAt.Valid {
		out.PublishedAt = timestamppb.New(c.PublishedAt.Time)
	}
	for _, r := range c.Rules {
		out.Rules = append(out.Rules, ruleToProto(r))
	}
	return out
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

// UpdateCatalogueDraft replaces the draft's rules once they validate.
func (s *Server) UpdateCatalogueDraft(ctx context.Context, req *routingv1.UpdateCatalogueDraftRequest) (*routingv1.Catalogue, error) {
	if _, err := requireRole(ctx, auth.RoleAdmin); err != nil {
		return nil, err
	}
	rules := make([]routing.Rule, len(req.GetRules()))
	for i, r := range req.GetRules() {
		rules[i] = ruleFromProto(r)
	}
	c, err := s.catalogue.UpdateDraft(ctx, req.GetDescription(), rules)
	if err != nil {
		return nil, s.toStatus(ctx, err)
	}
	return catalogueToProto(c), nil
}

// PublishCatalogue publishes the draft as the next version.
func (s *Server) PublishCatalogue(ctx context.Context, req *routingv1.PublishCatalogueRequest) (*routingv1.Catalogue, error) {
	id, err := requireRole(ctx, auth.RoleAdmin)
	if err != nil {
		return nil, err
	}
	var effective time.Time
	if req.GetEffectiveAt() != nil {
		if !req.GetEffectiveAt().IsValid() {
			return nil, rpcerr.Invalid("effective_at", "is not a valid time")
		}
		effective = req.GetEffectiveAt().AsTime()
	}
	c, err := s.catalogue.Publish(ctx, id, effective)
	if err != nil {
		return nil, s.toStatus(ctx, err)
	}
	return catalogueToProto(c), nil
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
	from, target, changes, err := s.catalogue.Diff(ctx, req.GetFromVersion(), to)
	if err != nil {
		return nil, s.toStatus(ctx, err)
	}
	out := &routingv1.DiffCatalogueResponse{FromVersion: from.Version, ToVersion: target.Version}
	for _, c := range changes {
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
