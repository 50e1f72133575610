// Package openapi embeds the OpenAPI 3.1 document of the public REST API,
// built by tools/openapi from the protos and http.yaml (make generate).
package openapi

import (
	_ "embed"
	"encoding/json"
	"fmt"
)

// JSON is the committed document; its info.version is "dev".
//
//go:embed whistle.openapi.json
var JSON []byte

// WithVersion is the document with info.version set to a build's version,
// as the gateway serves it.
func WithVersion(version string) ([]byte, error) {
	var doc map[string]json.RawMessage
	if err := json.Unmarshal(JSON, &doc); err != nil {
		return nil, fmt.Errorf("openapi: %w", err)
	}
	var info map[string]any
	if err := json.Unmarshal(doc["info"], &info); err != nil {
		return nil, fmt.Errorf("openapi info: %w", err)
	}
	info["version"] = version
	raw, err := json.Marshal(info)
	if err != nil {
		return nil, err
	}
	doc["info"] = raw
	return json.Marshal(doc)
}
