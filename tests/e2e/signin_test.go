package e2e_test

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/chuishao/whistle/cli/devoidc"
	"github.com/chuishao/whistle/cli/whistlectl"
	gatewayapp "github.com/chuishao/whistle/services/gateway/app"
)

// freeAddr is a loopback address with a port free a moment ago.
func freeAddr(t *testing.T) string {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := lis.Addr().String()
	require.NoError(t, lis.Close())
	return addr
}

// Client ids of the test provider.
const (
	testConsoleClient = "whistle-console"
	testConsoleSecret = "console-secret"
	testCLIClient     = "whistlectl"
)

// startSignInSystem starts the dev identity provider with the demo people and
// a system whose gateway signs people in through it.
func startSignInSystem(t *testing.T) (*system, *devoidc.Provider) {
	t.Helper()
	return startSignInSystemWith(t, 0, 0)
}

// startSignInSystemWith is startSignInSystem whose provider's access and ID
// tokens live accessTTL and idTTL (0: the defaults).
func startSignInSystemWith(t *testing.T, accessTTL, idTTL time.Duration) (*system, *devoidc.Provider) {
	t.Helper()
	idp, err := devoidc.Start(devoidc.Config{
		Addr: "127.0.0.1:0", People: devoidc.DemoPeople(), AccessTokenTTL: accessTTL, IDTokenTTL: idTTL,
		Clients: []devoidc.Client{
			{ID: testConsoleClient, Secret: testConsoleSecret, RedirectURIs: []string{"http://127.0.0.1:*/auth/callback"},
				PostLogoutRedirectURIs: []string{"http://127.0.0.1:*/"}},
			{ID: testCLIClient, RedirectURIs: []string{"http://127.0.0.1/callback"}},
		},
	})
	require.NoError(t, err)
	t.Cleanup(func() { _ = idp.Close() })
	s := startSystem(t, options{oidc: gatewayapp.OIDCConfig{
		Issuer: idp.Issuer(), ClientID: testConsoleClient, ClientSecret: testConsoleSecret, CLIClientID: testCLIClient,
		ClaimRole: devoidc.ClaimRole, ClaimStreet: devoidc.ClaimStreet, ClaimDistrict: devoidc.ClaimDistrict,
		ClaimDepartment: devoidc.ClaimDepartment, ClaimGrid: devoidc.ClaimGrid,
	}})
	eventually(t, "the gateway has loaded the grants", func() bool {
		resp, err := http.Get(s.opsURL + "/readyz")
		if err != nil {
			return false
		}
		_ = resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
	return s, idp
}

// browser is a person's browser: a cookie jar that follows redirects.
type browser struct {
	t      *testing.T
	s      *system
	client *http.Client
}

func newBrowser(t *testing.T, s *system) *browser {
	jar, err := cookiejar.New(nil)
	require.NoError(t, err)
	return &browser{t: t, s: s, client: &http.Client{Jar: jar}}
}

var authRequestID = regexp.MustCompile(`name="authRequestID" value="([^"]+)"`)

// signIn clicks "sign in with single sign-on", fills in the provider's
// login page and follows the redirects back; it returns the page it lands
// on and its status.
func (b *browser) signIn(username string) (*url.URL, int) {
	b.t.Helper()
	resp, err := b.client.Get(b.s.url + "/auth/login")
	require.NoError(b.t, err)
	page, _ := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	require.Equal(b.t, http.StatusOK, resp.StatusCode, "the provider's login page: %s", page)
	m := authRequestID.FindSubmatch(page)
	require.NotNil(b.t, m, "a login form: %s", page)
	form := url.Values{"authRequestID": {string(m[1])}, "username": {username}, "password": {devoidc.DemoPassword}}
	resp, err = b.client.PostForm(resp.Request.URL.ResolveReference(&url.URL{Path: "/login"}).String(), form)
	require.NoError(b.t, err)
	_ = resp.Body.Close()
	return resp.Request.URL, resp.StatusCode
}

// do calls the API as the browser's page would (same origin, cookie only).
func (b *browser) do(method, path string, body string) (int, string) {
	b.t.Helper()
	req, err := http.NewRequest(method, b.s.url+path, strings.NewReader(body))
	require.NoError(b.t, err)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Origin", b.s.url)
	resp, err := b.client.Do(req)
	require.NoError(b.t, err)
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	checkAnswer(b.t, req, resp.StatusCode, resp.Header, raw)
	return resp.StatusCode, string(raw)
}

func TestSignInDeskThroughProvider(t *testing.T) {
	t.Parallel()
	s, _ := startSignInSystem(t)
	desk := newBrowser(t, s)
	landed, _ := desk.signIn("police-desk") // the harness's gateway serves no console page
	require.Equal(t, "/#/desk", landed.Path+"#"+landed.Fragment, "lands on the desk page")

	code, body := desk.do(http.MethodGet, "/auth/session", "")
	require.Equal(t, http.StatusOK, code, body)
	require.Contains(t, body, `"role":"desk"`)
	require.Contains(t, body, `"department":"police"`)
	require.Contains(t, body, `"name":"东城公安值班台"`)
	code, body = desk.do(http.MethodGet, "/v1/dispatches", "")
	require.Equal(t, http.StatusOK, code, "the desk's queue with the session cookie only: %s", body)

	// A page of another site cannot act with the cookie.
	req, err := http.NewRequest(http.MethodPost, s.url+"/v1/whistles", strings.NewReader(`{}`))
	require.NoError(t, err)
	req.Header.Set("Origin", "https://evil.example")
	resp, err := desk.client.Do(req)
	require.NoError(t, err)
	_ = resp.Body.Close()
	require.Equal(t, http.StatusForbidden, resp.StatusCode)

	code, body = desk.do(http.MethodPost, "/auth/logout", "")
	require.Equal(t, http.StatusOK, code, body)
	require.Contains(t, body, "end_session", "the provider's sign-out follows")
	code, _ = desk.do(http.MethodGet, "/v1/dispatches", "")
	require.Equal(t, http.StatusUnauthorized, code, "signed out")
	code, _ = desk.do(http.MethodGet, "/auth/session", "")
	require.Equal(t, http.StatusUnauthorized, code)
}

func TestSignInRefusesPersonWithoutRole(t *testing.T) {
	t.Parallel()
	s, _ := startSignInSystem(t)
	landed, status := newBrowser(t, s).signIn("newcomer")
	require.Equal(t, http.StatusForbidden, status)
	require.Equal(t, "/auth/callback", landed.Path)
}

func TestAdminGrantsAndRevokesRole(t *testing.T) {
	t.Parallel()
	s, _ := startSignInSystem(t)
	admin := newBrowser(t, s)
	landed, _ := admin.signIn("admin")
	require.Equal(t, "/admin", landed.Fragment)

	// Only an admin manages grants.
	desk := newBrowser(t, s)
	desk.signIn("police-desk")
	code, _ := desk.do(http.MethodPut, "/v1/admin/grants/u-newcomer", `{"role":"admin"}`)
	require.Equal(t, http.StatusForbidden, code)
	code, body := admin.do(http.MethodPut, "/v1/admin/grants/u-newcomer", `{"role":"desk"}`)
	require.Equal(t, http.StatusBadRequest, code, "a desk needs its scope: %s", body)
	require.Contains(t, body, `"field":"department"`)

	code, body = admin.do(http.MethodPut, "/v1/admin/grants/u-newcomer", `{"name":"新同事","role":"desk","department":"police","district_id":"110101"}`)
	require.Equal(t, http.StatusOK, code, body)
	newcomer := newBrowser(t, s)
	landed, _ = newcomer.signIn("newcomer")
	require.Equal(t, "/desk", landed.Fragment)
	code, _ = newcomer.do(http.MethodGet, "/v1/dispatches", "")
	require.Equal(t, http.StatusOK, code)
	code, body = admin.do(http.MethodGet, "/v1/admin/grants", "")
	require.Equal(t, http.StatusOK, code)
	require.Contains(t, body, `"subject":"u-newcomer"`)

	live := openStreamWith(t, s, newcomer.client, "", "") // the desk page's live stream, on the session cookie

	code, body = admin.do(http.MethodDelete, "/v1/admin/grants/u-newcomer", "")
	require.Equal(t, http.StatusOK, code, body)
	require.Contains(t, body, `"revoked":true`)
	code, _ = newcomer.do(http.MethodGet, "/v1/dispatches", "")
	require.Equal(t, http.StatusUnauthorized, code, "the revoked person's next request is refused")
	// The open stream ends at the revocation, not at its next keepalive.
	live.until(t, 10*time.Second, func(ev sseEvent) bool { return ev.name == "stream.expired" })

	// A revocation refuses a person even where the provider's claims give a role.
	code, _ = admin.do(http.MethodDelete, "/v1/admin/grants/u-police-desk", "")
	require.Equal(t, http.StatusOK, code)
	code, _ = desk.do(http.MethodGet, "/v1/dispatches", "")
	require.Equal(t, http.StatusUnauthorized, code)
	_, status := newBrowser(t, s).signIn("police-desk")
	require.Equal(t, http.StatusForbidden, status)
}

// signInAt fills in the provider's login page that authURL leads to and
// follows the redirects to wherever the client asked to be answered.
func (b *browser) signInAt(authURL, username string) int {
	b.t.Helper()
	resp, err := b.client.Get(authURL)
	require.NoError(b.t, err)
	page, _ := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	m := authRequestID.FindSubmatch(page)
	require.NotNil(b.t, m, "a login form: %s", page)
	form := url.Values{"authRequestID": {string(m[1])}, "username": {username}, "password": {devoidc.DemoPassword}}
	resp, err = b.client.PostForm(resp.Request.URL.ResolveReference(&url.URL{Path: "/login"}).String(), form)
	require.NoError(b.t, err)
	_ = resp.Body.Close()
	return resp.StatusCode
}

var signInAddress = regexp.MustCompile(`(?m)^\s+(http://\S+/authorize\?\S+)$`)

// cliLogin runs `whistlectl login --no-browser` with env and signs in as
// username in a browser at the address it prints.
func cliLogin(t *testing.T, s *system, env map[string]string, username string) {
	t.Helper()
	var out syncBuffer
	var errOut bytes.Buffer
	done := make(chan int, 1)
	go func() {
		done <- whistlectl.Run(context.Background(), []string{"login", "--no-browser"}, &out, &errOut, func(k string) string { return env[k] })
	}()
	var authURL string
	eventually(t, "whistlectl prints the sign-in address", func() bool {
		if m := signInAddress.FindStringSubmatch(out.String()); m != nil {
			authURL = m[1]
		}
		return authURL != ""
	})
	// The person signs in in a browser; the provider answers whistlectl on its loopback address.
	require.Equal(t, http.StatusOK, newBrowser(t, s).signInAt(authURL, username))
	require.Equal(t, 0, <-done, errOut.String())
	require.Contains(t, out.String(), "Signed in")
}

func TestWhistlectlLoginThenQueue(t *testing.T) {
	t.Parallel()
	s, _ := startSignInSystem(t)
	home := t.TempDir()
	env := map[string]string{"WHISTLE_URL": s.url, "HOME": home}
	cliLogin(t, s, env, "police-desk")

	creds := filepath.Join(home, ".config", "whistle", "credentials.json")
	info, err := os.Stat(creds)
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), info.Mode().Perm(), "the sign-in is readable by its owner alone")

	// No token pasted: the queue is the desk's.
	require.Contains(t, cli(t, env, "queue"), "The queue is empty.")
	q := cliJSON(t, env, "queue")
	require.NotNil(t, q)

	cli(t, env, "logout")
	var out, qerr bytes.Buffer
	code := whistlectl.Run(context.Background(), []string{"queue"}, &out, &qerr, func(k string) string { return env[k] })
	require.Equal(t, 1, code)
	require.Contains(t, qerr.String(), "whistlectl login")
}

