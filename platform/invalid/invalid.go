// Package invalid is the field-level "bad request" error of a use case: which
// request fields are wrong and why, all of them at once, in the order they
// were checked. Domain packages return it without knowing the transport;
// rpcerr.Status turns it into an InvalidArgument status whose BadRequest
// details name each field, and the REST edge into the JSON error body.
package invalid

import (
	"errors"
	"fmt"
	"strings"
)

// Violation is one invalid field, named by its request path (location.lat),
// and why it is invalid, in words the caller is shown as they are.
type Violation struct {
	Field  string
	Reason string
}

// Error lists a request's invalid fields.
type Error []Violation

func (e Error) Error() string {
	parts := make([]string, len(e))
	for i, v := range e {
		parts[i] = v.Field + ": " + v.Reason
	}
	return "invalid request: " + strings.Join(parts, "; ")
}

// Field is an Error of one field.
func Field(field, reason string) error { return Error{{Field: field, Reason: reason}} }

// Fieldf is an Error of one field, its reason formatted.
func Fieldf(field, format string, args ...any) error {
	return Field(field, fmt.Sprintf(format, args...))
}

// Violations collects the invalid fields of one request; Err is nil while
// there are none.
type Violations struct{ list Error }

// Add records that field is invalid for reason.
func (v *Violations) Add(field, reason string) {
	v.list = append(v.list, Violation{Field: field, Reason: reason})
}

// Addf records that field is invalid for a formatted reason.
func (v *Violations) Addf(field, format string, args ...any) {
	v.Add(field, fmt.Sprintf(format, args...))
}

// Merge adds the violations of err when it is (or wraps) an Error; any other
// error is ignored.
func (v *Violations) Merge(err error) {
	var e Error
	if errors.As(err, &e) {
		v.list = append(v.list, e...)
	}
}

// List is the violations collected so far.
func (v *Violations) List() Error { return v.list }

// Err is an Error of the violations collected, or nil.
func (v *Violations) Err() error {
	if len(v.list) == 0 {
		return nil
	}
	return v.list
}
