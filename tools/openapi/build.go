package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"

	"github.com/getkin/kin-openapi/openapi2"
	"github.com/getkin/kin-openapi/openapi2conv"
	"github.com/getkin/kin-openapi/openapi3"
)

// Version is the OpenAPI version emitted. kin-openapi (v0.153) loads and
// validates 3.1 documents, with JSON Schema 2020-12 semantics for their schemas.
const Version = "3.1.0"

// Build converts doc2 and completes it (see the package comment);
// descriptions are those of refDescriptions.
func Build(doc2 *openapi2.T, descriptions map[string]map[string]string) (*openapi3.T, error) {
	doc, err := openapi2conv.ToV3(doc2)
	if err != nil {
		return nil, fmt.Errorf("convert to OpenAPI 3: %w", err)
	}
	doc.OpenAPI = Version
	describe(doc)
	for _, step := range []func(*openapi3.T) error{mergeTemplates, allowNull, describeRefs(descriptions), addHandWritten, secure, addErrors, fixStatuses, addExamples} {
		if err := step(doc); err != nil {
			return nil, err
		}
	}
	return doc, nil
}

// Marshal writes doc as indented JSON, with keys in a stable order.
func Marshal(doc *openapi3.T) ([]byte, error) {
	compact, err := json.Marshal(doc)
	if err != nil {
		return nil, err
	}
	// A round trip through a generic value sorts every object's keys.
	var v any
	if err := json.Unmarshal(compact, &v); err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// Load parses data and validates it as an OpenAPI document, examples included.
func Load(ctx context.Context, data []byte) (*openapi3.T, error) {
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(data)
	if err != nil {
		return nil, err
	}
	if err := doc.Validate(ctx); err != nil {
		return nil, err
	}
	return doc, nil
}
