package main

import (
	"fmt"
	"slices"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
)

// ErrorSchema is the one error body of the gateway (services/gateway/internal/apierror):
//
//	{"error":{"code":"INVALID_ARGUMENT","message":"...","details":[{"field":"category","reason":"..."}]}}
const ErrorSchema = "Error"

// errorResponse is one documented error status with a typical body.
type errorResponse struct {
	name, status, code, message string
	details                     []map[string]any
	// header is an HTTP header the response carries, with its description.
	header, headerDoc string
}

var errorResponses = []errorResponse{
	{name: "BadRequest", status: "400", code: "INVALID_ARGUMENT", message: "category is required",
		details: []map[string]any{{"field": "category", "reason": "is required"}}},
	{name: "Unauthorized", status: "401", code: "UNAUTHENTICATED", message: "missing bearer token",
		header: "WWW-Authenticate", headerDoc: "Bearer"},
	{name: "Forbidden", status: "403", code: "PERMISSION_DENIED", message: "street 110101002 may not read whistles of street 110101001"},
	{name: "NotFound", status: "404", code: "NOT_FOUND", message: `whistle "0193b7e2-5c1a-7d3e-9f10-2a4b6c8d0e1f": not found`},
	{name: "PayloadTooLarge", status: "413", code: "PAYLOAD_TOO_LARGE", message: "request body exceeds 1 MiB",
		details: []map[string]any{{"field": "body", "reason": "must be at most 1 MiB"}}},
	{name: "TooManyRequests", status: "429", code: "RESOURCE_EXHAUSTED", message: "rate limit exceeded: retry later",
		header: "Retry-After", headerDoc: "Seconds until a retry can succeed."},
	{name: "Unavailable", status: "503", code: "UNAVAILABLE", message: "a backend service is unavailable; try again shortly"},
	{name: "Error", status: "default", code: "FAILED_PRECONDITION", message: "the dispatch is already resolved"},
}

// addErrors declares the error schema and responses and gives every operation
// its error responses in place of the generator's google.rpc.Status default,
// which is not what the gateway sends.
func addErrors(doc *openapi3.T) error {
	c := doc.Components
	closed := openapi3.AdditionalProperties{Has: new(false)}
	detail := &openapi3.Schema{
		Type: &openapi3.Types{"object"}, Required: []string{"field", "reason"}, AdditionalProperties: closed,
		Description: "一个出错的请求字段。One offending request field (a query parameter, path segment, header or body field).",
		Properties: openapi3.Schemas{
			"field":  openapi3.NewSchemaRef("", &openapi3.Schema{Type: &openapi3.Types{"string"}, Description: "The field's snake_case name, dotted for nested fields (location.lat), or body / a header's name."}),
			"reason": openapi3.NewSchemaRef("", &openapi3.Schema{Type: &openapi3.Types{"string"}, Description: "Why the value was refused."}),
		},
	}
	body := &openapi3.Schema{
		Type: &openapi3.Types{"object"}, Required: []string{"code", "message", "details"}, AdditionalProperties: closed,
		Properties: openapi3.Schemas{
			"code": openapi3.NewSchemaRef("", &openapi3.Schema{Type: &openapi3.Types{"string"},
				Description: "The canonical gRPC code name (INVALID_ARGUMENT, UNAUTHENTICATED, PERMISSION_DENIED, NOT_FOUND, " +
					"ALREADY_EXISTS, FAILED_PRECONDITION, RESOURCE_EXHAUSTED, UNAVAILABLE, ...) or one of the gateway's own " +
					"(METHOD_NOT_ALLOWED, PAYLOAD_TOO_LARGE)."}),
			"message": openapi3.NewSchemaRef("", &openapi3.Schema{Type: &openapi3.Types{"string"}, Description: "What went wrong, for people."}),
			"details": openapi3.NewSchemaRef("", &openapi3.Schema{Type: &openapi3.Types{"array"},
				Description: "Field-level reasons; always an array, empty when there are none.",
				Items:       openapi3.NewSchemaRef("#/components/schemas/ErrorDetail", detail)}),
		},
	}
	errSchema := &openapi3.Schema{
		Type: &openapi3.Types{"object"}, Required: []string{"error"}, AdditionalProperties: closed,
		Description: "出错时的统一返回。The one error body every failing request answers.",
		Properties:  openapi3.Schemas{"error": openapi3.NewSchemaRef("", body)},
	}
	c.Schemas["ErrorDetail"] = openapi3.NewSchemaRef("", detail)
	c.Schemas[ErrorSchema] = openapi3.NewSchemaRef("", errSchema)
	if c.Responses == nil {
		c.Responses = openapi3.ResponseBodies{}
	}
	for _, e := range errorResponses {
		details := e.details
		if details == nil {
			details = []map[string]any{}
		}
		content := openapi3.NewContentWithJSONSchemaRef(openapi3.NewSchemaRef("#/components/schemas/"+ErrorSchema, errSchema))
		content["application/json"].Example = map[string]any{"error": map[string]any{"code": e.code, "message": e.message, "details": details}}
		desc := fmt.Sprintf("%s (%s)", e.name, e.code)
		if e.status == "default" {
			desc = "Any other error, e.g. 409 ALREADY_EXISTS/ABORTED, 400 FAILED_PRECONDITION, 500 INTERNAL, 504 DEADLINE_EXCEEDED."
		}
		resp := &openapi3.Response{Description: &desc, Content: content}
		if e.header != "" {
			resp.Headers = openapi3.Headers{e.header: &openapi3.HeaderRef{Value: &openapi3.Header{Parameter: openapi3.Parameter{
				Description: e.headerDoc, Schema: openapi3.NewSchemaRef("", &openapi3.Schema{Type: &openapi3.Types{"string"}}),
			}}}}
		}
		c.Responses[e.name] = &openapi3.ResponseRef{Value: resp}
	}
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			if op.Responses == nil {
				return fmt.Errorf("%s %s has no responses", method, path)
			}
			op.Responses.Delete("default")
			for _, e := range errorResponses {
				if !errorApplies(e, path, method, op) || op.Responses.Value(e.status) != nil {
					continue
				}
				op.Responses.Set(e.status, &openapi3.ResponseRef{Ref: "#/components/responses/" + e.name, Value: c.Responses[e.name].Value})
			}
		}
	}
	delete(c.Schemas, "google.rpc.Status")
	if !strings.Contains(string(mustJSON(doc)), "#/components/schemas/google.protobuf.Any") {
		delete(c.Schemas, "google.protobuf.Any")
	}
	return nil
}

// errorApplies reports whether an operation can answer e.
func errorApplies(e errorResponse, path, method string, op *openapi3.Operation) bool {
	switch e.status {
	case "401", "403":
		return !isPublic(op)
	case "404":
		return strings.Contains(path, "{")
	case "413":
		return slices.Contains([]string{"POST", "PUT", "PATCH"}, method)
	}
	return true
}
