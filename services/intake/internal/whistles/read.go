package whistles

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/chuishao/whistle/platform/auth"
	"github.com/chuishao/whistle/platform/drill"
	"github.com/chuishao/whistle/platform/invalid"
	"github.com/chuishao/whistle/platform/whistlestatus"
	intakev1 "github.com/chuishao/whistle/proto/gen/whistle/intake/v1"
	routingv1 "github.com/chuishao/whistle/proto/gen/whistle/routing/v1"

	"github.com/chuishao/whistle/services/intake/internal/intake"
	"github.com/chuishao/whistle/services/intake/internal/store"
)

// Get returns a whistle in the caller's scope with its dispatches, its
// evidence and routing's explanation; the public gets its public view.
func (s *Service) Get(ctx context.Context, caller auth.Identity, whistleID string) (*intakev1.Whistle, error) {
	id := caller
	switch id.Role {
	case auth.RoleStreet, auth.RoleDesk, auth.RoleSupervisor, auth.RolePublic:
	default:
		return nil, fmt.Errorf("role %s reads no whistles: %w", id.Role, intake.ErrPermissionDenied)
	}
	q := store.New(s.Pool)
	w, err := q.GetWhistle(ctx, whistleID)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, intake.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("get whistle %s: %w", whistleID, err)
	}
	visible, viewerRole, err := s.visible(ctx, q, id, w)
	if err != nil {
		return nil, err
	}
	if !visible {
		return nil, intake.ErrNotFound
	}
	out, err := s.withDispatches(ctx, id, w)
	if err != nil {
		return nil, err
	}
	if id.Role == auth.RolePublic {
		out = publicWhistle(out)
	}
	if err := s.attachments(ctx, id, out); err != nil {
		return nil, err
	}
	if id.Role == auth.RolePublic {
		return out, nil
	}
	out.ViewerRole = viewerRole
	// Routing has nothing to explain to whom intake still shows a whistle as
	// just raised (a street polling its new whistle asks many times before it
	// is routed): the explanation comes with the status that shows the routing.
	if whistlestatus.Status(w.Status) != whistlestatus.Raised {
		s.explain(ctx, out)
	}
	return out, nil
}

// explain adds routing's explanation of the whistle's departments (catalogue
// version, rule, per-department reason, map check). It is an addition to the
// answer, not a condition of it: when routing cannot tell, the whistle is
// returned without it.
func (s *Service) explain(ctx context.Context, w *intakev1.Whistle) {
	ex, err := s.Routing.ExplainRouting(ctx, &routingv1.ExplainRoutingRequest{WhistleId: w.GetId()})
	switch status.Code(err) {
	case codes.OK:
		w.Routing = ex
	case codes.NotFound, codes.Unimplemented: // not routed yet, or an older routing
	default:
		s.Log.WarnContext(ctx, "explain routing", "whistle_id", w.GetId(), "err", err)
	}
}

// visible tells whether w is in the caller's scope, and how the caller sees
// it: ViewerNeighbour for a street informed as a neighbour, "" otherwise.
func (s *Service) visible(ctx context.Context, q *store.Queries, id auth.Identity, w store.Whistle) (bool, string, error) {
	if drill.Is(w.ID) && !seesDrills(id) {
		return false, "", nil
	}
	switch id.Role {
	case auth.RoleStreet:
		if w.StreetID == id.StreetID {
			return true, "", nil
		}
		ok, err := q.IsNeighbour(ctx, store.IsNeighbourParams{WhistleID: w.ID, StreetID: id.StreetID})
		if err != nil {
			return false, "", fmt.Errorf("neighbours of whistle %s: %w", w.ID, err)
		}
		if ok {
			return true, intake.ViewerNeighbour, nil
		}
		return false, "", nil
	case auth.RoleSupervisor:
		return id.DistrictID == "" || w.DistrictID == id.DistrictID, "", nil
	case auth.RolePublic:
		return true, "", nil // every whistle, in its public view
	case auth.RoleDesk:
		if w.DistrictID != id.DistrictID {
			return false, "", nil
		}
		ok, err := q.HasDispatchToDepartment(ctx, store.HasDispatchToDepartmentParams{WhistleID: w.ID, Department: id.Department})
		if err != nil {
			return false, "", fmt.Errorf("dispatches of whistle %s: %w", w.ID, err)
		}
		return ok, "", nil
	}
	return false, "", nil
}

