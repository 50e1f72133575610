package events

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/chuishao/whistle/platform/bus"
	"github.com/chuishao/whistle/proto/events"
	eventsv1 "github.com/chuishao/whistle/proto/gen/whistle/events/v1"

	"github.com/chuishao/whistle/services/feedback/internal/store"
	"github.com/chuishao/whistle/services/feedback/internal/timeline"
)

// ProjectBatch is Project for many events in stream order, in a few
// statements. A drill's events go to the drill's tables (drillTables). Runs of events that carry only dispatch snapshots, escalation
// levels or a raised whistle are folded and written together; the rarer
// events (a reroute, arbitration, closing, reopening) are projected one by one
// between the runs, so a run after a reopen sees the round it started.
func ProjectBatch(ctx context.Context, q *store.Queries, evs []*eventsv1.Event) error {
	var run, drills []*eventsv1.Event
	for _, ev := range evs {
		if drillOf(ev) != "" {
			drills = append(drills, ev) // drills have tables of their own
			continue
		}
		if foldable(ev) {
			run = append(run, ev)
			continue
		}
		if err := projectRun(ctx, q, run, realTables); err != nil {
			return err
		}
		run = run[:0]
		if err := Project(ctx, q, ev); err != nil {
			return err
		}
	}
	if err := projectRun(ctx, q, run, realTables); err != nil {
		return err
	}
	return projectRun(ctx, q, drills, drillTables)
}

// foldable tells whether Project of ev only upserts dispatch and whistle facts
// and raises escalation levels, which projectRun folds.
func foldable(ev *eventsv1.Event) bool {
	switch ev.GetPayload().(type) {
	case *eventsv1.Event_WhistleRerouted, *eventsv1.Event_WhistleArbitrationRequested, *eventsv1.Event_WhistleArbitrated,
		*eventsv1.Event_WhistleClosed, *eventsv1.Event_WhistleReopened, *eventsv1.Event_DispatchEtaSet:
		return false
	}
	return true
}

// tables are where projectRun writes what it folds; a nil writer's facts are
// not kept.
type tables struct {
	// rounds is the current round of each whistle whose snapshots the run
	// carries (nil: the table has no rounds).
	rounds      func(ctx context.Context, q *store.Queries, whistleIDs []string) (map[string]int32, error)
	facts       func(ctx context.Context, q *store.Queries, facts []dispatchFact) error
	escalations func(ctx context.Context, q *store.Queries, levels map[string][3]int16) error
	whistles    func(ctx context.Context, q *store.Queries, whistles map[string]whistleFact) error
	reports     func(ctx context.Context, q *store.Queries, reports map[string]reportFact) error
}

// realTables is the supervision read model.
var realTables = tables{rounds: currentRounds, facts: upsertFacts, escalations: raiseEscalations, whistles: upsertWhistles, reports: upsertReports}

