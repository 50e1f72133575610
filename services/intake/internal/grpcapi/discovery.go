package grpcapi

import (
	"context"
	"fmt"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/chuishao/whistle/platform/auth"
	intakev1 "github.com/chuishao/whistle/proto/gen/whistle/intake/v1"
	routingv1 "github.com/chuishao/whistle/proto/gen/whistle/routing/v1"
	typesv1 "github.com/chuishao/whistle/proto/gen/whistle/types/v1"

	"github.com/chuishao/whistle/services/intake/internal/discovery"
	"github.com/chuishao/whistle/services/intake/internal/intake"
	"github.com/chuishao/whistle/services/intake/internal/store"
	"github.com/chuishao/whistle/services/intake/internal/whistles"
)

// ForDiscovery is the whistle use cases and routing's look-ups as the
// discovery use cases need them.
func (s *Server) ForDiscovery() (discovery.Whistles, discovery.References) {
	return whistleSide{s.Service}, routingRefs{s.Service}
}

// whistleSide is discovery.Whistles on the whistle use cases.
type whistleSide struct{ s *whistles.Service }

func (w whistleSide) Raise(ctx context.Context, actor auth.Identity, req *intakev1.RaiseWhistleRequest, key string) (*intakev1.Whistle, error) {
	return w.s.Raise(ctx, actor, newWhistle(req, key))
}

func (w whistleSide) Get(ctx context.Context, viewer auth.Identity, whistleID string) (*intakev1.Whistle, error) {
	return w.s.Get(ctx, viewer, whistleID)
}

// tokenScope: a resident acting through a follow-up token may act on the
// whistle it follows (the token is the scope).
func tokenScope(store.Whistle) bool { return true }

// The resident's answer is not read back: no viewer is needed.
func (w whistleSide) Reopen(ctx context.Context, whistleID string, actor *typesv1.Actor, reason string) error {
	_, err := w.s.ActAs(ctx, auth.Identity{}, "reopen", whistleID, actor, tokenScope, whistles.ReopenWith(reason))
	return err
}

func (w whistleSide) Close(ctx context.Context, whistleID string, actor *typesv1.Actor, satisfaction int32, comment string) error {
	_, err := w.s.ActAs(ctx, auth.Identity{}, "give feedback on", whistleID, actor, tokenScope, whistles.CloseWith(satisfaction, comment))
	return err
}

// routingRefs is discovery.References on routing (the caller's token is
// forwarded), its streets and categories remembered as for a raise.
type routingRefs struct{ s *whistles.Service }

func (r routingRefs) District(ctx context.Context, streetID, category string) (string, error) {
	return r.s.CheckReferences(ctx, streetID, category)
}

func (r routingRefs) Street(ctx context.Context, id string) (*routingv1.Street, error) {
	st, err := r.s.Routing.GetStreet(ctx, &routingv1.GetStreetRequest{Id: id})
	switch status.Code(err) {
	case codes.OK:
		return st, nil
	case codes.NotFound:
		return nil, nil
	}
	return nil, fmt.Errorf("look up street %s: %w: %w", id, intake.ErrUnavailable, err)
}

func (r routingRefs) CategoryKnown(ctx context.Context, code string) (bool, error) {
	_, err := r.s.Routing.GetCategory(ctx, &routingv1.GetCategoryRequest{Code: code})
	switch status.Code(err) {
	case codes.OK:
		return true, nil
	case codes.NotFound:
		return false, nil
	}
	return false, fmt.Errorf("look up category %s: %w: %w", code, intake.ErrUnavailable, err)
}