func TestSignInCompletedInAnotherBrowserIsRefused(t *testing.T) {
	t.Parallel()
	s, _ := startSignInSystem(t)
	// An attacker starts a sign-in and lures the victim's browser to its
	// callback with the attacker's code (login CSRF): the victim's browser
	// holds no sealed sign-in of its own, so the gateway refuses.
	attacker := newBrowser(t, s)
	resp, err := attacker.client.Get(s.url + "/auth/login")
	require.NoError(t, err)
	page, _ := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	m := authRequestID.FindSubmatch(page)
	require.NotNil(t, m)
	victim := newBrowser(t, s)
	form := url.Values{"authRequestID": {string(m[1])}, "username": {"admin"}, "password": {devoidc.DemoPassword}}
	resp, err = victim.client.PostForm(resp.Request.URL.ResolveReference(&url.URL{Path: "/login"}).String(), form)
	require.NoError(t, err)
	_ = resp.Body.Close()
	require.Equal(t, "/auth/callback", resp.Request.URL.Path)
	require.Equal(t, http.StatusBadRequest, resp.StatusCode)
	code, _ := victim.do(http.MethodGet, "/auth/session", "")
	require.Equal(t, http.StatusUnauthorized, code, "no session was made")
}

func TestSessionRefreshesAtTheProviderAndEndsWhenTheProviderSaysSo(t *testing.T) {
	t.Parallel()
	// Access tokens that expire at once: every request of the session refreshes.
	s, idp := startSignInSystemWith(t, time.Nanosecond, 0)
	desk := newBrowser(t, s)
	landed, _ := desk.signIn("police-desk")
	require.Equal(t, "/desk", landed.Fragment)
	for range 3 {
		code, body := desk.do(http.MethodGet, "/v1/dispatches", "")
		require.Equal(t, http.StatusOK, code, "refreshed (the provider rotates the refresh token each time): %s", body)
	}
	idp.EndSessions("u-police-desk") // the person is disabled at the provider
	code, _ := desk.do(http.MethodGet, "/v1/dispatches", "")
	require.Equal(t, http.StatusUnauthorized, code, "the refused refresh ends the session")
	code, _ = desk.do(http.MethodGet, "/auth/session", "")
	require.Equal(t, http.StatusUnauthorized, code)
}

func TestWhistlectlRenewsItsSignInAndStopsWhenTheProviderEndsIt(t *testing.T) {
	t.Parallel()
	// ID tokens with less than whistlectl's 30 s margin left: every command renews at the provider.
	s, idp := startSignInSystemWith(t, 0, 20*time.Second)
	env := map[string]string{"WHISTLE_URL": s.url, "HOME": t.TempDir()}
	cliLogin(t, s, env, "police-desk")
	creds := filepath.Join(env["HOME"], ".config", "whistle", "credentials.json")
	before, err := os.ReadFile(creds)
	require.NoError(t, err)
	require.Contains(t, cli(t, env, "queue"), "The queue is empty.")
	after, err := os.ReadFile(creds)
	require.NoError(t, err)
	require.NotEqual(t, string(before), string(after), "renewed and kept")

	idp.EndSessions("u-police-desk")
	var out, errOut bytes.Buffer
	code := whistlectl.Run(context.Background(), []string{"queue"}, &out, &errOut, func(k string) string { return env[k] })
	require.Equal(t, 1, code)
	require.Contains(t, errOut.String(), "whistlectl login")
}