// projectRun projects foldable events into t: one read of the whistles'
// rounds and a write a table, whatever the number of events.
func projectRun(ctx context.Context, q *store.Queries, run []*eventsv1.Event, t tables) error {
	if len(run) == 0 {
		return nil
	}
	var snapshotWhistles []string
	for _, ev := range run {
		if d := carriedDispatch(ev); d != nil && d.GetId() != "" {
			snapshotWhistles = append(snapshotWhistles, firstOf(d.GetWhistleId(), ev.GetWhistleId()))
		}
	}
	rounds := map[string]int32{}
	if len(snapshotWhistles) > 0 && t.rounds != nil {
		var err error
		if rounds, err = t.rounds(ctx, q, distinct(snapshotWhistles)); err != nil {
			return err
		}
	}

	facts := map[string]dispatchFact{}
	levels := map[string][3]int16{}
	whistles := map[string]whistleFact{}
	reports := map[string]reportFact{}
	for _, ev := range run {
		if r := events.Report(ev); r != nil && r.GetId() != "" {
			reports[r.GetId()] = reportFactOf(ev, r) // a later snapshot overwrites, as its upsert would
		}
		dispatchID := ev.GetDispatchId()
		if d := carriedDispatch(ev); d != nil && d.GetId() != "" {
			f := factOf(ev, d, rounds[firstOf(d.GetWhistleId(), ev.GetWhistleId())])
			if acc, ok := facts[f.DispatchID]; ok {
				f = foldFact(acc, f)
			}
			facts[f.DispatchID] = f
			dispatchID = d.GetId()
		}
		if clock, level := escalationOf(ev); clock != "" && level > 0 && dispatchID != "" {
			l := levels[dispatchID]
			if i := slices.Index([]string{"ack", "arrive", "resolve"}, clock); i >= 0 {
				l[i] = max(l[i], int16(min(level, 3)))
			}
			levels[dispatchID] = l
		}
		if w := ev.GetWhistleRaised().GetWhistle(); w != nil {
			f := whistleFact{
				WhistleID:  firstOf(w.GetId(), ev.GetWhistleId()),
				DistrictID: firstOf(w.GetDistrictId(), ev.GetDistrictId()),
				StreetID:   firstOf(w.GetStreetId(), ev.GetStreetId()),
				Category:   w.GetCategory(),
				RaisedAt:   tsOf(firstTime(w.GetRaisedAt(), ev.GetOccurredAt())),
			}
			whistles[f.WhistleID] = f // a later copy overwrites, as its upsert would
		}
	}
	if len(facts) > 0 {
		if err := t.facts(ctx, q, sortedValues(facts)); err != nil {
			return err
		}
	}
	if len(levels) > 0 && t.escalations != nil {
		if err := t.escalations(ctx, q, levels); err != nil {
			return err
		}
	}
	if len(whistles) > 0 && t.whistles != nil {
		if err := t.whistles(ctx, q, whistles); err != nil {
			return err
		}
	}
	if len(reports) > 0 && t.reports != nil {
		return t.reports(ctx, q, reports)
	}
	return nil
}

// currentRounds is each whistle's round in the read model.
func currentRounds(ctx context.Context, q *store.Queries, whistleIDs []string) (map[string]int32, error) {
	rows, err := q.CurrentRounds(ctx, whistleIDs)
	if err != nil {
		return nil, fmt.Errorf("project: rounds: %w", err)
	}
	rounds := make(map[string]int32, len(rows))
	for _, r := range rows {
		rounds[r.WhistleID] = r.Round
	}
	return rounds, nil
}

// dispatchFact is one dispatch_facts row as a snapshot sets it.
type dispatchFact struct {
	DispatchID, WhistleID, DistrictID, StreetID, Category, Department string
	Round                                                             int32
	Status                                                            string
	DispatchedAt, SlaStartedAt, AckBy, ArriveBy, ResolveBy            pgtype.Timestamptz
	AcknowledgedAt, ArrivedAt, ResolvedAt, ReturnedAt, CancelledAt    pgtype.Timestamptz
	SnapshotAt                                                        pgtype.Timestamptz
	AckLevel, ArriveLevel, ResolveLevel                               int16
	ArrivalFar, ArrivalUnlocated                                      bool
}

// whistleFact is one whistle_facts row.
type whistleFact struct {
	WhistleID, DistrictID, StreetID, Category string
	RaisedAt                                  pgtype.Timestamptz
}

