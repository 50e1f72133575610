// Package openapi embeds the OpenAPI document generated from the protos and http.yaml.
package openapi

import _ "embed"

// JSON is the merged OpenAPI v2 document of the public REST API.
//
//go:embed whistle.swagger.json
var JSON []byte
