package ctl_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/chuishao/whistle/cli/internal/ctl"
)

// request is what the fake gateway saw.
type request struct {
	Method, Path string
	Query        map[string][]string
	Header       http.Header
	Body         map[string]any
	// Raw is a body that is no JSON (a file upload).
	Raw []byte
}

// fakeGateway answers every request with one canned response and records it.
type fakeGateway struct {
	mu     sync.Mutex
	seen   []request
	status int
	body   string
}

func startFake(t *testing.T, status int, body string) (*fakeGateway, string) {
	t.Helper()
	f := &fakeGateway{status: status, body: body}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		raw, _ := io.ReadAll(r.Body)
		var body map[string]any
		if len(raw) > 0 && r.Header.Get("Content-Type") == "application/json" {
			require.NoError(t, json.Unmarshal(raw, &body), "request body must be JSON: %s", raw)
		}
		f.mu.Lock()
		f.seen = append(f.seen, request{Method: r.Method, Path: r.URL.Path, Query: r.URL.Query(), Header: r.Header.Clone(), Body: body, Raw: raw})
		f.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(f.status)
		_, _ = io.WriteString(w, f.body)
	}))
	t.Cleanup(srv.Close)
	return f, srv.URL
}

func (f *fakeGateway) last(t *testing.T) request {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	require.NotEmpty(t, f.seen, "the gateway was not called")
	return f.seen[len(f.seen)-1]
}

// run executes whistlectl with args and env; it returns exit code, stdout, stderr.
func run(t *testing.T, env map[string]string, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := ctl.Execute(context.Background(), args, &out, &errOut, func(k string) string { return env[k] })
	return code, out.String(), errOut.String()
}

// streetToken is an unsigned token shape carrying a street claim; the fake
// gateway does not verify it, the CLI only reads the claim for defaults.
func streetToken() string {
	enc := base64.RawURLEncoding.EncodeToString
	return enc([]byte(`{"alg":"EdDSA"}`)) + "." + enc([]byte(`{"role":"street","street":"110101001","district":"110101"}`)) + ".sig"
}

var raisedAt = time.Date(2026, 3, 2, 1, 0, 0, 0, time.UTC)

const whistleJSON = `{
  "id": "w-1", "street_id": "110101001", "district_id": "110101", "category": "joint-enforcement",
  "title": "", "description": "占道经营", "address": "", "location": {"lat": 39.9125, "lng": 116.4015},
  "urgency": "HIGH", "status": "RESPONDING", "raised_at": "2026-03-02T01:00:00Z", "updated_at": null,
  "resolved_at": null, "closed_at": null, "satisfaction": 0, "feedback_comment": "",
  "raised_by": {"role": "street", "id": "dev-street-110101001"},
  "dispatches": [{"id": "d-1", "whistle_id": "w-1", "department": "police", "status": "ACKNOWLEDGED",
    "dispatched_at": "2026-03-02T01:00:01Z",
    "deadlines": {"ack_by": "2026-03-02T01:05:01Z", "arrive_by": "2026-03-02T01:30:01Z", "resolve_by": null},
    "breaches": [], "some_future_field": true}]
}`

const dispatchJSON = `{"id": "d-1", "whistle_id": "w-1", "district_id": "110101", "department": "police", "status": "ARRIVED",
  "dispatched_at": "2026-03-02T01:00:01Z", "arrived_at": "2026-03-02T01:20:00Z",
  "arrival_location": {"lat": 39.9126, "lng": 116.4016}, "arrival_distance_m": 14, "arrival_far": false,
  "deadlines": {"ack_by": "2026-03-02T01:05:01Z", "arrive_by": "2026-03-02T01:30:01Z", "resolve_by": null}}`