// foldFact is what applying acc and then s with UpsertDispatchFacts leaves,
// as one row: the newer snapshot's status and deadlines (the later one on a
// tie), the first time each step was seen, the highest levels.
func foldFact(acc, s dispatchFact) dispatchFact {
	if acc.SnapshotAt.Valid && s.SnapshotAt.Valid && !acc.SnapshotAt.Time.After(s.SnapshotAt.Time) {
		acc.Status, acc.AckBy, acc.ArriveBy, acc.ResolveBy = s.Status, s.AckBy, s.ArriveBy, s.ResolveBy
		acc.SnapshotAt = s.SnapshotAt
	}
	acc.AcknowledgedAt = firstValid(acc.AcknowledgedAt, s.AcknowledgedAt)
	acc.ArrivedAt = firstValid(acc.ArrivedAt, s.ArrivedAt)
	acc.ResolvedAt = firstValid(acc.ResolvedAt, s.ResolvedAt)
	acc.ReturnedAt = firstValid(acc.ReturnedAt, s.ReturnedAt)
	acc.CancelledAt = firstValid(acc.CancelledAt, s.CancelledAt)
	acc.AckLevel = max(acc.AckLevel, s.AckLevel)
	acc.ArriveLevel = max(acc.ArriveLevel, s.ArriveLevel)
	acc.ResolveLevel = max(acc.ResolveLevel, s.ResolveLevel)
	acc.ArrivalFar = acc.ArrivalFar || s.ArrivalFar
	acc.ArrivalUnlocated = acc.ArrivalUnlocated || s.ArrivalUnlocated
	return acc
}

func firstValid(a, b pgtype.Timestamptz) pgtype.Timestamptz {
	if a.Valid {
		return a
	}
	return b
}

// upsertFacts writes the folded facts, in dispatch id order: the order every
// batch locks them in.
func upsertFacts(ctx context.Context, q *store.Queries, facts []dispatchFact) error {
	if err := q.UpsertDispatchFacts(ctx, factParams(facts)); err != nil {
		return fmt.Errorf("project: %d dispatch snapshots: %w", len(facts), err)
	}
	return nil
}

// factParams is the facts as UpsertDispatchFacts' columns.
func factParams(facts []dispatchFact) store.UpsertDispatchFactsParams {
	var p store.UpsertDispatchFactsParams
	for _, f := range facts {
		p.DispatchIds = append(p.DispatchIds, f.DispatchID)
		p.WhistleIds = append(p.WhistleIds, f.WhistleID)
		p.DistrictIds = append(p.DistrictIds, f.DistrictID)
		p.StreetIds = append(p.StreetIds, f.StreetID)
		p.Categories = append(p.Categories, f.Category)
		p.Departments = append(p.Departments, f.Department)
		p.Rounds = append(p.Rounds, f.Round)
		p.Statuses = append(p.Statuses, f.Status)
		p.DispatchedAts = append(p.DispatchedAts, f.DispatchedAt)
		p.SlaStartedAts = append(p.SlaStartedAts, f.SlaStartedAt)
		p.AckBys = append(p.AckBys, f.AckBy)
		p.ArriveBys = append(p.ArriveBys, f.ArriveBy)
		p.ResolveBys = append(p.ResolveBys, f.ResolveBy)
		p.AcknowledgedAts = append(p.AcknowledgedAts, f.AcknowledgedAt)
		p.ArrivedAts = append(p.ArrivedAts, f.ArrivedAt)
		p.ResolvedAts = append(p.ResolvedAts, f.ResolvedAt)
		p.ReturnedAts = append(p.ReturnedAts, f.ReturnedAt)
		p.CancelledAts = append(p.CancelledAts, f.CancelledAt)
		p.SnapshotAts = append(p.SnapshotAts, f.SnapshotAt)
		p.AckLevels = append(p.AckLevels, f.AckLevel)
		p.ArriveLevels = append(p.ArriveLevels, f.ArriveLevel)
		p.ResolveLevels = append(p.ResolveLevels, f.ResolveLevel)
		p.ArrivalFars = append(p.ArrivalFars, f.ArrivalFar)
		p.ArrivalUnlocateds = append(p.ArrivalUnlocateds, f.ArrivalUnlocated)
	}
	return p
}

func raiseEscalations(ctx context.Context, q *store.Queries, levels map[string][3]int16) error {
	if len(levels) == 0 {
		return nil
	}
	var p store.RaiseEscalationsParams
	for _, id := range sortedKeys(levels) {
		l := levels[id]
		p.DispatchIds = append(p.DispatchIds, id)
		p.AckLevels = append(p.AckLevels, l[0])
		p.ArriveLevels = append(p.ArriveLevels, l[1])
		p.ResolveLevels = append(p.ResolveLevels, l[2])
	}
	if err := q.RaiseEscalations(ctx, p); err != nil {
		return fmt.Errorf("project: escalations of %d dispatches: %w", len(levels), err)
	}
	return nil
}

