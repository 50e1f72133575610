package whistles

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/hashicorp/golang-lru/v2/expirable"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/chuishao/whistle/platform/auth"
	"github.com/chuishao/whistle/platform/bus/outbox"
	"github.com/chuishao/whistle/platform/drill"
	"github.com/chuishao/whistle/platform/geo"
	"github.com/chuishao/whistle/platform/groupcommit"
	"github.com/chuishao/whistle/platform/invalid"
	"github.com/chuishao/whistle/platform/whistlestatus"
	eventsv1 "github.com/chuishao/whistle/proto/gen/whistle/events/v1"
	intakev1 "github.com/chuishao/whistle/proto/gen/whistle/intake/v1"
	routingv1 "github.com/chuishao/whistle/proto/gen/whistle/routing/v1"
	typesv1 "github.com/chuishao/whistle/proto/gen/whistle/types/v1"

	"github.com/chuishao/whistle/services/intake/internal/events"
	"github.com/chuishao/whistle/services/intake/internal/intake"
	"github.com/chuishao/whistle/services/intake/internal/store"
)

// drillKeyPrefix starts the stored idempotency key of a drill raise.
const drillKeyPrefix = "drill:"

// NewWhistle is a raise as the caller asked it.
type NewWhistle struct {
	StreetID    string
	Category    string
	Description string
	Title       string
	Address     string
	Urgency     intake.Urgency // "" for the default
	// Location is given in CoordSys (the deployment's default when empty); nil when none.
	Location *typesv1.LatLng
	CoordSys string
	// DrillID raises into a drill (a supervisor's or an admin's replay).
	DrillID string
	// IdempotencyKey makes the raise idempotent per street: a key used before
	// answers the first whistle raised with it, as it is now.
	IdempotencyKey string
}

// Raise is 吹哨: caller asks departments to act. It checks the caller and the
// request, looks the street and category up in routing's catalogue, then
// saves the whistle with the raises that arrive meanwhile (raiseGroup): the
// whistle, its duplicate candidates and its events commit together.
func (s *Service) Raise(ctx context.Context, caller auth.Identity, in NewWhistle) (*intakev1.Whistle, error) {
	id := caller
	drillID := in.DrillID
	switch {
	case drillID != "":
		// A drill replays a recorded period's raises for the streets: only
		// those who run drills (a supervisor, an admin) may raise into one.
		if id.Role != auth.RoleSupervisor && id.Role != auth.RoleAdmin {
			return nil, fmt.Errorf("only a supervisor or an admin raises drill whistles: %w", intake.ErrPermissionDenied)
		}
	case id.Role != auth.RoleStreet:
		return nil, fmt.Errorf("only a street raises whistles: %w", intake.ErrPermissionDenied)
	case in.StreetID != "" && in.StreetID != id.StreetID:
		return nil, fmt.Errorf("a street raises whistles for itself only: %w", intake.ErrPermissionDenied)
	}
	var f invalid.Violations
	if drillID != "" {
		if err := drill.Validate(drillID); err != nil {
			f.Add("drill_id", err.Error())
		}
		if in.StreetID == "" {
			f.Add("street_id", "a drill whistle names its street")
		}
	}
	loc := s.ToWGS84(&f, in.Location, in.CoordSys)
	r := intake.Raise{
		StreetID:    in.StreetID,
		Category:    in.Category,
		Description: in.Description,
		Title:       in.Title,
		Address:     in.Address,
		Urgency:     in.Urgency,
		HasLocation: loc != nil,
		Lat:         loc.GetLat(),
		Lng:         loc.GetLng(),
	}
	f.Merge(r.Validate())
	if err := f.Err(); err != nil {
		return nil, err
	}
	key, err := idempotencyKey(in.IdempotencyKey)
	if err != nil {
		return nil, err
	}
	// A drill's keys live apart from the street's own: a street's key can
	// never answer a drill whistle, nor a drill's key a real one.
	if key.Valid && strings.HasPrefix(key.String, drillKeyPrefix) {
		return nil, invalid.Field("idempotency_key", "must not start with "+drillKeyPrefix)
	}
	wid := uuid.Must(uuid.NewV7()).String()
	if drillID != "" {
		wid = drill.WhistleID(drillID, wid)
		if key.Valid {
			key.String = drillKeyPrefix + drillID + ":" + key.String
		}
	}
	districtID, err := s.CheckReferences(ctx, r.StreetID, r.Category)
	if err != nil {
		return nil, err
	}
	if drillID != "" && id.Role == auth.RoleSupervisor && id.DistrictID != "" && id.DistrictID != districtID {
		return nil, fmt.Errorf("street %s is outside the supervisor's district: %w", r.StreetID, intake.ErrNotFound)
	}

	now := s.Now()
	row := store.Whistle{
		ID: wid, StreetID: r.StreetID, DistrictID: districtID,
		Category: r.Category, Title: r.Title, Description: r.Description, Address: r.Address,
		Lat: r.Lat, Lng: r.Lng, Urgency: string(r.Urgency), Status: string(whistlestatus.Raised),
		RaisedByRole: id.Role, RaisedByID: id.Subject, RaisedAt: now, UpdatedAt: now, IdempotencyKey: key,
	}
	w, err := s.raises().Do(ctx, newWhistle{row: row, actor: ActorOf(id)})
	if err != nil {
		return nil, fmt.Errorf("raise whistle: %w", err)
	}
	if w != nil {
		return w, nil
	}
	// The key was used before: by a transaction that has committed by now
	// (ON CONFLICT waited for it), or by a raise earlier in the same group.
	saved, err := store.New(s.Pool).GetWhistleByIdempotencyKey(ctx, store.GetWhistleByIdempotencyKeyParams{StreetID: r.StreetID, IdempotencyKey: key})
	if err != nil {
		return nil, fmt.Errorf("read whistle raised before with key %q: %w", key.String, err)
	}
	return s.withDispatches(ctx, id, saved)
}

