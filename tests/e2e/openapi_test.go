package e2e_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
	"github.com/stretchr/testify/require"

	"github.com/chuishao/whistle/proto/openapi"
)

// validateAnswers makes s.do validate every answer against the committed
// OpenAPI document (-openapi=false turns it off, e.g. to bisect a failure).
var validateAnswers = flag.Bool("openapi", true, "validate every REST answer of the e2e tests against proto/openapi/whistle.openapi.json")

// apiRouter finds a request's operation in the document; loaded once.
var apiRouter = sync.OnceValues(func() (routers.Router, error) {
	doc, err := openapi3.NewLoader().LoadFromData(openapi.JSON)
	if err != nil {
		return nil, err
	}
	if err := doc.Validate(context.Background()); err != nil {
		return nil, err
	}
	// The scorecard page is HTML, decoded as text like text/plain.
	openapi3filter.RegisterBodyDecoder("text/html", openapi3filter.PlainBodyDecoder)
	// The printed forms are PDF files.
	openapi3filter.RegisterBodyDecoder("application/pdf", openapi3filter.FileBodyDecoder)
	// The document names no server (its paths are relative to the gateway
	// serving it); the router needs one to match paths at all.
	doc.Servers = openapi3.Servers{{URL: "/"}}
	return gorillamux.NewRouter(doc)
})

// checkAnswer fails t unless the answer to req is what the OpenAPI document
// says the operation answers (status, headers, body against its schema). A
// path or method the document does not know may only be refused (404/405).
func checkAnswer(t *testing.T, req *http.Request, status int, header http.Header, body []byte) {
	t.Helper()
	if !*validateAnswers {
		return
	}
	router, err := apiRouter()
	require.NoError(t, err, "the OpenAPI document loads")
	route, params, err := router.FindRoute(req)
	if err != nil {
		require.True(t, errors.Is(err, routers.ErrPathNotFound) || errors.Is(err, routers.ErrMethodNotAllowed), "find %s %s: %v", req.Method, req.URL.Path, err)
		require.Contains(t, []int{http.StatusNotFound, http.StatusMethodNotAllowed}, status,
			"%s %s answered %d but is not in the OpenAPI document: describe a hand-written route in tools/openapi/handwritten.go, then make generate", req.Method, req.URL.Path, status)
		return
	}
	// The same answer to the same operation validates the same way: each is
	// checked once per run (the validator compiles the schema on every call,
	// and the authorisation matrices get thousands of identical refusals).
	sum := sha256.Sum256(body)
	key := fmt.Sprintf("%s %s %d %s %x", route.Method, route.Path, status, header.Get("Content-Type"), sum)
	if r := route.Operation.Responses.Status(status); r != nil && r.Value != nil {
		for _, name := range slices.Sorted(maps.Keys(r.Value.Headers)) {
			key += " " + name + "=" + header.Get(name)
		}
	}
	if _, done := validAnswers.Load(key); done {
		return
	}
	defer func() {
		if !t.Failed() {
			validAnswers.Store(key, struct{}{})
		}
	}()
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route},
		Status:                 status,
		Header:                 header,
		Body:                   io.NopCloser(bytes.NewReader(body)),
		Options:                &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true},
	}
	require.NoError(t, openapi3filter.ValidateResponse(req.Context(), in),
		"%s %s (%s) answered %d: %s", req.Method, req.URL.Path, route.Operation.OperationID, status, body)
}

// validAnswers are the answers checkAnswer has found valid (keyed by
// operation, status, content type, the headers the document declares for
// the answer and a hash of the body).
var validAnswers sync.Map

// checkRequest fails t unless a request s.do would send is one the document
// accepts: parameters, body and security (a bearer token where one is required).
func checkRequest(t *testing.T, s *system, method, path, token string, body any) {
	t.Helper()
	require.NoError(t, validateRequest(t, s.url, method, path, token, body), "%s %s", method, path)
}

func validateRequest(t *testing.T, base, method, path, token string, body any) error {
	t.Helper()
	router, err := apiRouter()
	require.NoError(t, err)
	var data []byte
	if body != nil {
		data, err = json.Marshal(body)
		require.NoError(t, err)
	}
	req, err := http.NewRequest(method, base+path, bytes.NewReader(data))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	route, params, err := router.FindRoute(req)
	if err != nil {
		return err
	}
	return openapi3filter.ValidateRequest(req.Context(), &openapi3filter.RequestValidationInput{
		Request: req, PathParams: params, Route: route,
		Options: &openapi3filter.Options{MultiError: true, AuthenticationFunc: func(_ context.Context, in *openapi3filter.AuthenticationInput) error {
			if in.SecuritySchemeName == "bearer" && strings.HasPrefix(in.RequestValidationInput.Request.Header.Get("Authorization"), "Bearer ") {
				return nil
			}
			return errors.New("no " + in.SecuritySchemeName)
		}},
	})
}

