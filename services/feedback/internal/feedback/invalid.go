package feedback

import "github.com/chuishao/whistle/platform/invalid"

// FieldError is one invalid request field and why.
type FieldError = invalid.Violation

// InvalidError lists a request's invalid fields in the order they were
// checked; the API reports them all at once.
type InvalidError = invalid.Error

// Violations collects the invalid fields of one request.
type Violations = invalid.Violations

// Invalid is an InvalidError for one field, its reason a format with args.
func Invalid(field, reason string, args ...any) error { return invalid.Fieldf(field, reason, args...) }
