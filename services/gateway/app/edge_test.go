package app_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/chuishao/whistle/platform/clock"
	"github.com/chuishao/whistle/platform/service"
	"github.com/chuishao/whistle/platform/version"
	"github.com/chuishao/whistle/proto/openapi"
	"github.com/chuishao/whistle/services/gateway/app"
)

// TestEveryDocumentedRouteIsServed walks /openapi.json and calls every path
// and method generated from the protos: each must reach a backend (here a
// dead one: 503), never the router's 404 or 405. The gateway's own routes
// (tags Edge, SignIn, Open311) answer without a backend and are left out.
func TestEveryDocumentedRouteIsServed(t *testing.T) {
	t.Parallel()
	base := startGateway(t, "", nil)

	code, raw := do(t, http.MethodGet, base+"/openapi.json", "", nil)
	require.Equal(t, http.StatusOK, code)
	served, err := openapi.WithVersion(version.Get().Version)
	require.NoError(t, err)
	require.JSONEq(t, string(served), string(raw), "the served document is the committed one with the build's version")
	var doc struct {
		OpenAPI string `json:"openapi"`
		Info    struct {
			Version string `json:"version"`
		} `json:"info"`
		Paths map[string]map[string]struct {
			Tags []string `json:"tags"`
		} `json:"paths"`
	}
	require.NoError(t, json.Unmarshal(raw, &doc))
	require.Equal(t, "3.1.0", doc.OpenAPI)
	require.Equal(t, version.Get().Version, doc.Info.Version)
	require.NotEmpty(t, doc.Paths)

	param := regexp.MustCompile(`\{[^}]+\}`)
	var walked []string
	for path, methods := range doc.Paths {
		// {id} and {date} alike: any value routes; the backend judges it.
		concrete := param.ReplaceAllString(path, "1")
		for method, op := range methods {
			if method == "parameters" || slices.ContainsFunc(op.Tags, func(tag string) bool {
				return tag == "Edge" || tag == "SignIn" || tag == "Open311"
			}) {
				continue
			}
			m := strings.ToUpper(method)
			body := ""
			if m == http.MethodPost || m == http.MethodPut || m == http.MethodPatch {
				body = "{}"
			}
			code, out := do(t, m, base+concrete, body, map[string]string{"Authorization": "Bearer x"})
			e := decodeError(t, out)
			require.NotEqual(t, http.StatusNotFound, code, "%s %s is documented but not routed: %s", m, path, out)
			require.NotEqual(t, http.StatusMethodNotAllowed, code, "%s %s is documented but not routed: %s", m, path, out)
			require.Equal(t, http.StatusServiceUnavailable, code, "%s %s: %s", m, path, out)
			require.Equal(t, "UNAVAILABLE", e.Error.Code)
			walked = append(walked, m+" "+path)
		}
	}
	// The contract's core routes are among them.
	for _, want := range []string{"POST /v1/whistles", "GET /v1/whistles/{id}", "GET /v1/dispatches", "POST /v1/dispatches/{id}:acknowledge", "GET /v1/whistles/{whistle_id}/timeline"} {
		require.True(t, slices.Contains(walked, want), "%s is documented (walked %v)", want, walked)
	}
}

