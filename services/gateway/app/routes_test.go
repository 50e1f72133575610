package app_test

import (
	"crypto/ed25519"
	"encoding/json"
	"net/http"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/chuishao/whistle/platform/auth"
	"github.com/chuishao/whistle/platform/bus/natstest"
	"github.com/chuishao/whistle/services/gateway/app"
	"github.com/chuishao/whistle/services/gateway/internal/routes"
)

// everythingOn is a gateway configuration with every optional route on:
// dev auth, Open311, the console, the stream and the OIDC sign-in (whose
// provider is never reached: no route here signs anyone in).
func everythingOn(t *testing.T) func(*app.Config) {
	key := func() string {
		_, priv, err := ed25519.GenerateKey(nil)
		require.NoError(t, err)
		return auth.EncodeKey(priv.Seed())
	}
	pub, _, err := ed25519.GenerateKey(nil)
	require.NoError(t, err)
	natsURL := natstest.Start(t)
	return func(c *app.Config) {
		c.DevAuth, c.DevSigningKey = true, key()
		c.Open311SigningKey, c.Open311Keys = key(), "0123456789abcdef:110101001"
		c.Console = http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("console")) })
		c.NATSURL, c.JWTPublicKey = natsURL, auth.EncodeKey(pub)
		c.OIDC = app.OIDCConfig{Issuer: "http://" + deadAddr(t), ClientID: "console", SigningKey: key(),
			RedirectURL: "http://127.0.0.1:8080/auth/callback"}
	}
}

// concrete is a path of pattern: wildcards get a UUID, an Open311 file
// a .json name, "{$}" nothing.
func concrete(pattern string) string {
	path := routes.Route{Pattern: pattern}.Path()
	path = strings.ReplaceAll(path, "{$}", "")
	path = strings.ReplaceAll(path, "{file}", "x.json")
	return regexp.MustCompile(`\{[^}]+\}`).ReplaceAllString(path, "0b7e1a3c-5f2d-4c1e-9a8b-2d3c4e5f6a7b")
}

// TestEveryRouteOfTheTableIsServed: with every feature on, each route of
// the gateway's own table answers from its handler, never from the REST
// API's "no such path"; and no method and path is listed twice.
func TestEveryRouteOfTheTableIsServed(t *testing.T) {
	t.Parallel()
	a := startApp(t, "", everythingOn(t))
	base := "http://" + a.HTTPAddr()
	table := a.Routes()
	require.NotEmpty(t, table)
	seen := map[string]bool{}
	for _, r := range table {
		require.False(t, seen[r.Pattern], "%s is listed twice", r.Pattern)
		seen[r.Pattern] = true
		require.False(t, r.Off, "%s is off with every feature on", r.Pattern)
		require.NotEmpty(t, r.Access, "%s says who may call it", r.Pattern)
		require.NotEmpty(t, r.Note, "%s says what it serves", r.Pattern)

		method := r.Method()
		if method == "" {
			method = http.MethodGet
		}
		req, err := http.NewRequest(method, base+concrete(r.Pattern), strings.NewReader("x"))
		require.NoError(t, err)
		req.Header.Set("Content-Type", "application/json")
		if len(r.Media) > 0 {
			req.Header.Set("Content-Type", r.Media[0])
		}
		client := http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		resp, err := client.Do(req)
		require.NoError(t, err, r.Pattern)
		var body struct {
			Error struct {
				Message string `json:"message"`
			} `json:"error"`
		}
		_ = json.NewDecoder(resp.Body).Decode(&body)
		_ = resp.Body.Close()
		require.False(t, strings.HasPrefix(body.Error.Message, "no such path"), "%s %s reached the REST API: %d %s",
			method, concrete(r.Pattern), resp.StatusCode, body.Error.Message)
	}
}

// TestRoutesOfFeaturesThatAreOffAreNotServed: without dev auth, Open311,
// the console, NATS or sign-in their routes are the REST API's 404.
func TestRoutesOfFeaturesThatAreOffAreNotServed(t *testing.T) {
	t.Parallel()
	a := startApp(t, "", nil)
	base := "http://" + a.HTTPAddr()
	var off []string
	for _, r := range a.Routes() {
		if !r.Off {
			continue
		}
		off = append(off, r.Pattern)
		method := r.Method()
		if method == "" {
			method = http.MethodGet
		}
		code, out := do(t, method, base+concrete(r.Pattern), "", nil)
		require.Equal(t, http.StatusNotFound, code, "%s: %s", r.Pattern, out)
		require.Contains(t, decodeError(t, out).Error.Message, "no such path", r.Pattern)
	}
	require.Contains(t, off, "/v1/stream")
	require.Contains(t, off, "GET /auth/login")
}

// TestTheRouteTableIsDocumented: docs/architecture.md lists the same
// patterns as the table, so a reader of the docs sees every route.
func TestTheRouteTableIsDocumented(t *testing.T) {
	t.Parallel()
	a := startApp(t, "", nil)
	doc, err := os.ReadFile("../../../docs/architecture.md")
	require.NoError(t, err)
	_, section, ok := strings.Cut(string(doc), "\n### The gateway's route table\n")
	require.True(t, ok, "docs/architecture.md has a section on the gateway's route table")
	section, _, _ = strings.Cut(section, "\n#")
	var documented []string
	for _, m := range regexp.MustCompile("(?m)^\\| `([^`]+)`").FindAllStringSubmatch(section, -1) {
		documented = append(documented, m[1])
	}
	var listed []string
	for _, r := range a.Routes() {
		listed = append(listed, r.Pattern)
	}
	slices.Sort(documented)
	slices.Sort(listed)
	require.Equal(t, listed, documented)
}
