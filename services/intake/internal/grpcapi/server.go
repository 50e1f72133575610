// Package grpcapi is intake's gRPC API: it checks who may do what, turns
// requests into the domain's terms and answers with the API's messages.
package grpcapi

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/chuishao/whistle/platform/auth"
	"github.com/chuishao/whistle/platform/clock"
	"github.com/chuishao/whistle/platform/drill"
	"github.com/chuishao/whistle/platform/geo/coordsys"
	"github.com/chuishao/whistle/platform/groupcommit"
	intakev1 "github.com/chuishao/whistle/proto/gen/whistle/intake/v1"
	routingv1 "github.com/chuishao/whistle/proto/gen/whistle/routing/v1"
	typesv1 "github.com/chuishao/whistle/proto/gen/whistle/types/v1"

	"github.com/chuishao/whistle/services/intake/internal/intake"
	"github.com/chuishao/whistle/services/intake/internal/store"
)

// Server implements intakev1.IntakeServiceServer.
type Server struct {
	intakev1.UnimplementedIntakeServiceServer

	Pool    *pgxpool.Pool
	Routing routingv1.RoutingServiceClient
	Clock   clock.Clock
	Log     *slog.Logger
	// DuplicateRadiusM and DuplicateWindow bound the duplicate search (defaults
	// intake.DefaultDuplicateRadiusM and intake.DefaultDuplicateWindow when zero).
	DuplicateRadiusM float64
	DuplicateWindow  time.Duration
	// CoordSys is the coordinate system of a location whose request names
	// none (WGS-84 when empty).
	CoordSys coordsys.System

	refs references // routing's answers about streets and categories, remembered a while

	raiseOnce    sync.Once
	raiseBatcher *groupcommit.Batcher[newWhistle, *intakev1.Whistle]
}

// answer maps err through the one error map.
func answer[T any](ctx context.Context, s *Server, v T, err error) (T, error) {
	if err != nil {
		var zero T
		return zero, toStatus(ctx, s.Log, err)
	}
	return v, nil
}

func (s *Server) now() time.Time {
	// Postgres keeps microseconds; truncating here makes what we answer equal what we store.
	return s.Clock.Now().UTC().Truncate(time.Microsecond)
}

func caller(ctx context.Context) (auth.Identity, error) {
	id, ok := auth.FromContext(ctx)
	if !ok {
		return auth.Identity{}, fmt.Errorf("no verified identity: %w", intake.ErrPermissionDenied)
	}
	return id, nil
}

func actorOf(id auth.Identity) *typesv1.Actor {
	return &typesv1.Actor{Role: id.Role, Id: id.Subject}
}

// GetWhistle returns a whistle in the caller's scope with its dispatches.
func (s *Server) GetWhistle(ctx context.Context, req *intakev1.GetWhistleRequest) (*intakev1.Whistle, error) {
	w, err := s.get(ctx, req.GetId())
	return answer(ctx, s, w, err)
}

func (s *Server) get(ctx context.Context, whistleID string) (*intakev1.Whistle, error) {
	id, err := caller(ctx)
	if err != nil {
		return nil, err
	}
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
	if intake.Status(w.Status) != intake.StatusRaised {
		s.explain(ctx, out)
	}
	return out, nil
}