func TestRateLimitsAnswer429WithRetryAfter(t *testing.T) {
	t.Parallel()
	t.Run("per token", func(t *testing.T) {
		t.Parallel()
		base := startGateway(t, "", func(c *app.Config) { c.RatePerToken, c.BurstPerToken = 1, 3 })
		// The fake clock stands still, so the bucket never refills during the test.
		for i := range 3 {
			code, _ := do(t, http.MethodGet, base+"/v1/whistles/w1", "", map[string]string{"Authorization": "Bearer alice"})
			require.Equal(t, http.StatusServiceUnavailable, code, "request %d passes the limiter", i)
		}
		resp := rawDo(t, http.MethodGet, base+"/v1/whistles/w1", map[string]string{"Authorization": "Bearer alice"})
		require.Equal(t, http.StatusTooManyRequests, resp.status)
		require.Equal(t, "RESOURCE_EXHAUSTED", decodeError(t, resp.body).Error.Code)
		secs, err := strconv.Atoi(resp.header.Get("Retry-After"))
		require.NoError(t, err)
		require.Equal(t, 1, secs, "one request per second: the next in a second")

		// Another token has its own bucket.
		code, _ := do(t, http.MethodGet, base+"/v1/whistles/w1", "", map[string]string{"Authorization": "Bearer bob"})
		require.Equal(t, http.StatusServiceUnavailable, code)
	})
	t.Run("per address", func(t *testing.T) {
		t.Parallel()
		base := startGateway(t, "", func(c *app.Config) { c.RatePerIP, c.BurstPerIP = 0.1, 2 })
		for _, tok := range []string{"a", "b"} {
			code, _ := do(t, http.MethodGet, base+"/v1/whistles/w1", "", map[string]string{"Authorization": "Bearer " + tok})
			require.Equal(t, http.StatusServiceUnavailable, code)
		}
		// A fresh token does not help: the address is spent.
		resp := rawDo(t, http.MethodGet, base+"/v1/whistles/w1", map[string]string{"Authorization": "Bearer c"})
		require.Equal(t, http.StatusTooManyRequests, resp.status)
		require.Equal(t, "10", resp.header.Get("Retry-After"))
		resp = rawDo(t, http.MethodGet, base+"/v1/time", nil)
		require.Equal(t, http.StatusTooManyRequests, resp.status, "unauthenticated requests count too")
	})
}

// TestRateLimitsKeyOnTheClientBehindATrustedProxy: behind the ingress every
// request comes from the proxy's address; with the proxy trusted each client
// named by X-Forwarded-For gets its own bucket, and without it (or from an
// untrusted peer) the header changes nothing.
func TestRateLimitsKeyOnTheClientBehindATrustedProxy(t *testing.T) {
	t.Parallel()
	get := func(base, xff string) int {
		resp := rawDo(t, http.MethodGet, base+"/v1/time", map[string]string{"X-Forwarded-For": xff})
		return resp.status
	}
	t.Run("trusted proxy", func(t *testing.T) {
		t.Parallel()
		base := startGateway(t, "", func(c *app.Config) { c.RatePerIP, c.BurstPerIP, c.TrustedProxies = 0.1, 1, "127.0.0.1/32" })
		require.NotEqual(t, http.StatusTooManyRequests, get(base, "203.0.113.7"))
		require.Equal(t, http.StatusTooManyRequests, get(base, "203.0.113.7"), "the same client is limited")
		require.NotEqual(t, http.StatusTooManyRequests, get(base, "203.0.113.8"), "another client behind the proxy is not")
		require.Equal(t, http.StatusTooManyRequests, get(base, "203.0.113.9, 203.0.113.8"),
			"what the client writes left of the proxy's entry does not give it a fresh bucket")
	})
	t.Run("no proxy trusted", func(t *testing.T) {
		t.Parallel()
		base := startGateway(t, "", func(c *app.Config) { c.RatePerIP, c.BurstPerIP = 0.1, 1 })
		require.NotEqual(t, http.StatusTooManyRequests, get(base, "203.0.113.7"))
		require.Equal(t, http.StatusTooManyRequests, get(base, "203.0.113.8"), "a made-up address does not help")
	})
	c := app.Config{HTTPAddr: "x", IntakeAddr: "x", DiscoveryAddr: "x", RoutingAddr: "x", ResponseAddr: "x", FeedbackAddr: "x", TrustedProxies: "10.0.0.0/8,ingress"}
	require.ErrorContains(t, c.Validate(), "WHISTLE_TRUSTED_PROXIES")
}

// TestPublicFormIsRateLimitedPerClient: the anonymous public's submissions
// have their own, tighter bucket per address; other requests do not spend it.
func TestPublicFormIsRateLimitedPerClient(t *testing.T) {
	t.Parallel()
	base := startGateway(t, "", func(c *app.Config) {
		c.RatePublicForm, c.BurstPublicForm, c.TrustedProxies = 0.1, 2, "127.0.0.1"
	})
	post := func(xff string) rawResponse {
		req, err := http.NewRequest(http.MethodPost, base+"/v1/public/reports", strings.NewReader(`{}`))
		require.NoError(t, err)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Forwarded-For", xff)
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		return rawResponse{status: resp.StatusCode, header: resp.Header, body: body}
	}
	for range 2 {
		require.Equal(t, http.StatusServiceUnavailable, post("203.0.113.7").status, "reaches the (dead) backend")
	}
	flood := post("203.0.113.7")
	require.Equal(t, http.StatusTooManyRequests, flood.status)
	require.Equal(t, "10", flood.header.Get("Retry-After"))
	require.Equal(t, http.StatusServiceUnavailable, post("203.0.113.8").status, "another resident is not held up")
	code, _ := do(t, http.MethodGet, base+"/v1/whistles/w1", "", map[string]string{"Authorization": "Bearer x", "X-Forwarded-For": "203.0.113.7"})
	require.Equal(t, http.StatusServiceUnavailable, code, "reads are not the form's")
}