func TestRaiseSendsTheContractRequestAndPrintsTheWhistle(t *testing.T) {
	t.Parallel()
	fake, url := startFake(t, http.StatusCreated, whistleJSON)
	env := map[string]string{"WHISTLE_URL": url, "WHISTLE_TOKEN": streetToken()}

	code, out, errOut := run(t, env, "raise", "--category", "joint-enforcement", "--description", "占道经营",
		"--lat", "39.9125", "--lng", "116.4015", "--urgency", "high")
	require.Equal(t, 0, code, errOut)

	req := fake.last(t)
	require.Equal(t, http.MethodPost, req.Method)
	require.Equal(t, "/v1/whistles", req.Path)
	require.Equal(t, "Bearer "+streetToken(), req.Header.Get("Authorization"))
	require.NotEmpty(t, req.Header.Get("Idempotency-Key"), "raises are retry-safe")
	require.Equal(t, "110101001", req.Body["street_id"], "a street token raises for its own street")
	require.Equal(t, "joint-enforcement", req.Body["category"])
	require.Equal(t, "HIGH", req.Body["urgency"])
	require.Equal(t, map[string]any{"lat": 39.9125, "lng": 116.4015}, req.Body["location"])

	require.Contains(t, out, "w-1")
	require.Contains(t, out, "RESPONDING")
	require.Contains(t, out, raisedAt.Local().Format(ctl.TimeLayout))
	require.Contains(t, out, "DISPATCHES")
	require.Regexp(t, `d-1\s+w-1\s+police\s+ACKNOWLEDGED`, out)
}

func TestRaiseKeepsAGivenIdempotencyKey(t *testing.T) {
	t.Parallel()
	fake, url := startFake(t, http.StatusCreated, whistleJSON)
	code, _, errOut := run(t, map[string]string{"WHISTLE_TOKEN": "t"}, "--url", url, "raise", "--street", "110101002",
		"--category", "noise", "--description", "d", "--lat", "1", "--lng", "2", "--idempotency-key", "k-1")
	require.Equal(t, 0, code, errOut)
	req := fake.last(t)
	require.Equal(t, "k-1", req.Header.Get("Idempotency-Key"))
	require.Equal(t, "110101002", req.Body["street_id"])
}

func TestJSONOutputIsTheGatewayAnswer(t *testing.T) {
	t.Parallel()
	_, url := startFake(t, http.StatusOK, whistleJSON)
	code, out, errOut := run(t, map[string]string{"WHISTLE_URL": url, "WHISTLE_TOKEN": "t"}, "show", "w-1", "-o", "json")
	require.Equal(t, 0, code, errOut)
	var got map[string]any
	require.NoError(t, json.Unmarshal([]byte(out), &got))
	require.Equal(t, "w-1", got["id"])
	require.Equal(t, "RESPONDING", got["status"])
}

func TestAPIErrorsArePrintedWithFieldReasons(t *testing.T) {
	t.Parallel()
	_, url := startFake(t, http.StatusBadRequest,
		`{"error":{"code":"INVALID_ARGUMENT","message":"invalid request: category: unknown category \"x\"","details":[{"field":"category","reason":"unknown category \"x\""}]}}`)
	code, out, errOut := run(t, map[string]string{"WHISTLE_URL": url, "WHISTLE_TOKEN": "t"},
		"raise", "--street", "110101001", "--category", "x", "--description", "d", "--lat", "1", "--lng", "2")
	require.Equal(t, 1, code)
	require.Empty(t, out)
	require.Contains(t, errOut, "error: INVALID_ARGUMENT (HTTP 400)")
	require.Contains(t, errOut, `  category: unknown category "x"`)
}

func TestForbiddenAndNotFound(t *testing.T) {
	t.Parallel()
	_, url := startFake(t, http.StatusForbidden, `{"error":{"code":"PERMISSION_DENIED","message":"desks cannot raise whistles","details":[]}}`)
	code, _, errOut := run(t, map[string]string{"WHISTLE_URL": url, "WHISTLE_TOKEN": "t"}, "ack", "d-1")
	require.Equal(t, 1, code)
	require.Contains(t, errOut, "PERMISSION_DENIED (HTTP 403): desks cannot raise whistles")

	_, url = startFake(t, http.StatusBadGateway, `<html>bad gateway</html>`)
	code, _, errOut = run(t, map[string]string{"WHISTLE_URL": url, "WHISTLE_TOKEN": "t"}, "show", "w-1")
	require.Equal(t, 1, code)
	require.Contains(t, errOut, "HTTP 502")
	require.Contains(t, errOut, "bad gateway", "a body not in the contract's shape is shown as it came")
}

