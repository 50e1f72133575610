package launcher_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/chuishao/whistle/cli/internal/launcher"
	"github.com/chuishao/whistle/platform/auth"
	"github.com/chuishao/whistle/platform/postgres/pgtest"
)

var services = []string{"intake", "discovery", "routing", "response", "feedback", "gateway"}

// TestMain doubles as every fake service: the launcher under test runs this
// test binary (through symlinks named after the services) as its children.
func TestMain(m *testing.M) {
	if dir := os.Getenv("WHISTLE_FAKE_DIR"); dir != "" {
		os.Exit(fakeService(dir, filepath.Base(os.Args[0])))
	}
	os.Exit(m.Run())
}

// fakeService records its environment, serves /readyz on the address the
// launcher gave it, and exits 0 on SIGTERM after noting that it was stopped.
func fakeService(dir, name string) int {
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM)
	env := map[string]string{}
	for _, kv := range os.Environ() {
		k, v, _ := strings.Cut(kv, "=")
		env[k] = v
	}
	raw, _ := json.Marshal(env)
	if env["WHISTLE_MIGRATE_ONLY"] == "true" {
		// The migration step: record it and finish, as a migrated service does.
		_ = os.WriteFile(filepath.Join(dir, name+".migrate.env.json"), raw, 0o600)
		return 0
	}
	_ = os.WriteFile(filepath.Join(dir, name+".env.json"), raw, 0o600)
	_ = os.WriteFile(filepath.Join(dir, name+".pid"), []byte(strconv.Itoa(os.Getpid())), 0o600)

	lis, err := net.Listen("tcp", env["WHISTLE_OPS_ADDR"])
	if err != nil {
		fmt.Fprintln(os.Stderr, "listen:", err)
		return 2
	}
	ready := env["WHISTLE_FAKE_NEVER_READY"] != name
	go func() {
		_ = http.Serve(lis, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			if !ready {
				w.WriteHeader(http.StatusServiceUnavailable)
				_, _ = w.Write([]byte(`{"status":"unavailable"}`))
				return
			}
			_, _ = w.Write([]byte(`{"status":"ready"}`))
		}))
	}()
	fmt.Printf("fake %s listening\n", name)
	fmt.Fprint(os.Stderr, "a last line without newline")
	<-stop
	_ = os.WriteFile(filepath.Join(dir, name+".stopped"), nil, 0o600)
	return 0
}

// syncBuffer collects the launcher's output and tells when a text appears.
type syncBuffer struct {
	mu      sync.Mutex
	buf     bytes.Buffer
	waitFor string
	seen    chan struct{}
	once    sync.Once
	changed chan struct{} // closed and replaced at every write
}

func newSyncBuffer(waitFor string) *syncBuffer {
	return &syncBuffer{waitFor: waitFor, seen: make(chan struct{}), changed: make(chan struct{})}
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	n, err := b.buf.Write(p)
	if strings.Contains(b.buf.String(), b.waitFor) {
		b.once.Do(func() { close(b.seen) })
	}
	close(b.changed)
	b.changed = make(chan struct{})
	return n, err
}

// waitCount waits until text has appeared n times in the output, failing the
// test if the launcher ends first.
func (b *syncBuffer) waitCount(t *testing.T, text string, n int, done chan error) {
	t.Helper()
	for {
		b.mu.Lock()
		count, changed := strings.Count(b.buf.String(), text), b.changed
		b.mu.Unlock()
		if count >= n {
			return
		}
		select {
		case <-changed:
		case err := <-done:
			t.Fatalf("launcher ended while waiting for %q ×%d: %v\n%s", text, n, err, b)
		}
	}
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// freeAddr is a loopback address free now, picked as the launcher picks its own.
func freeAddr(t *testing.T) string {
	t.Helper()
	addr := launcher.FreeLoopbackAddr()
	require.NotEqual(t, "127.0.0.1:0", addr, "no free port")
	return addr
}

// fakeBinDir links every service name to this test binary.
func fakeBinDir(t *testing.T) string {
	t.Helper()
	self, err := os.Executable()
	require.NoError(t, err)
	dir := t.TempDir()
	for _, s := range services {
		require.NoError(t, os.Symlink(self, filepath.Join(dir, s)))
	}
	return dir
}

// testConfig is a launcher config on free ports with fake services, a fresh
// database and an embedded NATS on any port.
func testConfig(t *testing.T, dbURL string, extraEnv ...string) (launcher.Config, string) {
	t.Helper()
	fakeDir := t.TempDir()
	var backends []launcher.Backend
	for _, b := range launcher.DefaultBackends {
		backends = append(backends, launcher.Backend{Name: b.Name, GRPCAddr: freeAddr(t), OpsAddr: freeAddr(t)})
	}
	return launcher.Config{
		BinDir:         fakeBinDir(t),
		RunDir:         filepath.Join(t.TempDir(), ".run"),
		DatabaseURL:    dbURL,
		NATSPort:       -1,
		OIDCPort:       freePort(t),
		HTTPAddr:       freeAddr(t),
		GatewayOpsAddr: freeAddr(t),
		Backends:       backends,
		ReadyTimeout:   20 * time.Second,
		StopGrace:      5 * time.Second,
		BaseEnv:        append([]string{"WHISTLE_FAKE_DIR=" + fakeDir}, extraEnv...),
	}, fakeDir
}

// freePort is the port of freeAddr: the dev identity provider's, reserved
// like the others so that it cannot take one of theirs.
func freePort(t *testing.T) int {
	t.Helper()
	_, port, err := net.SplitHostPort(freeAddr(t))
	require.NoError(t, err)
	n, err := strconv.Atoi(port)
	require.NoError(t, err)
	return n
}

func readEnv(t *testing.T, fakeDir, name string) map[string]string {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(fakeDir, name+".env.json"))
	require.NoError(t, err)
	var env map[string]string
	require.NoError(t, json.Unmarshal(raw, &env))
	return env
}

