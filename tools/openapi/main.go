// Command openapi turns the Swagger 2.0 document protoc-gen-openapiv2 writes
// from the protos and proto/http.yaml into the committed OpenAPI 3.1 document
// of the public REST API (proto/openapi/whistle.openapi.json): converted by
// kin-openapi's openapi2conv, then given what the generator cannot know — the
// title and bilingual description, the bearer security scheme and the public
// routes, the real error body of every error response, examples on every
// operation and the gateway's hand-written routes. `make generate` runs it.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"

	"github.com/getkin/kin-openapi/openapi2"
)

func main() {
	in := flag.String("in", "", "Swagger 2.0 document written by protoc-gen-openapiv2")
	out := flag.String("out", "", "OpenAPI 3.1 document to write")
	flag.Parse()
	if err := run(*in, *out); err != nil {
		fmt.Fprintln(os.Stderr, "openapi:", err)
		os.Exit(1)
	}
}

func run(in, out string) error {
	raw, err := os.ReadFile(in)
	if err != nil {
		return err
	}
	var doc2 openapi2.T
	if err := json.Unmarshal(raw, &doc2); err != nil {
		return fmt.Errorf("%s: %w", in, err)
	}
	descriptions, err := refDescriptions(raw)
	if err != nil {
		return fmt.Errorf("%s: %w", in, err)
	}
	doc, err := Build(&doc2, descriptions)
	if err != nil {
		return err
	}
	data, err := Marshal(doc)
	if err != nil {
		return err
	}
	// What is written must load and validate as it will be served.
	if _, err := Load(context.Background(), data); err != nil {
		return fmt.Errorf("the built document does not validate: %w", err)
	}
	return os.WriteFile(out, data, 0o644)
}
