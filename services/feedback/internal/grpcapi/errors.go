package grpcapi

import (
	"context"
	"errors"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/chuishao/whistle/platform/rpcerr"
	"github.com/chuishao/whistle/services/feedback/internal/events"
	"github.com/chuishao/whistle/services/feedback/internal/feedback"
)

// toStatus is the one map from domain errors to gRPC codes: feedback's own
// errors here, the ones every service shares in rpcerr.Status.
func (s *Server) toStatus(ctx context.Context, err error) error {
	switch {
	case errors.Is(err, feedback.ErrNotFound):
		return status.Error(codes.NotFound, err.Error())
	case errors.Is(err, feedback.ErrWrongRole), errors.Is(err, feedback.ErrOutOfScope):
		return status.Error(codes.PermissionDenied, err.Error())
	case errors.Is(err, events.ErrStreamTooShort):
		return status.Error(codes.FailedPrecondition, err.Error()+"; nothing was changed")
	case errors.Is(err, feedback.ErrConflict):
		return status.Error(codes.FailedPrecondition, err.Error())
	}
	return rpcerr.Status(ctx, s.Log, err)
}