func upsertWhistles(ctx context.Context, q *store.Queries, whistles map[string]whistleFact) error {
	if len(whistles) == 0 {
		return nil
	}
	var p store.UpsertWhistleFactsParams
	for _, w := range sortedValues(whistles) {
		p.WhistleIds = append(p.WhistleIds, w.WhistleID)
		p.DistrictIds = append(p.DistrictIds, w.DistrictID)
		p.StreetIds = append(p.StreetIds, w.StreetID)
		p.Categories = append(p.Categories, w.Category)
		p.RaisedAts = append(p.RaisedAts, w.RaisedAt)
	}
	if err := q.UpsertWhistleFacts(ctx, p); err != nil {
		return fmt.Errorf("project: %d raised whistles: %w", len(whistles), err)
	}
	return nil
}

// appendAll appends the events that belong to a whistle to their timelines,
// in stream order, and notes what the access checks need: one read of what is
// already recorded, one claim of the chain heads, one insert that also
// advances the heads, and one write each for scopes and departments.
func (r *Recorder) appendAll(ctx context.Context, q *store.Queries, evs []*eventsv1.Event) error {
	now := r.Clock.Now()
	var ids []string
	for _, ev := range evs {
		if ev.GetWhistleId() != "" {
			ids = append(ids, ev.GetId())
		}
	}
	if len(ids) == 0 {
		return nil
	}
	known, err := q.ExistingTimelineEvents(ctx, ids)
	if err != nil {
		return fmt.Errorf("timeline: look up %d events: %w", len(ids), err)
	}
	recorded := make(map[string]bool, len(known))
	for _, id := range known {
		recorded[id] = true
	}
	var fresh []*eventsv1.Event
	var whistleIDs []string
	for _, ev := range evs {
		if ev.GetWhistleId() == "" {
			continue
		}
		if recorded[ev.GetId()] {
			r.Log.InfoContext(ctx, "event already in a timeline", "event_id", ev.GetId(), "whistle_id", ev.GetWhistleId())
			continue
		}
		fresh = append(fresh, ev)
		whistleIDs = append(whistleIDs, ev.GetWhistleId())
	}
	if len(fresh) == 0 {
		return nil
	}
	heads, err := q.ClaimChainHeads(ctx, distinct(whistleIDs))
	if err != nil {
		return fmt.Errorf("timeline: lock %d chain heads: %w", len(heads), err)
	}
	type head struct {
		seq  int64
		hash string
	}
	last := make(map[string]head, len(heads))
	for _, h := range heads {
		last[h.WhistleID] = head{h.LastSeq, h.LastHash}
	}
	var p store.AppendEntriesParams
	for _, ev := range fresh {
		whistleID := ev.GetWhistleId()
		entry, err := EntryOf(ev)
		if err != nil {
			return bus.Permanent(fmt.Errorf("timeline entry of event %s: %w", ev.GetId(), err))
		}
		if ev.GetOccurredAt() == nil {
			// Keep the event in the audit log rather than drop it; the time it
			// reached us is the best estimate left.
			entry.At = now
		}
		h := last[whistleID]
		entry.Seq, entry.WhistleID = h.seq+1, whistleID
		if entry, err = r.Keys.Seal(h.hash, entry); err != nil {
			return bus.Permanent(fmt.Errorf("append %s to whistle %s: %w", ev.GetId(), whistleID, err))
		}
		last[whistleID] = head{entry.Seq, entry.Hash}
		p.WhistleIds = append(p.WhistleIds, whistleID)
		p.Seqs = append(p.Seqs, entry.Seq)
		p.EventIds = append(p.EventIds, entry.EventID)
		p.Types = append(p.Types, entry.Type)
		p.Ats = append(p.Ats, timestamptz(entry.At.Truncate(timeline.Precision)))
		p.ActorRoles = append(p.ActorRoles, entry.Actor.Role)
		p.ActorIds = append(p.ActorIds, entry.Actor.ID)
		p.DispatchIds = append(p.DispatchIds, entry.DispatchID)
		p.Departments = append(p.Departments, entry.Department)
		p.Datas = append(p.Datas, entry.Data)
		p.PrevHashes = append(p.PrevHashes, entry.PrevHash)
		p.Hashes = append(p.Hashes, entry.Hash)
		p.RecordedAts = append(p.RecordedAts, timestamptz(now))
		p.KeyIds = append(p.KeyIds, entry.KeyID)
	}
	if err := q.AppendEntries(ctx, p); err != nil {
		var pgErr *pgconn.PgError
		if errors.As(err, &pgErr) && strings.HasPrefix(pgErr.Code, "22") {
			// A data exception (e.g. a \u0000 that jsonb refuses) fails the same way every time.
			err = bus.Permanent(err)
		}
		return fmt.Errorf("timeline: append %d entries: %w", len(fresh), err)
	}
	if err := noteAccessAll(ctx, q, fresh); err != nil {
		return fmt.Errorf("timeline: %w", err)
	}
	return nil
}

