package whistles

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgtype"

	"github.com/chuishao/whistle/platform/auth"

	"github.com/chuishao/whistle/services/feedback/internal/feedback"
	"github.com/chuishao/whistle/services/feedback/internal/store"
)

// MaxEtaWhistles bounds one Etas call.
const MaxEtaWhistles = 100

// etaStatsTTL is how long a department × category's statistics serve before
// they are computed again from the facts: the history moves slowly, and a
// whistle page must not scan 90 days of dispatches.
const etaStatsTTL = time.Hour

// DispatchEta is the estimate of one dispatch of a whistle's current round.
type DispatchEta struct {
	DispatchID, Department, Status string
	Arrival, Resolution            feedback.Estimate
}

// WhistleEta is a whistle's dispatches' estimates and the latest expected
// resolution among them (zero when none is expected).
type WhistleEta struct {
	WhistleID            string
	Dispatches           []DispatchEta
	ExpectedResolutionAt time.Time
}

// Etas is the ETA of each named whistle caller may see, in the order named;
// the others are left out, as unknown ones are. The public (Open311's
// anonymous reads) sees every whistle, without the desks' notes.
func (s *Service) Etas(ctx context.Context, caller auth.Identity, ids []string) ([]WhistleEta, error) {
	public := caller.Role == auth.RolePublic
	if !public && !feedback.MayReadTimelines(caller.Role) {
		return nil, feedback.ErrWrongRole
	}
	switch {
	case len(ids) == 0:
		return nil, feedback.Invalid("whistle_ids", "name at least one whistle")
	case len(ids) > MaxEtaWhistles:
		return nil, feedback.Invalid("whistle_ids", "name at most %d whistles", MaxEtaWhistles)
	}
	for _, w := range ids {
		if w == "" {
			return nil, feedback.Invalid("whistle_ids", "an id is empty")
		}
	}
	q := store.New(s.Pool)
	scopes, err := q.ListWhistleScopes(ctx, ids)
	if err != nil {
		return nil, fmt.Errorf("eta: scopes: %w", err)
	}
	facts, err := q.ListWhistlesDispatchFacts(ctx, ids)
	if err != nil {
		return nil, fmt.Errorf("eta: facts: %w", err)
	}
	desks, err := q.ListDeskEtas(ctx, ids)
	if err != nil {
		return nil, fmt.Errorf("eta: desk etas: %w", err)
	}
	byWhistle := map[string][]store.DispatchFact{}
	for _, f := range facts {
		byWhistle[f.WhistleID] = append(byWhistle[f.WhistleID], f)
	}
	deskEta := map[string]*feedback.DeskEta{}
	for _, d := range desks {
		deskEta[d.DispatchID] = &feedback.DeskEta{At: d.ArriveAt.Time, Note: d.Note}
	}
	// The whistles the caller may see, each with its current round's dispatches.
	current := map[string][]store.DispatchFact{}
	var keys []etaKey
	for _, sc := range scopes {
		fs := byWhistle[sc.WhistleID]
		if !public {
			w := feedback.Whistle{StreetID: sc.StreetID, DistrictID: sc.DistrictID}
			for _, f := range fs {
				w.Desks = append(w.Desks, feedback.DeskScope{Department: f.Department, DistrictID: f.DistrictID})
			}
			if feedback.CanRead(caller, w) != nil {
				continue
			}
		}
		current[sc.WhistleID] = currentRound(fs)
		for _, f := range current[sc.WhistleID] {
			keys = append(keys, etaKey{f.DistrictID, f.Department, f.Category})
		}
	}
	stats, err := s.etaStats(ctx, keys)
	if err != nil {
		return nil, err
	}
	var out []WhistleEta
	for _, w := range ids {
		fs, ok := current[w]
		if !ok {
			continue
		}
		we := WhistleEta{WhistleID: w}
		for _, f := range fs {
			arrival, resolution := feedback.EstimateDispatch(feedback.EtaInput{
				DispatchedAt: f.DispatchedAt.Time, ArriveBy: f.ArriveBy.Time, ResolveBy: f.ResolveBy.Time,
				ArrivedAt: f.ArrivedAt.Time, ResolvedAt: f.ResolvedAt.Time,
				Desk: deskEta[f.DispatchID], Stats: stats[etaKey{f.DistrictID, f.Department, f.Category}],
			})
			if public {
				arrival.Note = "" // the desk's words are for the street, not the public
			}
			we.Dispatches = append(we.Dispatches, DispatchEta{
				DispatchID: f.DispatchID, Department: f.Department, Status: f.Status,
				Arrival: arrival, Resolution: resolution,
			})
			if resolution.ExpectedAt.After(we.ExpectedResolutionAt) {
				we.ExpectedResolutionAt = resolution.ExpectedAt
			}
		}
		out = append(out, we)
	}
	return out, nil
}

