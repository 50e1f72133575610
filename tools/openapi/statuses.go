package main

import (
	"fmt"

	"github.com/getkin/kin-openapi/openapi3"
)

// createdOperations answer 201 Created, not the generator's 200
// (services/gateway/internal/httpapi createdOnRaise).
var createdOperations = []string{"IntakeService_RaiseWhistle"}

func fixStatuses(doc *openapi3.T) error {
	for _, id := range createdOperations {
		op := findOperation(doc, id)
		if op == nil {
			return fmt.Errorf("operation %s is not generated", id)
		}
		r := op.Responses.Value("200")
		op.Responses.Delete("200")
		desc := "Created."
		r.Value.Description = &desc
		op.Responses.Set("201", r)
	}
	raise := findOperation(doc, "IntakeService_RaiseWhistle")
	raise.Parameters = append(raise.Parameters, &openapi3.ParameterRef{Value: openapi3.NewHeaderParameter("Idempotency-Key").
		WithSchema(&openapi3.Schema{Type: typ("string")}).
		WithDescription("同一键的重复请求只吹一次哨，返回第一次的结果。A repeat with the same key (at most 255 bytes) raises nothing new and answers the first whistle.")})
	return nil
}

func findOperation(doc *openapi3.T, id string) *openapi3.Operation {
	for _, item := range doc.Paths.Map() {
		for _, op := range item.Operations() {
			if op.OperationID == id {
				return op
			}
		}
	}
	return nil
}