func TestUnknownFieldsAreRejectedOnEveryBody(t *testing.T) {
	t.Parallel()
	base := startGateway(t, "", nil)
	for _, path := range []string{"/v1/whistles", "/v1/whistles/w1:cancel", "/v1/whistles/w1:feedback", "/v1/whistles/w1:reopen",
		"/v1/dispatches/d1:acknowledge", "/v1/dispatches/d1:arrive", "/v1/dispatches/d1:resolve", "/v1/dispatches/d1:return"} {
		code, out := do(t, http.MethodPost, base+path, `{"colour":"red"}`, map[string]string{"Authorization": "Bearer x"})
		require.Equal(t, http.StatusBadRequest, code, path)
		e := decodeError(t, out)
		require.Equal(t, "INVALID_ARGUMENT", e.Error.Code, path)
		require.Contains(t, e.Error.Details[0].Reason, "colour", path)
	}
}

func TestConfigNamesStreamAndOpen311Variables(t *testing.T) {
	t.Parallel()
	ok := app.Config{HTTPAddr: "x", IntakeAddr: "x", DiscoveryAddr: "x", RoutingAddr: "x", ResponseAddr: "x", FeedbackAddr: "x"}
	c := ok
	c.NATSURL = "nats://127.0.0.1:4222"
	require.ErrorContains(t, c.Validate(), "WHISTLE_JWT_PUBLIC_KEY")
	c = ok
	c.Open311Keys = "0123456789abcdef:110101001"
	require.ErrorContains(t, c.Validate(), "WHISTLE_OPEN311_SIGNING_KEY")
	c.Open311SigningKey = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="
	require.NoError(t, c.Validate())
	c.Open311Keys = "short:110101001"
	require.ErrorContains(t, c.Validate(), "WHISTLE_OPEN311_KEYS")
	c = ok
	c.RatePerIP = -1
	require.ErrorContains(t, c.Validate(), "WHISTLE_RATE_")
}

type rawResponse struct {
	status int
	header http.Header
	body   []byte
}

func rawDo(t *testing.T, method, url string, header map[string]string) rawResponse {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	require.NoError(t, err)
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return rawResponse{status: resp.StatusCode, header: resp.Header, body: body}
}

func TestInvalidDatesAndNumbersNameTheParameter(t *testing.T) {
	t.Parallel()
	base := startGateway(t, "", nil)
	for path, field := range map[string]string{
		"/v1/reports/sla?district=110101&from=yesterday": "from",
		"/v1/reports/sla?to=2026-13-45T00:00:00Z":        "to",
		"/v1/whistles?page_size=many":                    "page_size",
		"/v1/whistles?status=LOST":                       "status",
	} {
		code, out := do(t, http.MethodGet, base+path, "", map[string]string{"Authorization": "Bearer x"})
		require.Equal(t, http.StatusBadRequest, code, "%s: %s", path, out)
		e := decodeError(t, out)
		require.Equal(t, "INVALID_ARGUMENT", e.Error.Code, path)
		require.Len(t, e.Error.Details, 1, "%s: %s", path, out)
		require.Equal(t, field, e.Error.Details[0].Field, path)
	}
}

func TestTakenAddressIsAnErrorNotAPanic(t *testing.T) {
	t.Parallel()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer lis.Close()
	cfg := app.Config{HTTPAddr: lis.Addr().String(), IntakeAddr: "x:1", DiscoveryAddr: "x:1", RoutingAddr: "x:1", ResponseAddr: "x:1", FeedbackAddr: "x:1"}
	_, err = app.New(context.Background(), cfg, service.Deps{Log: slog.New(slog.DiscardHandler), Clock: clock.NewFake(t0)})
	require.ErrorContains(t, err, "WHISTLE_HTTP_ADDR")
}
