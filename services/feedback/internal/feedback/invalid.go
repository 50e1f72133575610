package feedback

import (
	"fmt"
	"strings"
)

// FieldError is one invalid request field and why.
type FieldError struct {
	Field, Reason string
}

// InvalidError lists a request's invalid fields in the order they were
// checked; the API reports them all at once.
type InvalidError []FieldError

func (e InvalidError) Error() string {
	parts := make([]string, len(e))
	for i, f := range e {
		parts[i] = f.Field + ": " + f.Reason
	}
	return "invalid request: " + strings.Join(parts, "; ")
}

// Violations collects the invalid fields of one request.
type Violations struct {
	list InvalidError
}

// Add records that field is invalid for reason (a format with args).
func (v *Violations) Add(field, reason string, args ...any) {
	v.list = append(v.list, FieldError{Field: field, Reason: fmt.Sprintf(reason, args...)})
}

// Err is an InvalidError of the fields added, or nil.
func (v *Violations) Err() error {
	if len(v.list) == 0 {
		return nil
	}
	return v.list
}

// Invalid is an InvalidError for one field.
func Invalid(field, reason string, args ...any) error {
	var v Violations
	v.Add(field, reason, args...)
	return v.Err()
}
