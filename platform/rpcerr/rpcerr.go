// Package rpcerr builds gRPC errors that name the offending request fields,
// which the REST edge turns into the contract's JSON error details, and maps
// the errors every service shares (Status).
package rpcerr

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/chuishao/whistle/platform/invalid"
)

// Violations collects field-level problems of one request.
type Violations struct {
	list invalid.Violations
}

// Add records that field is invalid for reason.
func (v *Violations) Add(field, reason string, args ...any) {
	v.list.Add(field, fmt.Sprintf(reason, args...))
}

// Err is an InvalidArgument status listing every violation, or nil.
func (v *Violations) Err() error {
	if len(v.list.List()) == 0 {
		return nil
	}
	return BadRequest(v.list.List())
}

// Invalid is an InvalidArgument status for one field.
func Invalid(field, reason string, args ...any) error {
	var v Violations
	v.Add(field, reason, args...)
	return v.Err()
}

// BadRequest is the InvalidArgument status of e: its message lists the
// fields, its BadRequest details name each one.
func BadRequest(e invalid.Error) error {
	st := status.New(codes.InvalidArgument, e.Error())
	list := make([]*errdetails.BadRequest_FieldViolation, len(e))
	for i, f := range e {
		list[i] = &errdetails.BadRequest_FieldViolation{Field: f.Field, Description: f.Reason}
	}
	withDetails, err := st.WithDetails(&errdetails.BadRequest{FieldViolations: list})
	if err != nil {
		return st.Err()
	}
	return withDetails.Err()
}

// Status is the gRPC status of the errors every service shares: a
// field-level invalid.Error (an event too large for the bus is one) is
// InvalidArgument with its fields, a cancelled or expired request is Canceled
// or DeadlineExceeded, and nil is nil. Anything else is a fault of the
// service: logged, and reported as Internal without details. A service's
// error map decides its own domain errors first and ends in Status.
func Status(ctx context.Context, log *slog.Logger, err error) error {
	var bad invalid.Error
	switch {
	case err == nil:
		return nil
	case errors.As(err, &bad):
		return BadRequest(bad)
	case errors.Is(err, context.Canceled):
		return status.Error(codes.Canceled, "request cancelled")
	case errors.Is(err, context.DeadlineExceeded):
		return status.Error(codes.DeadlineExceeded, "deadline exceeded")
	}
	log.ErrorContext(ctx, "internal error", "err", err)
	return status.Error(codes.Internal, "internal error")
}
