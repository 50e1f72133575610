package main

import (
	"encoding/json"

	"github.com/getkin/kin-openapi/openapi3"
)

// refDescriptions are the descriptions the generator writes beside a
// property's $ref (definition → property → description), which kin-openapi's
// Swagger 2.0 loader drops: Swagger 2.0 ignores siblings of $ref.
func refDescriptions(swagger []byte) (map[string]map[string]string, error) {
	var doc struct {
		Definitions map[string]struct {
			Properties map[string]struct {
				Ref         string `json:"$ref"`
				Description string `json:"description"`
			} `json:"properties"`
		} `json:"definitions"`
	}
	if err := json.Unmarshal(swagger, &doc); err != nil {
		return nil, err
	}
	out := map[string]map[string]string{}
	for def, d := range doc.Definitions {
		for prop, p := range d.Properties {
			if p.Ref != "" && p.Description != "" {
				if out[def] == nil {
					out[def] = map[string]string{}
				}
				out[def][prop] = p.Description
			}
		}
	}
	return out, nil
}

// describeRefs puts those descriptions back: on the nullable wrapper, or on an
// allOf of the one reference (OpenAPI 3.1 allows siblings of $ref, but
// kin-openapi does not write them).
func describeRefs(descriptions map[string]map[string]string) func(*openapi3.T) error {
	return func(doc *openapi3.T) error {
		for def, props := range descriptions {
			s := doc.Components.Schemas[def]
			if s == nil || s.Value == nil {
				continue
			}
			for name, desc := range props {
				p := s.Value.Properties[name]
				switch {
				case p == nil:
				case p.Ref != "":
					s.Value.Properties[name] = openapi3.NewSchemaRef("", &openapi3.Schema{Description: desc, AllOf: openapi3.SchemaRefs{p}})
				case p.Value != nil:
					p.Value.Description = desc
				}
			}
		}
		return nil
	}
}