// withDispatches is the whistle w as the caller id sees it: its dispatches (a
// merged whistle's own, cancelled ones followed by those of the whistle it
// was merged into), the whistles merged into it and its duplicate candidates.
// What a link brings in comes only from whistles the caller may read on their
// own; links to any other are left out.
func (s *Service) withDispatches(ctx context.Context, id auth.Identity, w store.Whistle) (*intakev1.Whistle, error) {
	q := store.New(s.Pool)
	mergedIDs, err := q.MergedWhistleIDs(ctx, w.ID)
	if err != nil {
		return nil, fmt.Errorf("whistles merged into %s: %w", w.ID, err)
	}
	candidates, err := q.DuplicateCandidates(ctx, w.ID)
	if err != nil {
		return nil, fmt.Errorf("duplicate candidates of whistle %s: %w", w.ID, err)
	}
	links := slices.Clone(mergedIDs)
	if w.MergedInto != "" {
		links = append(links, w.MergedInto)
	}
	for _, c := range candidates {
		links = append(links, c.CandidateOf)
	}
	readable, err := s.readableLinks(ctx, q, id, links)
	if err != nil {
		return nil, err
	}
	ids := []string{w.ID}
	if readable[w.MergedInto] {
		ids = append(ids, w.MergedInto)
	}
	dispatches, err := q.DispatchesOfWhistles(ctx, ids)
	if err != nil {
		return nil, fmt.Errorf("dispatches of whistle %s: %w", w.ID, err)
	}
	out, err := toProto(w, ownFirst(w.ID, dispatches))
	if err != nil {
		return nil, err
	}
	for _, m := range mergedIDs {
		if readable[m] {
			out.MergedWhistleIds = append(out.MergedWhistleIds, m)
		}
	}
	for _, c := range candidates {
		if readable[c.CandidateOf] {
			out.DuplicateCandidates = append(out.DuplicateCandidates, &intakev1.DuplicateCandidate{
				WhistleId: c.CandidateOf, DistanceM: c.DistanceM, State: c.State,
			})
		}
	}
	return out, nil
}

// readableLinks tells which of the linked whistles ids the caller id may read
// on its own, as a direct GetWhistle would decide.
func (s *Service) readableLinks(ctx context.Context, q *store.Queries, id auth.Identity, ids []string) (map[string]bool, error) {
	readable := map[string]bool{}
	if len(ids) == 0 {
		return readable, nil
	}
	rows, err := q.GetWhistles(ctx, ids)
	if err != nil {
		return nil, fmt.Errorf("linked whistles: %w", err)
	}
	for _, w := range rows {
		ok, _, err := s.visible(ctx, q, id, w)
		if err != nil {
			return nil, err
		}
		readable[w.ID] = ok
	}
	return readable, nil
}

// ownFirst orders the dispatches of whistle id before those of the whistle it
// was merged into, keeping each group's order.
func ownFirst(id string, ds []store.Dispatch) []store.Dispatch {
	out := make([]store.Dispatch, 0, len(ds))
	for _, own := range []bool{true, false} {
		for _, d := range ds {
			if (d.WhistleID == id) == own {
				out = append(out, d)
			}
		}
	}
	return out
}

// Page sizes of List and Search.
const (
	defaultPageSize = 20
	maxPageSize     = 100
)

// ListQuery is what List is asked for.
type ListQuery struct {
	StreetID  string // a street's whistles ("" for a street: its own)
	Status    intakev1.Whistle_Status
	PageSize  int32 // 0 for the default
	PageToken string
}

// Page is a page of whistles and the token of the next ("" on the last).
type Page struct {
	Whistles      []*intakev1.Whistle
	NextPageToken string
}

