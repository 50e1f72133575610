package grpcapi

import (
	"context"
	"time"

	"github.com/chuishao/whistle/platform/auth"
	"github.com/chuishao/whistle/platform/geo/coordsys"
	intakev1 "github.com/chuishao/whistle/proto/gen/whistle/intake/v1"
	typesv1 "github.com/chuishao/whistle/proto/gen/whistle/types/v1"

	"github.com/chuishao/whistle/services/intake/internal/intake"
	"github.com/chuishao/whistle/services/intake/internal/store"
	"github.com/chuishao/whistle/services/intake/internal/whistles"
)

// What the report side (ReportServer) uses of the whistle use cases, in the
// terms it calls them by. New code calls whistles.Service directly.

// Attachment stages and limits the report side shares with whistles.
const (
	StageReport    = whistles.StageReport
	MaxAttachments = whistles.MaxAttachments
)

func (s *Server) now() time.Time { return s.Now() }

func actorOf(id auth.Identity) *typesv1.Actor { return whistles.ActorOf(id) }

// get reads a whistle for the caller in ctx.
func (s *Server) get(ctx context.Context, whistleID string) (*intakev1.Whistle, error) {
	id, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	return s.Get(ctx, id, whistleID)
}

// raise raises req for the caller in ctx, with the key in its metadata.
func (s *Server) raise(ctx context.Context, req *intakev1.RaiseWhistleRequest) (*intakev1.Whistle, error) {
	id, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	return s.Raise(ctx, id, newWhistle(req, idempotencyKey(ctx)))
}

func (s *Server) checkReferences(ctx context.Context, r intake.Raise) (string, error) {
	return s.CheckReferences(ctx, r.StreetID, r.Category)
}

// actAs acts for actor, answering the whistle as the caller in ctx (if any) sees it.
func (s *Server) actAs(ctx context.Context, verb, whistleID string, actor *typesv1.Actor, inScope func(store.Whistle) bool, apply whistles.Change) (*intakev1.Whistle, error) {
	viewer, _ := auth.FromContext(ctx)
	return s.ActAs(ctx, viewer, verb, whistleID, actor, inScope, apply)
}

func (s *Server) toWGS84(f *intake.Fields, loc *typesv1.LatLng, name string) *typesv1.LatLng {
	return s.ToWGS84(f, loc, name)
}

func (s *Server) coordSys(f *intake.Fields, name string) coordsys.System {
	return s.CoordSysOf(f, name)
}

var (
	closeWith       = whistles.CloseWith
	reopenWith      = whistles.ReopenWith
	roundTo         = whistles.RoundTo
	checkAttachment = whistles.CheckAttachment
)

// cursor is a page token's position, as whistles.Cursor.
type cursor struct {
	raisedAt time.Time
	id       string
}

func (c cursor) token() string { return whistles.Cursor{RaisedAt: c.raisedAt, ID: c.id}.Token() }

func parseToken(token string) (cursor, bool) {
	c, ok := whistles.ParseToken(token)
	return cursor{raisedAt: c.RaisedAt, id: c.ID}, ok
}

func checkVariant(ctx context.Context, variant string) error {
	id, _ := auth.FromContext(ctx)
	return whistles.CheckVariant(id, variant)
}