// idempotencyKey is a raise's key as stored: NULL when there is none.
func idempotencyKey(key string) (pgtype.Text, error) {
	if key == "" {
		return pgtype.Text{}, nil
	}
	if len(key) > intake.MaxIdempotencyKey {
		return pgtype.Text{}, invalid.Field("idempotency_key", fmt.Sprintf("must be at most %d bytes", intake.MaxIdempotencyKey))
	}
	return pgtype.Text{String: key, Valid: true}, nil
}

// newWhistle is one checked raise, ready to join a group: the row to insert
// (its cell and the columns of later life left zero) and who raised it.
type newWhistle struct {
	row   store.Whistle
	actor *typesv1.Actor
}

// raises is the batcher raises go through: concurrent raises commit together.
func (s *Service) raises() *groupcommit.Batcher[newWhistle, *intakev1.Whistle] {
	s.raiseOnce.Do(func() {
		s.raiseBatcher = &groupcommit.Batcher[newWhistle, *intakev1.Whistle]{Group: s.raiseGroup, Alone: s.raiseAlone}
	})
	return s.raiseBatcher
}

// raiseAlone is a group of one: a raise that found a free slot, or one of a
// group that failed as a whole.
func (s *Service) raiseAlone(ctx context.Context, n newWhistle) (*intakev1.Whistle, error) {
	outs, err := s.raiseGroup(ctx, []groupcommit.Request[newWhistle]{{Ctx: ctx, Req: n}})
	if err != nil {
		return nil, err
	}
	return outs[0].Value, outs[0].Err
}