// currentRound are the dispatches of a whistle's latest round that still
// have work to show: returned and cancelled ones are left out.
func currentRound(fs []store.DispatchFact) []store.DispatchFact {
	var round int32
	for _, f := range fs {
		round = max(round, f.Round)
	}
	var out []store.DispatchFact
	for _, f := range fs {
		if f.Round == round && f.Status != "RETURNED" && f.Status != "CANCELLED" {
			out = append(out, f)
		}
	}
	return out
}

// etaKey is a district's department × category, the unit of the history.
type etaKey struct{ district, department, category string }

// etaStats are the statistics of keys: those computed within etaStatsTTL
// as stored, the others computed now from the last EtaWindow of facts (the
// index dispatch_facts_eta) and stored for the next reader.
func (s *Service) etaStats(ctx context.Context, keys []etaKey) (map[etaKey]feedback.EtaStats, error) {
	out := map[etaKey]feedback.EtaStats{}
	if len(keys) == 0 {
		return out, nil
	}
	q := store.New(s.Pool)
	var p store.GetEtaStatsParams
	seen := map[etaKey]bool{}
	for _, k := range keys {
		if !seen[k] {
			seen[k] = true
			p.DistrictIds, p.Departments, p.Categories = append(p.DistrictIds, k.district), append(p.Departments, k.department), append(p.Categories, k.category)
		}
	}
	now := s.Clock.Now()
	rows, err := q.GetEtaStats(ctx, p)
	if err != nil {
		return nil, fmt.Errorf("eta stats: %w", err)
	}
	for _, r := range rows {
		if !r.ComputedAt.Time.After(now.Add(-etaStatsTTL)) || r.ComputedAt.Time.After(now) {
			continue // stale, or computed on a clock ahead of this one (a drill)
		}
		var buckets []feedback.EtaBucket
		if err := json.Unmarshal(r.Buckets, &buckets); err != nil {
			continue // recomputed below
		}
		out[etaKey{r.DistrictID, r.Department, r.Category}] = bucketMap(buckets)
	}
	for k := range seen {
		if _, ok := out[k]; ok {
			continue
		}
		computed, err := q.ComputeEtaStats(ctx, store.ComputeEtaStatsParams{
			DistrictID: k.district, Department: k.department, Category: k.category,
			Since: pgtype.Timestamptz{Time: now.Add(-feedback.EtaWindow), Valid: true}, Until: pgtype.Timestamptz{Time: now, Valid: true},
		})
		if err != nil {
			return nil, fmt.Errorf("eta stats of %s %s %s: %w", k.district, k.department, k.category, err)
		}
		buckets := make([]feedback.EtaBucket, 0, len(computed))
		for _, c := range computed {
			buckets = append(buckets, feedback.EtaBucket{
				Hour: int(c.Hour), ArriveN: c.ArriveN, ArriveMedian: c.ArriveMedianS, ArriveP80: c.ArriveP80S,
				ResolveN: c.ResolveN, ResolveMedian: c.ResolveMedianS, ResolveP80: c.ResolveP80S,
			})
		}
		raw, err := json.Marshal(buckets)
		if err != nil {
			return nil, fmt.Errorf("eta stats: %w", err)
		}
		if err := q.PutEtaStats(ctx, store.PutEtaStatsParams{
			DistrictID: k.district, Department: k.department, Category: k.category, Buckets: raw,
			ComputedAt: pgtype.Timestamptz{Time: now, Valid: true},
		}); err != nil {
			return nil, fmt.Errorf("eta stats of %s %s %s: %w", k.district, k.department, k.category, err)
		}
		out[k] = bucketMap(buckets)
	}
	return out, nil
}

func bucketMap(bs []feedback.EtaBucket) feedback.EtaStats {
	m := make(feedback.EtaStats, len(bs))
	for _, b := range bs {
		m[b.Hour] = b
	}
	return m
}