func TestWithoutATokenSaysHowToGetOne(t *testing.T) {
	t.Parallel()
	fake, url := startFake(t, http.StatusOK, `{}`)
	code, _, errOut := run(t, map[string]string{"WHISTLE_URL": url}, "list")
	require.Equal(t, 1, code)
	require.Contains(t, errOut, "whistlectl login")
	require.Contains(t, errOut, "WHISTLE_TOKEN")
	fake.mu.Lock()
	defer fake.mu.Unlock()
	require.Empty(t, fake.seen)
}

func TestUnreachableGateway(t *testing.T) {
	t.Parallel()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := lis.Addr().String()
	require.NoError(t, lis.Close())
	code, _, errOut := run(t, map[string]string{"WHISTLE_TOKEN": "t"}, "--url", "http://"+addr, "list")
	require.Equal(t, 1, code)
	require.Contains(t, errOut, "cannot reach the gateway at http://"+addr)
}

func TestTokenAsksDevSignInWithoutAuthorization(t *testing.T) {
	t.Parallel()
	fake, url := startFake(t, http.StatusOK, `{"token":"eyJ.abc.def"}`)
	code, out, errOut := run(t, map[string]string{"WHISTLE_URL": url, "WHISTLE_TOKEN": "old"},
		"token", "--role", "desk", "--district", "110101", "--department", "police")
	require.Equal(t, 0, code, errOut)
	require.Equal(t, "eyJ.abc.def\n", out, "just the token, for $(...)")
	req := fake.last(t)
	require.Equal(t, "/v1/dev/tokens", req.Path)
	require.Empty(t, req.Header.Get("Authorization"))
	require.Equal(t, map[string]any{"role": "desk", "district_id": "110101", "department": "police"}, req.Body)

	code, _, errOut = run(t, map[string]string{"WHISTLE_URL": url}, "token")
	require.Equal(t, 1, code)
	require.Contains(t, errOut, `"role" not set`)
}

func TestListAndQueueFilters(t *testing.T) {
	t.Parallel()
	fake, url := startFake(t, http.StatusOK, `{"whistles":[`+whistleJSON+`],"next_page_token":"p2"}`)
	env := map[string]string{"WHISTLE_URL": url, "WHISTLE_TOKEN": "t"}
	code, out, errOut := run(t, env, "list", "--status", "responding")
	require.Equal(t, 0, code, errOut)
	req := fake.last(t)
	require.Equal(t, "/v1/whistles", req.Path)
	require.Equal(t, []string{"RESPONDING"}, req.Query["status"])
	require.Regexp(t, `w-1\s+RESPONDING\s+HIGH\s+joint-enforcement\s+110101001`, out)
	require.Contains(t, out, "--page-token p2")

	fake, url = startFake(t, http.StatusOK, `{"dispatches":[`+dispatchJSON+`],"next_page_token":""}`)
	env["WHISTLE_URL"] = url
	code, out, errOut = run(t, env, "queue", "--status", "pending")
	require.Equal(t, 0, code, errOut)
	req = fake.last(t)
	require.Equal(t, "/v1/dispatches", req.Path)
	require.Equal(t, []string{"PENDING"}, req.Query["status"])
	require.Regexp(t, `d-1\s+w-1\s+police\s+ARRIVED`, out)
	require.Contains(t, out, time.Date(2026, 3, 2, 1, 30, 1, 0, time.UTC).Local().Format(ctl.TimeLayout), "arrive-by deadline")

	code, _, errOut = run(t, env, "queue", "--status", "lost")
	require.Equal(t, 1, code)
	require.Contains(t, errOut, "ACKNOWLEDGED, ARRIVED, CANCELLED, PENDING, RESOLVED, RETURNED")
}

