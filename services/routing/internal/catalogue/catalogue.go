package catalogue

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/chuishao/whistle/platform/auth"
	"github.com/chuishao/whistle/platform/postgres"
	"github.com/chuishao/whistle/services/routing/internal/routing"
	"github.com/chuishao/whistle/services/routing/internal/store"
)

// Catalogue is one version of the routing catalogue with its rules.
type Catalogue struct {
	store.CatalogueVersion
	Rules []routing.Rule
}

// Catalogue is the version in force when version is "", a named version, or
// the draft (routing.DraftVersion).
func (s *Service) Catalogue(ctx context.Context, version string) (Catalogue, error) {
	return s.catalogue(ctx, s.q(), version)
}

func (s *Service) catalogue(ctx context.Context, q *store.Queries, version string) (Catalogue, error) {
	var v store.CatalogueVersion
	var err error
	if version == "" {
		v, err = q.CurrentCatalogueVersion(ctx, s.now())
	} else {
		v, err = q.GetCatalogueVersion(ctx, version)
	}
	if err != nil {
		return Catalogue{}, notFound(err, "catalogue version", version)
	}
	rows, err := q.CatalogueRules(ctx, v.Version)
	if err != nil {
		return Catalogue{}, fmt.Errorf("rules of catalogue %s: %w", v.Version, err)
	}
	out := Catalogue{CatalogueVersion: v, Rules: make([]routing.Rule, len(rows))}
	for i, r := range rows {
		out.Rules[i] = r.Domain()
	}
	return out, nil
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
		return routing.InvalidError(vs)
	}
	return nil
}

func minutes(d time.Duration) int32 { return int32(d / time.Minute) }

// UpdateDraft replaces the draft's rules once they validate.
func (s *Service) UpdateDraft(ctx context.Context, description string, rules []routing.Rule) (Catalogue, error) {
	var out Catalogue
	err := postgres.InTx(ctx, s.Pool, func(tx pgx.Tx) error {
		q := store.New(tx)
		if err := validate(ctx, q, rules); err != nil {
			return err
		}
		if _, err := q.EnsureDraft(ctx, description); err != nil {
			return fmt.Errorf("create draft: %w", err)
		}
		if _, err := q.LockDraft(ctx); err != nil {
			return fmt.Errorf("lock draft: %w", err)
		}
		if err := q.SetDraftDescription(ctx, description); err != nil {
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
			p.Cooperating = append(p.Cooperating, strings.Join(r.Cooperating, ","))
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
	return out, err
}

// Publish validates the draft again (departments or categories may have
// changed since it was saved) and publishes it as the next version, in force
// from effective (now when zero).
func (s *Service) Publish(ctx context.Context, caller auth.Identity, effective time.Time) (Catalogue, error) {
	now := s.Clock.Now()
	if effective.IsZero() {
		effective = now
	}
	var out Catalogue
	err := postgres.InTx(ctx, s.Pool, func(tx pgx.Tx) error {
		q := store.New(tx)
		draft, err := q.LockDraft(ctx)
		if errors.Is(err, pgx.ErrNoRows) {
			return routing.Refuse(routing.ErrConflict, "there is no draft to publish")
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
			PublishedAt: pgtype.Timestamptz{Time: now, Valid: true}, PublishedBy: caller.Subject,
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
		return out, err
	}
	s.Log.InfoContext(ctx, "catalogue published", "version", out.Version, "effective_at", effective, "by", caller.Subject)
	return out, nil
}

// Diff compares two versions rule by rule: from ("" for the version in
// force) to to (the draft when "").
func (s *Service) Diff(ctx context.Context, from, to string) (Catalogue, Catalogue, []routing.Change, error) {
	if to == "" {
		to = routing.DraftVersion
	}
	before, err := s.Catalogue(ctx, from)
	if err != nil {
		return before, Catalogue{}, nil, err
	}
	after, err := s.Catalogue(ctx, to)
	if err != nil {
		return before, after, nil, err
	}
	return before, after, routing.Diff(before.Rules, after.Rules), nil
}