// scope is what the access checks know of a whistle's street and district.
type scope struct {
	street, district string
	fromRaised       bool
}

// noteAccessAll records the whistles' scopes and the departments they were
// dispatched to. A whistle's scope is folded the way applying its events one
// by one would leave it: whistle.raised is authoritative (the last copy
// wins), other events fill in what is still empty.
func noteAccessAll(ctx context.Context, q *store.Queries, evs []*eventsv1.Event) error {
	scopes := map[string]scope{}
	var depts store.AddDispatchDepartmentsParams
	for _, ev := range evs {
		whistleID := ev.GetWhistleId()
		s := scopes[whistleID]
		if w := ev.GetWhistleRaised().GetWhistle(); w != nil {
			s = scope{street: firstOf(w.GetStreetId(), ev.GetStreetId()), district: firstOf(w.GetDistrictId(), ev.GetDistrictId()), fromRaised: true}
		} else if !s.fromRaised {
			s.street, s.district = firstOf(s.street, ev.GetStreetId()), firstOf(s.district, ev.GetDistrictId())
		}
		scopes[whistleID] = s
		if !strings.HasPrefix(events.Name(ev), events.DomainDispatch+".") {
			continue
		}
		d := events.Dispatch(ev)
		if department := firstOf(ev.GetDepartment(), d.GetDepartment()); department != "" {
			depts.WhistleIds = append(depts.WhistleIds, whistleID)
			depts.Departments = append(depts.Departments, department)
			depts.DistrictIds = append(depts.DistrictIds, firstOf(ev.GetDistrictId(), d.GetDistrictId()))
		}
	}
	var p store.NoteScopesParams
	for _, id := range sortedKeys(scopes) {
		s := scopes[id]
		p.WhistleIds = append(p.WhistleIds, id)
		p.StreetIds = append(p.StreetIds, s.street)
		p.DistrictIds = append(p.DistrictIds, s.district)
		p.FromRaised = append(p.FromRaised, s.fromRaised)
	}
	if err := q.NoteScopes(ctx, p); err != nil {
		return fmt.Errorf("whistle scopes: %w", err)
	}
	if len(depts.WhistleIds) == 0 {
		return nil
	}
	if err := q.AddDispatchDepartments(ctx, depts); err != nil {
		return fmt.Errorf("dispatch departments: %w", err)
	}
	return nil
}

// distinct is ids sorted without repeats.
func distinct(ids []string) []string {
	out := slices.Clone(ids)
	slices.Sort(out)
	return slices.Compact(out)
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func sortedValues[V any](m map[string]V) []V {
	keys := sortedKeys(m)
	out := make([]V, 0, len(keys))
	for _, k := range keys {
		out = append(out, m[k])
	}
	return out
}
