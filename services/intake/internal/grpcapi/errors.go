package grpcapi

import (
	"context"
	"errors"
	"log/slog"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/chuishao/whistle/platform/rpcerr"
	"github.com/chuishao/whistle/platform/whistlestatus"

	"github.com/chuishao/whistle/services/intake/internal/intake"
)

// toStatus is THE map from intake's errors to gRPC codes: intake's own
// errors here, the ones every service shares (invalid fields, cancelled
// requests, and anything unknown as Internal) in rpcerr.Status.
func toStatus(ctx context.Context, log *slog.Logger, err error) error {
	var state *whistlestatus.StateError
	switch {
	case errors.As(err, &state):
		return status.Error(codes.FailedPrecondition, state.Error())
	case errors.Is(err, intake.ErrNotFound):
		return status.Error(codes.NotFound, intake.ErrNotFound.Error())
	case errors.Is(err, intake.ErrPermissionDenied):
		return status.Error(codes.PermissionDenied, err.Error())
	case errors.Is(err, intake.ErrUnavailable):
		log.WarnContext(ctx, "dependency unavailable", "err", err)
		return status.Error(codes.Unavailable, err.Error())
	}
	return rpcerr.Status(ctx, log, err)
}
