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
	"github.com/chuishao/whistle/platform/rpcerr"
	routingv1 "github.com/chuishao/whistle/proto/gen/whistle/routing/v1"
	"github.com/chuishao/whistle/services/routing/internal/routing"
	"github.com/chuishao/whistle/services/routing/internal/store"
)

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
