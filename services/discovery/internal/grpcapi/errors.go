package grpcapi

import (
	"context"
	"errors"
	"log/slog"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/chuishao/whistle/platform/rpcerr"
	"github.com/chuishao/whistle/platform/whistlestatus"

	"github.com/chuishao/whistle/services/discovery/internal/reports"
	"github.com/chuishao/whistle/services/discovery/internal/whistle"
)

// toStatus is THE map from discovery's errors to gRPC codes: discovery's own
// errors here, then intake's and routing's answers to a call made for the
// caller as they gave them, and the ones every service shares (invalid
// fields, cancelled requests, and anything unknown as Internal) in
// rpcerr.Status.
func toStatus(ctx context.Context, log *slog.Logger, err error) error {
	var state *whistlestatus.StateError
	switch {
	case errors.As(err, &state):
		return status.Error(codes.FailedPrecondition, state.Error())
	case errors.Is(err, reports.ErrTokenExpired), errors.Is(err, reports.ErrAlreadyRated):
		return status.Error(codes.FailedPrecondition, err.Error())
	case errors.Is(err, whistle.ErrNotFound):
		return status.Error(codes.NotFound, whistle.ErrNotFound.Error())
	case errors.Is(err, whistle.ErrPermissionDenied):
		return status.Error(codes.PermissionDenied, err.Error())
	case errors.Is(err, whistle.ErrUnavailable):
		log.WarnContext(ctx, "dependency unavailable", "err", err)
		return status.Error(codes.Unavailable, err.Error())
	}
	if st, ok := status.FromError(err); ok && err != nil {
		switch st.Code() {
		case codes.InvalidArgument, codes.FailedPrecondition, codes.NotFound, codes.PermissionDenied,
			codes.AlreadyExists, codes.ResourceExhausted, codes.Unauthenticated, codes.Canceled:
			// Intake's answer to a raise or a read made for the caller: the
			// caller gets it as intake gave it (its fields, its reason).
			return st.Err()
		case codes.Unavailable, codes.DeadlineExceeded:
			log.WarnContext(ctx, "dependency unavailable", "err", err)
			return status.Error(st.Code(), st.Message())
		}
	}
	return rpcerr.Status(ctx, log, err)
}
