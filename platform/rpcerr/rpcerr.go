// Package rpcerr builds gRPC errors that name the offending request fields,
// which the REST edge turns into the contract's JSON error details.
package rpcerr

import (
	"fmt"
	"strings"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// Violations collects field-level problems of one request.
type Violations struct {
	list []*errdetails.BadRequest_FieldViolation
}

// Add records that field is invalid for reason.
func (v *Violations) Add(field, reason string, args ...any) {
	v.list = append(v.list, &errdetails.BadRequest_FieldViolation{Field: field, Description: fmt.Sprintf(reason, args...)})
}

// Err is an InvalidArgument status listing every violation, or nil.
func (v *Violations) Err() error {
	if len(v.list) == 0 {
		return nil
	}
	fields := make([]string, len(v.list))
	for i, f := range v.list {
		fields[i] = f.GetField() + ": " + f.GetDescription()
	}
	st := status.New(codes.InvalidArgument, "invalid request: "+strings.Join(fields, "; "))
	withDetails, err := st.WithDetails(&errdetails.BadRequest{FieldViolations: v.list})
	if err != nil {
		return st.Err()
	}
	return withDetails.Err()
}

// Invalid is an InvalidArgument status for one field.
func Invalid(field, reason string, args ...any) error {
	var v Violations
	v.Add(field, reason, args...)
	return v.Err()
}
