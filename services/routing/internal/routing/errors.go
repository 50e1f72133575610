package routing

import (
	"errors"
	"fmt"

	"github.com/chuishao/whistle/platform/invalid"
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
type InvalidError = invalid.Error

// Violations collects what is wrong with a request.
type Violations = invalid.Violations

// Invalid is an InvalidError of one field.
func Invalid(field, format string, args ...any) error { return invalid.Fieldf(field, format, args...) }