// TestAnswersMatchTheOpenAPIDocument walks a whistle's life and the usual
// refusals through s.do, whose every answer checkAnswer validates (the
// successful requests are validated too); it fails on the old Swagger
// document (no such error schema, 200 on raise, no null).
func TestAnswersMatchTheOpenAPIDocument(t *testing.T) {
	t.Parallel()
	s := startSystem(t, options{})
	id, w := raise(t, s, donghuamen, "garbage", 2)
	street := streetToken(t, s, donghuamen)
	dispatch := dispatchOf(t, w, str(obj(list(w["dispatches"])[0])["department"]))
	desk := deskToken(t, s, dongcheng, str(dispatch["department"]))

	for _, c := range []struct {
		method, path, token string
		body                any
		want                int
	}{
		{http.MethodGet, "/v1/whistles", street, nil, http.StatusOK},
		{http.MethodGet, "/v1/whistles/" + id, street, nil, http.StatusOK},
		{http.MethodGet, "/v1/whistles/" + id + "/timeline", street, nil, http.StatusOK},
		{http.MethodGet, "/v1/dispatches", desk, nil, http.StatusOK},
		{http.MethodGet, "/v1/dispatches/" + str(dispatch["id"]), desk, nil, http.StatusOK},
		{http.MethodPost, "/v1/dispatches/" + str(dispatch["id"]) + ":acknowledge", desk, map[string]any{}, http.StatusOK},
		{http.MethodGet, "/v1/categories", street, nil, http.StatusOK},
		{http.MethodGet, "/v1/public/results?district_id=" + dongcheng, "", nil, http.StatusOK},
		{http.MethodGet, "/v1/version", "", nil, http.StatusOK},
		{http.MethodGet, "/v1/time", "", nil, http.StatusOK},
		// The refusals: one error shape each.
		{http.MethodPost, "/v1/whistles", street, map[string]any{"street_id": donghuamen}, http.StatusBadRequest},
		{http.MethodPost, "/v1/whistles", street, "{not json", http.StatusBadRequest},
		{http.MethodGet, "/v1/whistles", "", nil, http.StatusUnauthorized},
		{http.MethodGet, "/v1/whistles/" + id, streetToken(t, s, "110101002"), nil, http.StatusNotFound}, // another street: no hint it exists
		{http.MethodGet, "/v1/whistles/0193b7e2-5c1a-7d3e-9f10-2a4b6c8d0e1f", street, nil, http.StatusNotFound},
		{http.MethodPost, "/v1/dispatches/" + str(dispatch["id"]) + ":acknowledge", street, map[string]any{}, http.StatusForbidden},
		{http.MethodGet, "/v1/no-such-route", street, nil, http.StatusNotFound},
	} {
		if c.want < 400 {
			checkRequest(t, s, c.method, c.path, c.token, c.body)
		}
		r := s.do(t, c.method, c.path, c.token, c.body)
		require.Equal(t, c.want, r.status, "%s %s: %s", c.method, c.path, r.raw)
		if c.want >= 400 {
			e := obj(r.body["error"])
			require.NotEmpty(t, e["code"], r.raw)
			require.True(t, slices.Contains([]string{"INVALID_ARGUMENT", "UNAUTHENTICATED", "PERMISSION_DENIED", "NOT_FOUND"}, str(e["code"])), r.raw)
		}
	}
}

// TestCheckAnswerRefusesWhatTheDocumentDoesNotSay shows the validator is not
// vacuous: the old error body and an undocumented route fail.
func TestCheckAnswerRefusesWhatTheDocumentDoesNotSay(t *testing.T) {
	t.Parallel()
	router, err := apiRouter()
	require.NoError(t, err)
	validate := func(method, path string, status int, body string) error {
		req, err := http.NewRequest(method, "http://gateway"+path, nil)
		require.NoError(t, err)
		route, params, err := router.FindRoute(req)
		if err != nil {
			return err
		}
		return openapi3filter.ValidateResponse(context.Background(), &openapi3filter.ResponseValidationInput{
			RequestValidationInput: &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route},
			Status:                 status, Header: http.Header{"Content-Type": {"application/json"}},
			Body: io.NopCloser(bytes.NewBufferString(body)), Options: &openapi3filter.Options{IncludeResponseStatus: true},
		})
	}
	require.NoError(t, validate(http.MethodGet, "/v1/whistles/w1", 404, `{"error":{"code":"NOT_FOUND","message":"no such whistle","details":[]}}`))
	require.Error(t, validate(http.MethodGet, "/v1/whistles/w1", 404, `{"code":5,"message":"no such whistle","details":[]}`),
		"google.rpc.Status, the old document's error schema, is not what the gateway sends")
	require.Error(t, validate(http.MethodGet, "/v1/whistles/w1", 200, `{"id":7}`))
	require.Error(t, validate(http.MethodGet, "/v1/nowhere", 200, `{}`))

	// Requests: the documented body and security hold a wrong one back.
	raise := map[string]any{"street_id": donghuamen, "category": "garbage", "description": "垃圾堆放",
		"location": map[string]any{"lat": 39.9146, "lng": 116.4036}, "urgency": "HIGH"}
	require.NoError(t, validateRequest(t, "http://gateway", http.MethodPost, "/v1/whistles", "tok", raise))
	require.Error(t, validateRequest(t, "http://gateway", http.MethodPost, "/v1/whistles", "", raise), "a token is required")
	require.Error(t, validateRequest(t, "http://gateway", http.MethodPost, "/v1/whistles", "tok", map[string]any{"location": "here"}))
	require.Error(t, validateRequest(t, "http://gateway", http.MethodPost, "/v1/whistles", "tok", map[string]any{"urgency": "VERY"}))
	require.NoError(t, validateRequest(t, "http://gateway", http.MethodGet, "/v1/public/results?district_id="+dongcheng, "", nil), "public")
}