// explain adds routing's explanation of the whistle's departments (catalogue
// version, rule, per-department reason, map check). It is an addition to the
// answer, not a condition of it: when routing cannot tell, the whistle is
// returned without it.
func (s *Server) explain(ctx context.Context, w *intakev1.Whistle) {
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
func (s *Server) visible(ctx context.Context, q *store.Queries, id auth.Identity, w store.Whistle) (bool, string, error) {
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

// withDispatches is the API's view of w for the caller id: its dispatches (a
// merged whistle's own, cancelled ones followed by those of the whistle it
// was merged into), the whistles merged into it and its duplicate candidates.
// What a link brings in comes only from whistles the caller may read on their
// own; links to any other are left out.
func (s *Server) withDispatches(ctx context.Context, id auth.Identity, w store.Whistle) (*intakev1.Whistle, error) {
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
func (s *Server) readableLinks(ctx context.Context, q *store.Queries, id auth.Identity, ids []string) (map[string]bool, error) {
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

// Page sizes of ListWhistles.
const (
	defaultPageSize = 20
	maxPageSize     = 100
)

// ListWhistles lists the caller's street's whistles, or a supervisor's district's, newest first.
func (s *Server) ListWhistles(ctx context.Context, req *intakev1.ListWhistlesRequest) (*intakev1.ListWhistlesResponse, error) {
	resp, err := s.list(ctx, req)
	return answer(ctx, s, resp, err)
}

func (s *Server) list(ctx context.Context, req *intakev1.ListWhistlesRequest) (*intakev1.ListWhistlesResponse, error) {
	id, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	switch id.Role {
	case auth.RoleStreet, auth.RoleSupervisor, auth.RolePublic:
	default:
		return nil, fmt.Errorf("role %s lists no whistles: %w", id.Role, intake.ErrPermissionDenied)
	}
	streetID := req.GetStreetId()
	if id.Role == auth.RoleStreet {
		if streetID == "" {
			streetID = id.StreetID
		}
		if streetID != id.StreetID {
			return nil, fmt.Errorf("a street lists its own whistles only: %w", intake.ErrPermissionDenied)
		}
	}

	var f intake.Fields
	size, curAt, curID := pageArgs(&f, req.GetPageSize(), req.GetPageToken())
	var statusFilter pgtype.Text
	if st := req.GetStatus(); st != intakev1.Whistle_STATUS_UNSPECIFIED {
		if _, known := intakev1.Whistle_Status_name[int32(st)]; !known {
			f.Add("status", "is not a whistle status")
		}
		statusFilter = pgtype.Text{String: st.String(), Valid: true}
	}
	if err := f.Err(); err != nil {
		return nil, err
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
		return nil, fmt.Errorf("list whistles: %w", err)
	}

	whistles, next, err := s.page(ctx, q, id, rows, size, !seesDrills(id))
	if err != nil {
		return nil, err
	}
	return &intakev1.ListWhistlesResponse{Whistles: whistles, NextPageToken: next}, nil
}

// page is the API's view of a page of rows (size + 1 rows tell that there is
// a next page) for the caller id, with each whistle's dispatches, and the
// token of the next page ("" on the last). With realOnly, drill whistles are
// left out of the page (which may then be shorter; the token still follows it).
func (s *Server) page(ctx context.Context, q *store.Queries, id auth.Identity, rows []store.Whistle, size int32, realOnly bool) ([]*intakev1.Whistle, string, error) {
	var next string
	if len(rows) > int(size) {
		rows = rows[:size]
		last := rows[len(rows)-1]
		next = cursor{raisedAt: last.RaisedAt, id: last.ID}.token()
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
		return nil, "", err
	}
	for _, t := range targets {
		if readable[t] {
			ids = append(ids, t)
		}
	}
	dispatches, err := q.DispatchesOfWhistles(ctx, ids)
	if err != nil {
		return nil, "", fmt.Errorf("dispatches of listed whistles: %w", err)
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
			return nil, "", err
		}
		switch {
		case id.Role == auth.RolePublic:
			pw = publicWhistle(pw)
		case id.Role == auth.RoleStreet && w.StreetID != id.StreetID:
			pw.ViewerRole = intake.ViewerNeighbour
		}
		out = append(out, pw)
	}
	return out, next, nil
}

// handle answers an RPC: fn acts for the verified caller, and its error
// becomes the gRPC status.
func handle[Req, Resp any](ctx context.Context, s *Server, req Req,
	fn func(context.Context, auth.Identity, Req) (Resp, error)) (Resp, error) {
	id, err := caller(ctx)
	if err != nil {
		var zero Resp
		return answer(ctx, s, zero, err)
	}
	out, err := fn(ctx, id, req)
	return answer(ctx, s, out, err)
}

// seesDrills tells whether the caller takes part in drills: the supervisors
// and admins who run them and the desks their whistles are dispatched to
// (still only those of their own department). A street (which did not raise
// a replayed whistle) and the public never see a drill whistle.
func seesDrills(id auth.Identity) bool {
	switch id.Role {
	case auth.RoleSupervisor, auth.RoleAdmin, auth.RoleDesk:
		return true
	}
	return false
}