// raiseGroup saves a group of raises in one transaction of a fixed number of
// statements, whatever its size: insert the whistles, search the duplicates of
// all of them, link them, add the events. The result equals raising them one
// by one in arrival order. A raise whose key its street used before (in an
// earlier transaction, or earlier in the group) is not inserted: its outcome
// is nil, and its caller reads the first whistle after the commit.
func (s *Service) raiseGroup(ctx context.Context, reqs []groupcommit.Request[newWhistle]) ([]groupcommit.Outcome[*intakev1.Whistle], error) {
	outs := make([]groupcommit.Outcome[*intakev1.Whistle], len(reqs))
	// The first raise of each key is inserted; a later one with the same key
	// answers the same whistle.
	type streetKey struct{ street, key string }
	used := map[streetKey]bool{}
	var rows []store.Whistle
	for _, r := range reqs {
		w := r.Req.row
		if k := (streetKey{w.StreetID, w.IdempotencyKey.String}); w.IdempotencyKey.Valid {
			if used[k] {
				continue
			}
			used[k] = true
		}
		rows = append(rows, w)
	}
	// One insertion order (street, key) for every group, so that two groups
	// waiting on each other's keys cannot deadlock.
	slices.SortStableFunc(rows, func(a, b store.Whistle) int {
		return cmp.Or(strings.Compare(a.StreetID, b.StreetID), strings.Compare(a.IdempotencyKey.String, b.IdempotencyKey.String))
	})
	err := pgx.BeginFunc(ctx, s.Pool, func(tx pgx.Tx) error {
		q := store.New(tx)
		inserted, err := q.InsertWhistles(ctx, insertParams(rows))
		if err != nil {
			return fmt.Errorf("insert %d whistles: %w", len(rows), err)
		}
		byID := make(map[string]store.Whistle, len(inserted))
		for _, w := range inserted {
			byID[w.ID] = w
		}
		// The new whistles in arrival order, and which request raised each.
		var raised []store.Whistle
		var of []int
		for i, r := range reqs {
			if w, ok := byID[r.Req.row.ID]; ok {
				raised = append(raised, w)
				of = append(of, i)
			}
		}
		if len(raised) == 0 {
			return nil
		}
		found, err := s.findDuplicates(ctx, q, raised)
		if err != nil {
			return err
		}
		var evs []outbox.Caused
		var links []link
		for j, w := range raised {
			r := reqs[of[j]]
			whistle, err := toProto(w, nil)
			if err != nil {
				return err
			}
			evs = append(evs, outbox.Caused{Ctx: r.Ctx, Event: raisedEvent(w.RaisedAt, r.Req.actor, w, whistle)})
			if len(found[j]) > 0 {
				evs = append(evs, outbox.Caused{Ctx: r.Ctx, Event: duplicateEvent(r.Req.actor, found[j])})
			}
			links = append(links, found[j]...)
			// The answer carries the candidates, the event (marshalled by
			// AddCaused below, before they are set) does not.
			outs[of[j]].Value = whistle
		}
		if err := insertLinks(ctx, q, links); err != nil {
			return err
		}
		if err := outbox.AddCaused(ctx, tx, evs); err != nil {
			return err
		}
		for j := range raised {
			outs[of[j]].Value.DuplicateCandidates = candidates(found[j])
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("raise %d whistles: %w", len(reqs), err)
	}
	return outs, nil
}

// raisedEvent is whistle.raised, carrying the whole new whistle.
func raisedEvent(at time.Time, actor *typesv1.Actor, w store.Whistle, whistle *intakev1.Whistle) *eventsv1.Event {
	ev := events.WhistleEnvelope(at, actor, w)
	ev.Payload = &eventsv1.Event_WhistleRaised{WhistleRaised: &eventsv1.WhistleRaised{Whistle: whistle}}
	return ev
}

// link is a new whistle's link to an open whistle it may duplicate.
type link struct {
	whistle     store.Whistle
	candidateOf string
	distanceM   float64
}

// duplicateEvent is whistle.duplicate_candidate of a new whistle's links (all
// of one whistle, at least one), by actor.
func duplicateEvent(actor *typesv1.Actor, links []link) *eventsv1.Event {
	c := &eventsv1.WhistleDuplicateCandidate{CandidateOf: links[0].candidateOf, DistanceM: links[0].distanceM}
	for _, l := range links {
		c.Candidates = append(c.Candidates, &eventsv1.DuplicateLink{CandidateOf: l.candidateOf, DistanceM: l.distanceM})
	}
	w := links[0].whistle
	ev := events.WhistleEnvelope(w.RaisedAt, actor, w)
	ev.Payload = &eventsv1.Event_WhistleDuplicateCandidate{WhistleDuplicateCandidate: c}
	return ev
}

// findDuplicates finds, in one statement, the open whistles each of the new
// whistles raised (in arrival order) may duplicate: those of its street and
// category raised nearby recently, including the group's whistles raised
// before it, as raising them one by one would. Only the raising street's own
// whistles are candidates, wherever the point lies: the street may read and
// merge into them, and nothing of another street is shown to it. The links of
// raised[j] are found[j], in the search's order (oldest first).
func (s *Service) findDuplicates(ctx context.Context, q *store.Queries, raised []store.Whistle) ([][]link, error) {
	radius, window := s.DuplicateRadiusM, s.DuplicateWindow
	if radius <= 0 {
		radius = intake.DefaultDuplicateRadiusM
	}
	if window <= 0 {
		window = intake.DefaultDuplicateWindow
	}
	var p store.NearbyOpenWhistlesParams
	for j, w := range raised {
		p.Ids = append(p.Ids, w.ID)
		minLat, maxLat, minLng, maxLng := geo.Box(w.Lat, w.Lng, radius)
		for _, c := range intake.Cells(minLat, maxLat, minLng, maxLng) {
			p.Whistles = append(p.Whistles, int32(j+1))
			p.Cells = append(p.Cells, c)
			p.StreetIds = append(p.StreetIds, w.StreetID)
			p.Categories = append(p.Categories, w.Category)
			p.Since = append(p.Since, w.RaisedAt.Add(-window))
			p.MinLats, p.MaxLats = append(p.MinLats, minLat), append(p.MaxLats, maxLat)
			p.MinLngs, p.MaxLngs = append(p.MinLngs, minLng), append(p.MaxLngs, maxLng)
		}
	}
	rows, err := q.NearbyOpenWhistles(ctx, p)
	if err != nil {
		return nil, fmt.Errorf("find duplicates of %d whistles: %w", len(raised), err)
	}
	found := make([][]link, len(raised))
	for _, r := range rows {
		j := int(r.Whistle) - 1
		w := raised[j]
		if drill.Of(w.ID) != drill.Of(r.ID) {
			continue // a drill whistle and a real one are never each other's duplicates
		}
		d := geo.DistanceM(w.Lat, w.Lng, r.Lat, r.Lng)
		if d > radius {
			continue
		}
		found[j] = append(found[j], link{whistle: w, candidateOf: r.ID, distanceM: d})
	}
	return found, nil
}

// insertLinks saves links in one statement (none when there are none).
func insertLinks(ctx context.Context, q *store.Queries, links []link) error {
	if len(links) == 0 {
		return nil
	}
	var p store.InsertDuplicateCandidatesParams
	for _, l := range links {
		p.WhistleIds = append(p.WhistleIds, l.whistle.ID)
		p.CandidateOfs = append(p.CandidateOfs, l.candidateOf)
		p.Distances = append(p.Distances, l.distanceM)
		p.FoundAts = append(p.FoundAts, l.whistle.RaisedAt)
	}
	if err := q.InsertDuplicateCandidates(ctx, p); err != nil {
		return fmt.Errorf("link %d duplicate candidates: %w", len(links), err)
	}
	return nil
}

// candidates are a new whistle's links as its answer shows them, in the
// order DuplicateCandidates reads them back.
func candidates(links []link) []*intakev1.DuplicateCandidate {
	var out []*intakev1.DuplicateCandidate
	for _, l := range links {
		out = append(out, &intakev1.DuplicateCandidate{WhistleId: l.candidateOf, DistanceM: l.distanceM, State: candidateState})
	}
	slices.SortStableFunc(out, func(a, b *intakev1.DuplicateCandidate) int {
		return cmp.Or(cmp.Compare(a.DistanceM, b.DistanceM), strings.Compare(a.WhistleId, b.WhistleId))
	})
	return out
}

// candidateState is a new duplicate link's state (the column's default).
const candidateState = "candidate"

// Found streets and categories are remembered for referenceTTL, so a raise
// does not ask routing twice over gRPC for what it answered a moment ago
// (those two look-ups were a fifth of routing's and an eighth of intake's CPU
// at 200 raises/s). What routing did not find is never remembered: a street
// or category added a moment ago is accepted at once. A category withdrawn
// from the catalogue may still be accepted for up to referenceTTL; routing
// then routes it by its fallback rule (docs/decisions.md).
const (
	referenceTTL   = 30 * time.Second
	referenceLimit = 4096
)

// references caches routing's answers about streets and categories.
type references struct {
	once       sync.Once
	streets    *expirable.LRU[string, string] // street id → district id
	categories *expirable.LRU[string, struct{}]
}

func (r *references) init() {
	r.once.Do(func() {
		r.streets = expirable.NewLRU[string, string](referenceLimit, nil, referenceTTL)
		r.categories = expirable.NewLRU[string, struct{}](referenceLimit, nil, referenceTTL)
	})
}

// CheckReferences asks routing whether the street and the category exist, and
// returns the street's district.
func (s *Service) CheckReferences(ctx context.Context, streetID, category string) (string, error) {
	s.refs.init()
	var f invalid.Violations
	district, found := s.refs.streets.Get(streetID)
	if !found {
		street, err := s.Routing.GetStreet(ctx, &routingv1.GetStreetRequest{Id: streetID})
		switch status.Code(err) {
		case codes.OK:
			if district = street.GetDistrictId(); district == "" {
				return "", fmt.Errorf("street %s has no district: %w", streetID, intake.ErrUnavailable)
			}
			s.refs.streets.Add(streetID, district)
		case codes.NotFound:
			f.Add("street_id", "unknown street")
		default:
			return "", fmt.Errorf("look up street %s: %w: %w", streetID, intake.ErrUnavailable, err)
		}
	}
	if _, found := s.refs.categories.Get(category); !found {
		_, err := s.Routing.GetCategory(ctx, &routingv1.GetCategoryRequest{Code: category})
		switch status.Code(err) {
		case codes.OK:
			s.refs.categories.Add(category, struct{}{})
		case codes.NotFound:
			f.Add("category", "unknown category")
		default:
			return "", fmt.Errorf("look up category %s: %w: %w", category, intake.ErrUnavailable, err)
		}
	}
	if err := f.Err(); err != nil {
		return "", err
	}
	return district, nil
}

// insertParams is the multi-row insert of new whistles ws, in their order.
func insertParams(ws []store.Whistle) store.InsertWhistlesParams {
	var p store.InsertWhistlesParams
	for _, w := range ws {
		p.Ids = append(p.Ids, w.ID)
		p.StreetIds = append(p.StreetIds, w.StreetID)
		p.DistrictIds = append(p.DistrictIds, w.DistrictID)
		p.Categories = append(p.Categories, w.Category)
		p.Titles = append(p.Titles, w.Title)
		p.Descriptions = append(p.Descriptions, w.Description)
		p.Addresses = append(p.Addresses, w.Address)
		p.Lats = append(p.Lats, w.Lat)
		p.Lngs = append(p.Lngs, w.Lng)
		p.Urgencies = append(p.Urgencies, w.Urgency)
		p.Statuses = append(p.Statuses, w.Status)
		p.RaisedByRoles = append(p.RaisedByRoles, w.RaisedByRole)
		p.RaisedByIds = append(p.RaisedByIds, w.RaisedByID)
		p.RaisedAts = append(p.RaisedAts, w.RaisedAt)
		p.UpdatedAts = append(p.UpdatedAts, w.UpdatedAt)
		// An empty key is none (NULLIF in the query).
		p.IdempotencyKeys = append(p.IdempotencyKeys, w.IdempotencyKey.String)
	}
	return p
}
