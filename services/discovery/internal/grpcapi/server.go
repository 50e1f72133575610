// Package grpcapi is discovery's gRPC API, the ReportService: it maps
// requests to the discovery use cases' inputs for the verified caller,
// answers with the API's messages and maps errors to gRPC codes in one place
// (toStatus). It holds no SQL and no transaction; what discovery asks of
// intake and routing goes through their gRPC clients (clients.go).
package grpcapi

import (
	"context"
	"fmt"

	"github.com/chuishao/whistle/platform/auth"

	"github.com/chuishao/whistle/services/discovery/internal/whistle"
)

func caller(ctx context.Context) (auth.Identity, error) {
	id, ok := auth.FromContext(ctx)
	if !ok {
		return auth.Identity{}, fmt.Errorf("no verified identity: %w", whistle.ErrPermissionDenied)
	}
	return id, nil
}

// handle answers an RPC: fn acts for the verified caller, and its error
// becomes the gRPC status.
func handle[Req, Resp any](ctx context.Context, s *ReportServer, req Req,
	fn func(context.Context, auth.Identity, Req) (Resp, error)) (Resp, error) {
	id, err := caller(ctx)
	if err == nil {
		var out Resp
		if out, err = fn(ctx, id, req); err == nil {
			return out, nil
		}
	}
	var zero Resp
	return zero, toStatus(ctx, s.Log, err)
}