// List lists the caller's street's whistles, or a supervisor's district's, newest first.
func (s *Service) List(ctx context.Context, caller auth.Identity, req ListQuery) (Page, error) {
	id := caller
	var err error
	switch id.Role {
	case auth.RoleStreet, auth.RoleSupervisor, auth.RolePublic:
	default:
		return Page{}, fmt.Errorf("role %s lists no whistles: %w", id.Role, intake.ErrPermissionDenied)
	}
	streetID := req.StreetID
	if id.Role == auth.RoleStreet {
		if streetID == "" {
			streetID = id.StreetID
		}
		if streetID != id.StreetID {
			return Page{}, fmt.Errorf("a street lists its own whistles only: %w", intake.ErrPermissionDenied)
		}
	}

	var f invalid.Violations
	size, curAt, curID := pageArgs(&f, req.PageSize, req.PageToken)
	var statusFilter pgtype.Text
	if st := req.Status; st != intakev1.Whistle_STATUS_UNSPECIFIED {
		if _, known := intakev1.Whistle_Status_name[int32(st)]; !known {
			f.Add("status", "is not a whistle status")
		}
		statusFilter = pgtype.Text{String: st.String(), Valid: true}
	}
	if err := f.Err(); err != nil {
		return Page{}, err
	}

	limit := size + 1 // one more tells whether there is a next page
	q := store.New(s.Pool)
	var rows []store.Whistle
	switch {
	case streetID != "":
		var district pgtype.Text
		if id.Role == auth.RoleSupervisor && id.DistrictID != "" {
			district = pgtype.Text{String: id.DistrictID, Valid: true}
		}
		rows, err = q.ListWhistlesByStreet(ctx, store.ListWhistlesByStreetParams{
			StreetID: streetID, DistrictID: district, Status: statusFilter, CursorRaisedAt: curAt, CursorID: curID, MaxRows: limit,
			// A street's own list (its inbox) shows what it was informed of as a neighbour too.
			WithNeighbours: id.Role == auth.RoleStreet,
		})
	case id.DistrictID != "":
		rows, err = q.ListWhistlesByDistrict(ctx, store.ListWhistlesByDistrictParams{
			DistrictID: id.DistrictID, Status: statusFilter, CursorRaisedAt: curAt, CursorID: curID, MaxRows: limit,
		})
	default:
		rows, err = q.ListAllWhistles(ctx, store.ListAllWhistlesParams{
			Status: statusFilter, CursorRaisedAt: curAt, CursorID: curID, MaxRows: limit,
		})
	}
	if err != nil {
		return Page{}, fmt.Errorf("list whistles: %w", err)
	}
	return s.page(ctx, q, id, rows, size, !seesDrills(id))
}

// page is a page of rows (size + 1 rows tell that there is a next page) as
// the caller id sees them, with each whistle's dispatches, and the token of
// the next page ("" on the last). With realOnly, drill whistles are
// left out of the page (which may then be shorter; the token still follows it).
func (s *Service) page(ctx context.Context, q *store.Queries, id auth.Identity, rows []store.Whistle, size int32, realOnly bool) (Page, error) {
	var next string
	if len(rows) > int(size) {
		rows = rows[:size]
		last := rows[len(rows)-1]
		next = Cursor{RaisedAt: last.RaisedAt, ID: last.ID}.Token()
	}
	ids := make([]string, 0, len(rows))
	var targets []string
	for _, w := range rows {
		ids = append(ids, w.ID)
		if w.MergedInto != "" {
			targets = append(targets, w.MergedInto)
		}
	}
	// A merged whistle shows its target's dispatches only to who may read the target.
	readable, err := s.readableLinks(ctx, q, id, targets)
	if err != nil {
		return Page{}, err
	}
	for _, t := range targets {
		if readable[t] {
			ids = append(ids, t)
		}
	}
	dispatches, err := q.DispatchesOfWhistles(ctx, ids)
	if err != nil {
		return Page{}, fmt.Errorf("dispatches of listed whistles: %w", err)
	}
	byWhistle := make(map[string][]store.Dispatch, len(rows))
	for _, d := range dispatches {
		byWhistle[d.WhistleID] = append(byWhistle[d.WhistleID], d)
	}
	out := make([]*intakev1.Whistle, 0, len(rows))
	for _, w := range rows {
		if realOnly && drill.Is(w.ID) {
			continue
		}
		ds := byWhistle[w.ID]
		if readable[w.MergedInto] {
			ds = append(append([]store.Dispatch(nil), ds...), byWhistle[w.MergedInto]...)
		}
		pw, err := toProto(w, ds)
		if err != nil {
			return Page{}, err
		}
		switch {
		case id.Role == auth.RolePublic:
			pw = publicWhistle(pw)
		case id.Role == auth.RoleStreet && w.StreetID != id.StreetID:
			pw.ViewerRole = intake.ViewerNeighbour
		}
		out = append(out, pw)
	}
	return Page{Whistles: out, NextPageToken: next}, nil
}
