// Package grpcapi is intake's gRPC API: it turns requests into calls of the
// use cases for the verified caller, answers with the API's messages and maps
// errors to gRPC codes in one place (toStatus).
package grpcapi

import (
	"context"
	"fmt"

	"github.com/chuishao/whistle/platform/auth"
	intakev1 "github.com/chuishao/whistle/proto/gen/whistle/intake/v1"

	"github.com/chuishao/whistle/services/intake/internal/intake"
	"github.com/chuishao/whistle/services/intake/internal/whistles"
)

// Server implements intakev1.IntakeServiceServer over the whistle use cases
// (embedded: the report side reads their pool, clock and routing client).
type Server struct {
	intakev1.UnimplementedIntakeServiceServer
	*whistles.Service
}

// answer maps err through the one error map.
func answer[T any](ctx context.Context, s *Server, v T, err error) (T, error) {
	if err != nil {
		var zero T
		return zero, toStatus(ctx, s.Log, err)
	}
	return v, nil
}

func caller(ctx context.Context) (auth.Identity, error) {
	id, ok := auth.FromContext(ctx)
	if !ok {
		return auth.Identity{}, fmt.Errorf("no verified identity: %w", intake.ErrPermissionDenied)
	}
	return id, nil
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
