package main

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/stretchr/testify/require"
)

const committed = "../../proto/openapi/whistle.openapi.json"

// committedDocument is the committed document's bytes and what Load made of them.
type committedDocument struct {
	data []byte
	doc  *openapi3.T
}

// readCommitted reads and validates the committed document once for every
// test (validation takes seconds).
var readCommitted = sync.OnceValues(func() (committedDocument, error) {
	data, err := os.ReadFile(committed)
	if err != nil {
		return committedDocument{}, err
	}
	doc, err := Load(context.Background(), data)
	return committedDocument{data: data, doc: doc}, err
})

func loadCommitted() ([]byte, *openapi3.T, error) {
	c, err := readCommitted()
	return c.data, c.doc, err
}

// TestCommittedDocumentValidates loads the committed document with
// kin-openapi and validates it as OpenAPI 3.1, examples included.
func TestCommittedDocumentValidates(t *testing.T) {
	t.Parallel()
	_, doc, err := loadCommitted()
	require.NoError(t, err)
	require.Equal(t, Version, doc.OpenAPI)
	require.True(t, doc.IsOpenAPI31OrLater())
	require.Equal(t, Title, doc.Info.Title)
	require.Contains(t, doc.Info.Description, "吹哨报到")
	require.Contains(t, doc.Info.Description, "The public REST API")
}

// TestEveryOperationTellsTheTruth checks what a client relies on, operation by operation.
func TestEveryOperationTellsTheTruth(t *testing.T) {
	t.Parallel()
	data, doc, err := loadCommitted()
	require.NoError(t, err)
	require.Equal(t, "bearer", doc.Components.SecuritySchemes[BearerScheme].Value.Scheme)
	require.Equal(t, "JWT", doc.Components.SecuritySchemes[BearerScheme].Value.BearerFormat)
	require.Equal(t, openapi3.SecurityRequirements{{BearerScheme: []string{}}, {SessionScheme: []string{}}}, doc.Security)
	require.NotContains(t, string(data), "google.rpc.Status", "the generator's error schema is not what the gateway sends")

	publics := map[string]bool{}
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			name := method + " " + path
			require.NotEmpty(t, op.OperationID, name)
			require.NotEmpty(t, op.Summary, name)
			if isPublic(op) {
				publics[name] = true
			}
			// Every error answer is the Error schema, with an example.
			def := op.Responses.Default()
			require.NotNil(t, def, "%s has a default error", name)
			for status, r := range op.Responses.Map() {
				if status[0] != '4' && status[0] != '5' && status != "default" {
					continue
				}
				require.Equal(t, "#/components/schemas/Error", r.Value.Content.Get("application/json").Schema.Ref, "%s %s", name, status)
				require.NotNil(t, r.Value.Content.Get("application/json").Example, "%s %s", name, status)
			}
			require.Equal(t, !isPublic(op), op.Responses.Value("401") != nil, "%s: 401 exactly when a token is required", name)
			// Examples on every request body and successful answer.
			if op.RequestBody != nil {
				for media, mt := range op.RequestBody.Value.Content {
					if media != mediaXLSX { // a binary workbook has no text to show
						require.NotNil(t, mt.Example, "%s request %s", name, media)
					}
				}
			}
			var success bool
			for status, r := range op.Responses.Map() {
				if status[0] != '2' {
					continue
				}
				success = true
				for media, mt := range r.Value.Content {
					if media != mediaXLSX {
						require.NotNil(t, mt.Example, "%s %s %s", name, status, media)
					}
				}
			}
			require.True(t, success || op.Responses.Value("302") != nil, "%s has a successful answer", name)
		}
	}
	for _, want := range []string{"POST /v1/public/reports", "GET /v1/public/results", "GET /v1/public/follow-ups/{token}",
		"POST /v1/dev/tokens", "GET /open311/v2/{file}", "GET /v1/version"} {
		require.True(t, publics[want], "%s is public", want)
	}
	for _, private := range []string{"POST /v1/whistles", "GET /v1/whistles/{id}", "POST /v1/dispatches/{id}:acknowledge", "GET /v1/stream"} {
		require.False(t, publics[private], "%s needs a token", private)
	}
	raise := doc.Paths.Find("/v1/whistles").Post
	require.NotNil(t, raise.Responses.Value("201"), "raising answers 201 Created")
	require.Nil(t, raise.Responses.Value("200"))
	csv := doc.Paths.Find("/v1/tickets:importCsv").Post.RequestBody.Value.Content
	for _, media := range []string{"application/json", mediaCSV, mediaXLSX} {
		require.Contains(t, csv, media)
	}
	require.Contains(t, doc.Paths.Find("/v1/stream").Get.Responses.Status(http.StatusOK).Value.Content, mediaSSE)
}

// TestErrorSchemaMatchesTheGateway decodes the example of every error
// response as the gateway's body and back.
func TestErrorSchemaMatchesTheGateway(t *testing.T) {
	t.Parallel()
	_, doc, err := loadCommitted()
	require.NoError(t, err)
	// The body apierror.Write sends for a bad field, byte for byte.
	body := `{"error":{"code":"INVALID_ARGUMENT","message":"malformed JSON body","details":[{"field":"body","reason":"unexpected EOF"}]}}`
	var v any
	require.NoError(t, json.Unmarshal([]byte(body), &v))
	schema := doc.Components.Schemas[ErrorSchema].Value
	require.NoError(t, schema.VisitJSON(v, openapi3.EnableJSONSchema2020()))
	for _, bad := range []string{`{"code":"NOT_FOUND","message":"x"}`, `{"error":{"code":"NOT_FOUND","message":"x"}}`, `{"error":{"code":1,"message":"x","details":[]}}`} {
		require.NoError(t, json.Unmarshal([]byte(bad), &v))
		require.Error(t, schema.VisitJSON(v, openapi3.EnableJSONSchema2020()), "%s is not the gateway's error body", bad)
	}
	require.True(t, strings.HasPrefix(doc.Components.Responses["Unauthorized"].Value.Headers["WWW-Authenticate"].Value.Description, "Bearer"))
}
