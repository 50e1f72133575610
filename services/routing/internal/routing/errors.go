package routing

import (
	"errors"
	"fmt"
	"strings"
)

// Errors of routing's use cases, mapped to gRPC codes by grpcapi.
var (
	// ErrNotFound is returned for an unknown street, category or other
	// reference, and for one the caller may not see.
	ErrNotFound = errors.New("not found")
	// ErrConflict: the state does not allow the action (an arbitration
	// decided already, a whistle no longer live, nothing to publish).
	ErrConflict = errors.New("conflict")
	// ErrPermission: the caller's role or scope does not allow the action.
	ErrPermission = errors.New("permission denied")
)

// Refusal is an ErrConflict or ErrPermission in words the caller is told as
// they are.
type Refusal struct {
	Kind error
	Msg  string
}

// Refuse is a Refusal of kind with a formatted message.
func Refuse(kind error, format string, args ...any) error {
	return &Refusal{Kind: kind, Msg: fmt.Sprintf(format, args...)}
}

func (r *Refusal) Error() string { return r.Msg }

// Unwrap is the refusal's kind.
func (r *Refusal) Unwrap() error { return r.Kind }

// InvalidError is what is wrong with a request, field by field.
type InvalidError []Violation

func (e InvalidError) Error() string {
	parts := make([]string, len(e))
	for i, v := range e {
		parts[i] = v.Field + ": " + v.Reason
	}
	return "invalid request: " + strings.Join(parts, "; ")
}

// Invalid is an InvalidError of one field.
func Invalid(field, format string, args ...any) error {
	return InvalidError{{Field: field, Reason: fmt.Sprintf(format, args...)}}
}

// Violations collects what is wrong with a request.
type Violations struct{ list InvalidError }

// Add records that field is invalid for reason.
func (v *Violations) Add(field, format string, args ...any) {
	v.list = append(v.list, Violation{Field: field, Reason: fmt.Sprintf(format, args...)})
}

// Err is an InvalidError of every violation, or nil.
func (v *Violations) Err() error {
	if len(v.list) == 0 {
		return nil
	}
	return v.list
}