func TestDispatchActions(t *testing.T) {
	t.Parallel()
	fake, url := startFake(t, http.StatusOK, dispatchJSON)
	env := map[string]string{"WHISTLE_URL": url, "WHISTLE_TOKEN": "desk"}
	for _, tc := range []struct {
		args []string
		path string
		body map[string]any
	}{
		{[]string{"ack", "d-1"}, "/v1/dispatches/d-1:acknowledge", map[string]any{}},
		{[]string{"arrive", "d-1", "--lat", "39.9126", "--lng", "116.4016"}, "/v1/dispatches/d-1:arrive",
			map[string]any{"location": map[string]any{"lat": 39.9126, "lng": 116.4016}}},
		{[]string{"resolve", "d-1", "--summary", "摊贩已劝离"}, "/v1/dispatches/d-1:resolve", map[string]any{"summary": "摊贩已劝离"}},
		{[]string{"return", "d-1", "--reason", "违建属住建", "--code", "needs_another_department", "--department", "housing"}, "/v1/dispatches/d-1:return",
			map[string]any{"reason": "违建属住建", "reason_code": "NEEDS_ANOTHER_DEPARTMENT", "department": "housing"}},
	} {
		code, out, errOut := run(t, env, tc.args...)
		require.Equal(t, 0, code, "%v: %s", tc.args, errOut)
		req := fake.last(t)
		require.Equal(t, http.MethodPost, req.Method, tc.args)
		require.Equal(t, tc.path, req.Path, tc.args)
		require.Equal(t, tc.body, req.Body, tc.args)
		require.Equal(t, "Bearer desk", req.Header.Get("Authorization"))
		require.Regexp(t, `STATUS\s+ARRIVED`, out)
		require.Contains(t, out, "14 m from the whistle")
	}

	code, _, errOut := run(t, env, "return", "d-1", "--code", "duplicate")
	require.Equal(t, 1, code)
	require.Contains(t, errOut, `"reason" not set`, "a return needs a reason")
	code, _, errOut = run(t, env, "return", "d-1", "--reason", "x", "--code", "other")
	require.Equal(t, 1, code)
	require.Contains(t, errOut, "--code must be", "a return needs a known code")
}

func TestFeedbackAndTimeline(t *testing.T) {
	t.Parallel()
	fake, url := startFake(t, http.StatusOK, whistleJSON)
	env := map[string]string{"WHISTLE_URL": url, "WHISTLE_TOKEN": "t"}
	code, _, errOut := run(t, env, "feedback", "w-1", "--satisfaction", "5", "--comment", "很快")
	require.Equal(t, 0, code, errOut)
	req := fake.last(t)
	require.Equal(t, "/v1/whistles/w-1:feedback", req.Path)
	require.Equal(t, map[string]any{"satisfaction": float64(5), "comment": "很快"}, req.Body)

	fake, url = startFake(t, http.StatusOK, `{"entries":[
	  {"seq":"1","type":"whistle.raised","at":"2026-03-02T01:00:00Z","actor":{"role":"street","id":"s1"},"dispatch_id":"","department":"","data":{},"hash":"h1","prev_hash":""},
	  {"seq":"2","type":"dispatch.acknowledged","at":"2026-03-02T01:02:00Z","actor":{"role":"desk","id":"p1"},"dispatch_id":"d-1","department":"police","data":{},"hash":"h2","prev_hash":"h1"}]}`)
	env["WHISTLE_URL"] = url
	code, out, errOut := run(t, env, "timeline", "w-1")
	require.Equal(t, 0, code, errOut)
	require.Equal(t, "/v1/whistles/w-1/timeline", fake.last(t).Path)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	require.Len(t, lines, 3)
	require.Regexp(t, `^1\s+.*whistle\.raised\s+street:s1`, lines[1])
	require.Regexp(t, `^2\s+.*dispatch\.acknowledged\s+desk:p1\s+police\s+d-1`, lines[2])
}

func TestBadOutputFormat(t *testing.T) {
	t.Parallel()
	code, _, errOut := run(t, map[string]string{"WHISTLE_TOKEN": "t"}, "list", "-o", "xml")
	require.Equal(t, 1, code)
	require.Contains(t, errOut, "-o must be table, json, yaml")
}