func startRun(t *testing.T, cfg launcher.Config) (*syncBuffer, context.CancelFunc, chan error) {
	t.Helper()
	out := newSyncBuffer("Whistle is running")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- launcher.Run(ctx, cfg, out) }()
	t.Cleanup(cancel)
	return out, cancel, done
}

func waitBanner(t *testing.T, out *syncBuffer, done chan error) {
	t.Helper()
	select {
	case <-out.seen:
	case err := <-done:
		t.Fatalf("launcher ended before it was ready: %v\n%s", err, out)
	}
}

func TestRunStartsEverythingAndStopsCleanly(t *testing.T) {
	t.Parallel()
	cfg, fakeDir := testConfig(t, pgtest.NewDatabase(t))
	out, cancel, done := startRun(t, cfg)
	waitBanner(t, out, done)

	// Each service got its own addresses and the shared ones.
	backendAddr := map[string]launcher.Backend{}
	for _, b := range cfg.Backends {
		backendAddr[b.Name] = b
	}
	routing := readEnv(t, fakeDir, "routing")
	require.Equal(t, "1", routing["WHISTLE_SEED"], "routing seeds the reference data")
	// Each backend runs as its own database role, after its migration step ran
	// as the admin and set that role's password.
	for _, b := range cfg.Backends {
		env := readEnv(t, fakeDir, b.Name)
		u, err := url.Parse(env["DATABASE_URL"])
		require.NoError(t, err)
		require.Equal(t, "whistle_"+b.Name, u.User.Username())
		password, _ := u.User.Password()
		require.NotEmpty(t, password)
		migrated := readEnv(t, fakeDir, b.Name+".migrate")
		require.Equal(t, cfg.DatabaseURL, migrated["DATABASE_URL"])
		require.Equal(t, password, migrated["WHISTLE_DATABASE_ROLE_PASSWORD"])
	}
	require.Regexp(t, `^dev1:[A-Za-z0-9+/]{43}=$`, readEnv(t, fakeDir, "feedback")["WHISTLE_TIMELINE_KEYS"])
	_, err := os.Stat(filepath.Join(fakeDir, "gateway.migrate.env.json"))
	require.ErrorIs(t, err, os.ErrNotExist, "the gateway has no database")
	require.True(t, strings.HasPrefix(routing["NATS_URL"], "nats://127.0.0.1:"), routing["NATS_URL"])
	passwords := map[string]bool{}
	for _, b := range cfg.Backends {
		env := readEnv(t, fakeDir, b.Name)
		require.Equal(t, b.GRPCAddr, env["WHISTLE_GRPC_ADDR"], b.Name)
		require.Equal(t, b.OpsAddr, env["WHISTLE_OPS_ADDR"], b.Name)
		require.Equal(t, routing["WHISTLE_JWKS_URL"], env["WHISTLE_JWKS_URL"], b.Name)
		require.Equal(t, "whistle-dev", env["WHISTLE_JWT_ISSUER"], b.Name)
		require.Equal(t, "whistle", env["WHISTLE_JWT_AUDIENCE"], b.Name)
		// Each service is its own NATS user, with a password of its own.
		require.Equal(t, b.Name, env["NATS_USER"], b.Name)
		require.NotEmpty(t, env["NATS_PASSWORD"], b.Name)
		passwords[env["NATS_PASSWORD"]] = true
	}
	require.Len(t, passwords, len(cfg.Backends))
	require.Equal(t, backendAddr["routing"].GRPCAddr, readEnv(t, fakeDir, "intake")["WHISTLE_ROUTING_ADDR"])
	gw := readEnv(t, fakeDir, "gateway")
	require.Equal(t, cfg.HTTPAddr, gw["WHISTLE_HTTP_ADDR"])
	require.Equal(t, cfg.GatewayOpsAddr, gw["WHISTLE_OPS_ADDR"], "the gateway's health and metrics are on its own ops port")
	require.Equal(t, "1", gw["WHISTLE_DEV_AUTH"])
	require.Equal(t, backendAddr["feedback"].GRPCAddr, gw["WHISTLE_FEEDBACK_ADDR"])

	// The services fetch the keys the gateway signs with from the gateway's JWKS.
	priv, err := auth.ParsePrivateKey(gw["WHISTLE_DEV_SIGNING_KEY"])
	require.NoError(t, err)
	require.Equal(t, "http://"+cfg.HTTPAddr+"/.well-known/jwks.json", routing["WHISTLE_JWKS_URL"])
	// The live stream reads the same NATS and verifies with the same key; Open311 signs with it.
	require.Equal(t, routing["NATS_URL"], gw["NATS_URL"])
	require.Equal(t, "gateway", gw["NATS_USER"])
	admin, err := os.ReadFile(filepath.Join(cfg.RunDir, "nats-admin.env"))
	require.NoError(t, err)
	require.Contains(t, string(admin), "NATS_USER=admin\n", "tools get the admin user")
	require.Equal(t, routing["WHISTLE_JWKS_URL"], gw["WHISTLE_JWKS_URL"])
	// Open311 and service accounts sign with keys of their own, trusted only in their scopes.
	open311, err := auth.ParsePrivateKey(gw["WHISTLE_OPEN311_SIGNING_KEY"])
	require.NoError(t, err)
	require.Equal(t, launcher.DerivedKey(priv, auth.ScopeOpen311), open311)
	sa, err := auth.ParsePrivateKey(readEnv(t, fakeDir, "response")["WHISTLE_SERVICE_ACCOUNT_KEY"])
	require.NoError(t, err)
	require.Equal(t, launcher.DerivedKey(priv, auth.ScopeServiceAccount), sa)
	require.NotEqual(t, priv, sa)
	followUp, err := auth.ParsePrivateKey(readEnv(t, fakeDir, "discovery")["WHISTLE_FOLLOWUP_SIGNING_KEY"])
	require.NoError(t, err)
	require.Equal(t, launcher.DerivedKey(priv, auth.ScopeFollowUp), followUp)
	scoped, err := auth.ParseScopedKeys(routing["WHISTLE_JWT_SCOPED_KEYS"])
	require.NoError(t, err)
	require.Equal(t, []auth.ScopedKey{{Scope: auth.ScopeServiceAccount, Key: sa.Public().(ed25519.PublicKey)},
		{Scope: auth.ScopeOpen311, Key: open311.Public().(ed25519.PublicKey)},
		{Scope: auth.ScopeFollowUp, Key: followUp.Public().(ed25519.PublicKey)}}, scoped)
	require.Equal(t, routing["WHISTLE_JWT_SCOPED_KEYS"], gw["WHISTLE_JWT_SCOPED_KEYS"])
	require.Equal(t, launcher.DemoOpen311Key+":110101001", gw["WHISTLE_OPEN311_KEYS"])

	// The banner's tokens are valid for that key and carry the demo scopes.
	text := out.String()
	require.Contains(t, text, "http://"+cfg.HTTPAddr)
	require.Contains(t, text, "curl")
	tokens := readTokensEnv(t, filepath.Join(cfg.RunDir, "tokens.env"))
	verifier := auth.NewVerifier(priv.Public().(ed25519.PublicKey), auth.WithIssuer(auth.Issuer), auth.WithAudience(auth.Audience))
	street, err := verifier.Verify(tokens["STREET_TOKEN"], time.Now())
	require.NoError(t, err)
	require.Equal(t, "110101001", street.StreetID)
	require.Equal(t, "110101", street.DistrictID)
	desk, err := verifier.Verify(tokens["DESK_URBAN_MANAGEMENT_TOKEN"], time.Now())
	require.NoError(t, err)
	require.Equal(t, "urban-management", desk.Department)
	require.Contains(t, text, tokens["ADMIN_TOKEN"])

	// Children's lines are prefixed with their names, even an unfinished last line.
	require.Contains(t, text, "intake      | fake intake listening")

	cancel()
	require.NoError(t, <-done, "Ctrl-C is a clean stop")
	for _, s := range services {
		require.FileExists(t, filepath.Join(fakeDir, s+".stopped"), "%s got SIGTERM", s)
	}
	require.Contains(t, out.String(), "gateway     | a last line without newline")
}

func readTokensEnv(t *testing.T, path string) map[string]string {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	out := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(strings.TrimPrefix(sc.Text(), "export "), "=")
		if ok && !strings.HasPrefix(k, "#") {
			out[k] = v
		}
	}
	return out
}

// pidOf is the pid a fake service last wrote.
func pidOf(t *testing.T, fakeDir, name string) int {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(fakeDir, name+".pid"))
	require.NoError(t, err)
	pid, err := strconv.Atoi(string(raw))
	require.NoError(t, err)
	return pid
}
