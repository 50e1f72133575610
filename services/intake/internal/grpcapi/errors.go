package grpcapi

import (
	"context"
	"errors"
	"log/slog"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/chuishao/whistle/platform/bus/outbox"
	"github.com/chuishao/whistle/platform/rpcerr"

	"github.com/chuishao/whistle/services/intake/internal/discovery/reports"
	"github.com/chuishao/whistle/services/intake/internal/intake"
)

// toStatus is THE map from intake's errors to gRPC codes. Anything it does not
// know is a bug or an outage on our side: logged, and reported without detail.
func toStatus(ctx context.Context, log *slog.Logger, err error) error {
	if err == nil {
		return nil
	}
	var invalid *intake.InvalidError
	var state *intake.StateError
	var tooLarge *outbox.TooLargeError
	switch {
	case errors.As(err, &invalid):
		var v rpcerr.Violations
		for _, f := range invalid.Fields {
			v.Add(f.Field, "%s", f.Reason)
		}
		return v.Err()
	case errors.As(err, &tooLarge):
		return rpcerr.Invalid(tooLarge.Field, "%s", tooLarge.Reason())
	case errors.As(err, &state):
		return status.Error(codes.FailedPrecondition, state.Error())
	case errors.Is(err, reports.ErrTokenExpired), errors.Is(err, reports.ErrAlreadyRated):
		return status.Error(codes.FailedPrecondition, err.Error())
	case errors.Is(err, intake.ErrNotFound):
		return status.Error(codes.NotFound, intake.ErrNotFound.Error())
	case errors.Is(err, intake.ErrPermissionDenied):
		return status.Error(codes.PermissionDenied, err.Error())
	case errors.Is(err, intake.ErrUnavailable):
		log.WarnContext(ctx, "dependency unavailable", "err", err)
		return status.Error(codes.Unavailable, err.Error())
	case errors.Is(err, context.Canceled):
		return status.Error(codes.Canceled, err.Error())
	case errors.Is(err, context.DeadlineExceeded):
		return status.Error(codes.DeadlineExceeded, err.Error())
	}
	log.ErrorContext(ctx, "internal error", "err", err)
	return status.Error(codes.Internal, "internal error")
}
