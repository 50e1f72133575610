package grpcapi

import (
	"context"
	"errors"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/chuishao/whistle/platform/bus/outbox"
	"github.com/chuishao/whistle/platform/rpcerr"
	"github.com/chuishao/whistle/services/feedback/internal/events"
	"github.com/chuishao/whistle/services/feedback/internal/feedback"
)

// toStatus is the one map from domain errors to gRPC codes. Anything it does
// not know is the service's fault: logged, and reported without details.
func (s *Server) toStatus(ctx context.Context, err error) error {
	var tooLarge *outbox.TooLargeError
	var invalid feedback.InvalidError
	switch {
	case errors.As(err, &invalid):
		var v rpcerr.Violations
		for _, f := range invalid {
			v.Add(f.Field, "%s", f.Reason)
		}
		return v.Err()
	case errors.As(err, &tooLarge):
		return rpcerr.Invalid(tooLarge.Field, "%s", tooLarge.Reason())
	case errors.Is(err, feedback.ErrNotFound):
		return status.Error(codes.NotFound, err.Error())
	case errors.Is(err, feedback.ErrWrongRole), errors.Is(err, feedback.ErrOutOfScope):
		return status.Error(codes.PermissionDenied, err.Error())
	case errors.Is(err, events.ErrStreamTooShort):
		return status.Error(codes.FailedPrecondition, err.Error()+"; nothing was changed")
	case errors.Is(err, feedback.ErrConflict):
		return status.Error(codes.FailedPrecondition, err.Error())
	case errors.Is(err, context.Canceled):
		return status.Error(codes.Canceled, err.Error())
	case errors.Is(err, context.DeadlineExceeded):
		return status.Error(codes.DeadlineExceeded, err.Error())
	}
	s.Log.ErrorContext(ctx, "internal error", "err", err)
	return status.Error(codes.Internal, "internal error")
}
