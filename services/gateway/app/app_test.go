package app_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/chuishao/whistle/platform/auth"
	"github.com/chuishao/whistle/platform/clock"
	"github.com/chuishao/whistle/platform/rpcerr"
	"github.com/chuishao/whistle/platform/service"
	"github.com/chuishao/whistle/platform/servicetest"
	intakev1 "github.com/chuishao/whistle/proto/gen/whistle/intake/v1"
	responsev1 "github.com/chuishao/whistle/proto/gen/whistle/response/v1"
	"github.com/chuishao/whistle/services/gateway/app"
)

var t0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.FixedZone("CST", 8*3600))

// errorBody is the contract's error shape as a client decodes it.
type errorBody struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
		Details []struct {
			Field  string `json:"field"`
			Reason string `json:"reason"`
		} `json:"details"`
	} `json:"error"`
}

// deadAddr is a loopback address nothing listens on.
func deadAddr(t *testing.T) string {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := lis.Addr().String()
	require.NoError(t, lis.Close())
	return addr
}

// startGateway runs a gateway whose backends are all at backend (a dead
// address when empty) and returns its base URL.
func startGateway(t *testing.T, backend string, edit func(*app.Config)) string {
	t.Helper()
	return "http://" + startApp(t, backend, edit).HTTPAddr()
}

// startApp runs a gateway as startGateway does, with an ops listener, and
// returns it.
func startApp(t *testing.T, backend string, edit func(*app.Config)) *app.App {
	t.Helper()
	if backend == "" {
		backend = deadAddr(t)
	}
	cfg := app.Config{
		HTTPAddr: "127.0.0.1:0", OpsAddr: "127.0.0.1:0",
		IntakeAddr: backend, DiscoveryAddr: backend, RoutingAddr: backend, ResponseAddr: backend, FeedbackAddr: backend,
	}
	if edit != nil {
		edit(&cfg)
	}
	w := servicetest.New(t, t0)
	a, _ := servicetest.Start(w, "gateway", func(ctx context.Context, deps service.Deps) (*app.App, error) { return app.New(ctx, cfg, deps) })
	return a
}

func do(t *testing.T, method, url, body string, header map[string]string) (int, []byte) {
	t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, url, r)
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, out
}

func decodeError(t *testing.T, body []byte) errorBody {
	t.Helper()
	var e errorBody
	require.NoError(t, json.Unmarshal(body, &e), "body: %s", body)
	require.NotEmpty(t, e.Error.Code, "body: %s", body)
	return e
}

func TestMalformedBodyIsInvalidArgumentNamingBody(t *testing.T) {
	t.Parallel()
	base := startGateway(t, "", nil)
	for name, body := range map[string]string{
		"truncated":     `{"street_id": "110101001",`,
		"unknown field": `{"street_id": "110101001", "colour": "red"}`,
		"wrong type":    `{"location": {"lat": "north"}}`,
	} {
		code, out := do(t, http.MethodPost, base+"/v1/whistles", body, nil)
		require.Equal(t, http.StatusBadRequest, code, name)
		e := decodeError(t, out)
		require.Equal(t, "INVALID_ARGUMENT", e.Error.Code, name)
		require.Len(t, e.Error.Details, 1, name)
		require.Equal(t, "body", e.Error.Details[0].Field, name)
		require.NotEmpty(t, e.Error.Details[0].Reason, name)
	}
}

func TestBadQueryValueNamesTheField(t *testing.T) {
	t.Parallel()
	base := startGateway(t, "", nil)
	code, out := do(t, http.MethodGet, base+"/v1/dispatches?status=LOST", "", nil)
	require.Equal(t, http.StatusBadRequest, code)
	e := decodeError(t, out)
	require.Equal(t, "INVALID_ARGUMENT", e.Error.Code)
	require.Len(t, e.Error.Details, 1)
	require.Equal(t, "status", e.Error.Details[0].Field)
}

func TestOversizedBodyIs413(t *testing.T) {
	t.Parallel()
	base := startGateway(t, "", nil)
	big := `{"street_id":"110101001","description":"` + strings.Repeat("x", 2<<20) + `"}`
	code, out := do(t, http.MethodPost, base+"/v1/whistles", big, nil)
	require.Equal(t, http.StatusRequestEntityTooLarge, code)
	e := decodeError(t, out)
	require.Equal(t, "PAYLOAD_TOO_LARGE", e.Error.Code)
	require.Equal(t, "body", e.Error.Details[0].Field)
}

func TestUnknownPathAndWrongMethod(t *testing.T) {
	t.Parallel()
	base := startGateway(t, "", nil)

	code, out := do(t, http.MethodGet, base+"/v1/nothing-here", "", nil)
	require.Equal(t, http.StatusNotFound, code)
	e := decodeError(t, out)
	require.Equal(t, "NOT_FOUND", e.Error.Code)
	require.NotNil(t, e.Error.Details, "details is always an array")

	code, out = do(t, http.MethodDelete, base+"/v1/whistles", "", nil)
	require.Equal(t, http.StatusMethodNotAllowed, code)
	require.Equal(t, "METHOD_NOT_ALLOWED", decodeError(t, out).Error.Code)
}

func TestBackendDownIs503InErrorShape(t *testing.T) {
	t.Parallel()
	base := startGateway(t, "", nil)
	code, out := do(t, http.MethodGet, base+"/v1/whistles/w1", "", map[string]string{"Authorization": "Bearer x"})
	require.Equal(t, http.StatusServiceUnavailable, code)
	e := decodeError(t, out)
	require.Equal(t, "UNAVAILABLE", e.Error.Code)
	require.NotContains(t, e.Error.Message, "127.0.0.1", "internal addresses stay internal")
}

func TestDevTokensDisabledIs404(t *testing.T) {
	t.Parallel()
	base := startGateway(t, "", nil)
	code, out := do(t, http.MethodPost, base+"/v1/dev/tokens", `{"role":"admin"}`, nil)
	require.Equal(t, http.StatusNotFound, code)
	require.Equal(t, "NOT_FOUND", decodeError(t, out).Error.Code)
}

func TestDevTokens(t *testing.T) {
	t.Parallel()
	pub, priv, err := ed25519.GenerateKey(nil)
	require.NoError(t, err)
	base := startGateway(t, "", func(c *app.Config) {
		c.DevAuth = true
		c.DevSigningKey = auth.EncodeKey(priv.Seed())
	})
	verifier := auth.NewVerifier(pub)

	issue := func(body string) auth.Identity {
		t.Helper()
		code, out := do(t, http.MethodPost, base+"/v1/dev/tokens", body, nil)
		require.Equal(t, http.StatusOK, code, "body: %s", out)
		var resp struct {
			Token string `json:"token"`
		}
		require.NoError(t, json.Unmarshal(out, &resp))
		id, err := verifier.Verify(resp.Token, t0.Add(11*time.Hour))
		require.NoError(t, err)
		_, err = verifier.Verify(resp.Token, t0.Add(13*time.Hour))
		require.Error(t, err, "dev tokens live 12 hours")
		return id
	}

	t.Run("street district is derived from the township code", func(t *testing.T) {
		id := issue(`{"role":"street","street_id":"110101001"}`)
		require.Equal(t, auth.Identity{Subject: "dev-street-110101001", Role: "street", StreetID: "110101001", DistrictID: "110101"}, id)
	})
	t.Run("desk", func(t *testing.T) {
		id := issue(`{"role":"desk","district_id":"110101","department":"police"}`)
		require.Equal(t, auth.Identity{Subject: "dev-desk-police-110101", Role: "desk", DistrictID: "110101", Department: "police"}, id)
	})
	t.Run("city supervisor with own subject", func(t *testing.T) {
		id := issue(`{"role":"supervisor","subject":"wang"}`)
		require.Equal(t, auth.Identity{Subject: "wang", Role: "supervisor"}, id)
	})
	t.Run("missing scope names the field", func(t *testing.T) {
		code, out := do(t, http.MethodPost, base+"/v1/dev/tokens", `{"role":"desk","district_id":"110101"}`, nil)
		require.Equal(t, http.StatusBadRequest, code)
		e := decodeError(t, out)
		require.Equal(t, "INVALID_ARGUMENT", e.Error.Code)
		require.Equal(t, "department", e.Error.Details[0].Field)

		code, out = do(t, http.MethodPost, base+"/v1/dev/tokens", `{"role":"mayor"}`, nil)
		require.Equal(t, http.StatusBadRequest, code)
		require.Equal(t, "role", decodeError(t, out).Error.Details[0].Field)
	})
	t.Run("malformed body", func(t *testing.T) {
		code, out := do(t, http.MethodPost, base+"/v1/dev/tokens", `{"role":`, nil)
		require.Equal(t, http.StatusBadRequest, code)
		require.Equal(t, "body", decodeError(t, out).Error.Details[0].Field)
	})
	t.Run("GET is not allowed", func(t *testing.T) {
		code, out := do(t, http.MethodGet, base+"/v1/dev/tokens", "", nil)
		require.Equal(t, http.StatusMethodNotAllowed, code)
		require.Equal(t, "METHOD_NOT_ALLOWED", decodeError(t, out).Error.Code)
	})
}

func TestDevAuthWithoutKeyNamesVariable(t *testing.T) {
	t.Parallel()
	err := app.Config{HTTPAddr: "x", IntakeAddr: "x", DiscoveryAddr: "x", RoutingAddr: "x", ResponseAddr: "x", FeedbackAddr: "x", DevAuth: true}.Validate()
	require.ErrorContains(t, err, "WHISTLE_DEV_SIGNING_KEY")
	err = app.Config{HTTPAddr: "x"}.Validate()
	require.ErrorContains(t, err, "WHISTLE_INTAKE_ADDR")
	require.ErrorContains(t, err, "WHISTLE_FEEDBACK_ADDR")
}

// fakeIntake answers like the intake service and records what it was sent.
type fakeIntake struct {
	intakev1.UnimplementedIntakeServiceServer
	mu sync.Mutex
	md metadata.MD
}

func (f *fakeIntake) RaiseWhistle(ctx context.Context, req *intakev1.RaiseWhistleRequest) (*intakev1.Whistle, error) {
	md, _ := metadata.FromIncomingContext(ctx)
	f.mu.Lock()
	f.md = md
	f.mu.Unlock()
	if req.GetCategory() == "no-such-category" {
		return nil, rpcerr.Invalid("category", "unknown category %q", req.GetCategory())
	}
	return &intakev1.Whistle{
		Id: "w-1", StreetId: req.GetStreetId(), DistrictId: "110101", Category: req.GetCategory(),
		Description: req.GetDescription(), Location: req.GetLocation(), Urgency: req.GetUrgency(),
		Status: intakev1.Whistle_RAISED, RaisedAt: timestamppb.New(t0),
		Dispatches: []*responsev1.Dispatch{{Id: "d-1", Department: "police", Status: responsev1.Dispatch_ACKNOWLEDGED}},
	}, nil
}

func (f *fakeIntake) GetWhistle(context.Context, *intakev1.GetWhistleRequest) (*intakev1.Whistle, error) {
	return nil, status.Error(codes.NotFound, "whistle not found")
}

func (f *fakeIntake) metadata() metadata.MD {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.md
}

// startBackend serves fake as the intake service plus the health service on a
// loopback port; it stands in for all four backends.
func startBackend(t *testing.T, fake *fakeIntake) string {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	srv := grpc.NewServer()
	intakev1.RegisterIntakeServiceServer(srv, fake)
	healthpb.RegisterHealthServer(srv, health.NewServer())
	go func() { _ = srv.Serve(lis) }()
	t.Cleanup(srv.Stop)
	return lis.Addr().String()
}

func TestRaiseWhistleIs201WithContractJSON(t *testing.T) {
	t.Parallel()
	fake := &fakeIntake{}
	base := startGateway(t, startBackend(t, fake), nil)

	body, err := json.Marshal(map[string]any{
		"street_id": "110101001", "category": "joint-enforcement", "description": "占道经营",
		"location": map[string]float64{"lat": 39.91, "lng": 116.40}, "urgency": "HIGH",
	})
	require.NoError(t, err)
	code, out := do(t, http.MethodPost, base+"/v1/whistles", string(body),
		map[string]string{"Authorization": "Bearer street-token", "Idempotency-Key": "k-42"})
	require.Equal(t, http.StatusCreated, code, "body: %s", out)

	var w map[string]any
	require.NoError(t, json.Unmarshal(out, &w))
	require.Equal(t, "w-1", w["id"])
	require.Equal(t, "110101001", w["street_id"], "snake_case field names")
	require.Equal(t, "RAISED", w["status"], "enum names")
	require.Equal(t, "HIGH", w["urgency"])
	require.Equal(t, "2026-03-02T01:00:00Z", w["raised_at"])
	require.Contains(t, w, "resolved_at", "unpopulated fields are present")
	dispatch := w["dispatches"].([]any)[0].(map[string]any)
	require.Equal(t, "ACKNOWLEDGED", dispatch["status"])

	md := fake.metadata()
	require.Equal(t, []string{"k-42"}, md.Get("idempotency-key"))
	require.Equal(t, []string{"Bearer street-token"}, md.Get("authorization"))
}

func TestBackendErrorsKeepFieldDetails(t *testing.T) {
	t.Parallel()
	base := startGateway(t, startBackend(t, &fakeIntake{}), nil)

	code, out := do(t, http.MethodPost, base+"/v1/whistles", `{"street_id":"110101001","category":"no-such-category"}`, nil)
	require.Equal(t, http.StatusBadRequest, code)
	e := decodeError(t, out)
	require.Equal(t, "INVALID_ARGUMENT", e.Error.Code)
	require.Len(t, e.Error.Details, 1)
	require.Equal(t, "category", e.Error.Details[0].Field)
	require.Contains(t, e.Error.Details[0].Reason, "unknown category")

	code, out = do(t, http.MethodGet, base+"/v1/whistles/w-404", "", nil)
	require.Equal(t, http.StatusNotFound, code)
	require.Equal(t, "NOT_FOUND", decodeError(t, out).Error.Code)

	code, out = do(t, http.MethodGet, base+"/v1/dispatches", "", nil)
	require.Equal(t, http.StatusNotImplemented, code, "the fake serves no DispatchService")
	require.Equal(t, "UNIMPLEMENTED", decodeError(t, out).Error.Code)
}

// TestOpsEndpointsAreOnTheOpsPortOnly: health, readiness, metrics and pprof
// answer on the private ops listener; the public port answers 404 for each.
func TestOpsEndpointsAreOnTheOpsPortOnly(t *testing.T) {
	t.Parallel()
	upApp := startApp(t, startBackend(t, &fakeIntake{}), func(c *app.Config) { c.OpsPprof = true })
	up, upOps := "http://"+upApp.HTTPAddr(), "http://"+upApp.OpsAddr()
	downApp := startApp(t, "", nil)

	code, out := do(t, http.MethodGet, up+"/v1/version", "", nil)
	require.Equal(t, http.StatusOK, code)
	var v map[string]string
	require.NoError(t, json.Unmarshal(out, &v), "body: %s", out)
	require.Equal(t, "dev", v["version"], "an unstamped build")
	require.Contains(t, v, "commit")
	require.Contains(t, v["go_version"], "go1.")

	code, out = do(t, http.MethodGet, up+"/openapi.json", "", nil)
	require.Equal(t, http.StatusOK, code)
	require.True(t, bytes.Contains(out, []byte(`"/v1/whistles"`)))

	for _, path := range []string{"/healthz", "/readyz", "/metrics", "/debug/pprof/", "/debug/pprof/cmdline"} {
		code, out := do(t, http.MethodGet, up+path, "", nil)
		require.Equal(t, http.StatusNotFound, code, "public %s: %s", path, out)
		code, out = do(t, http.MethodGet, upOps+path, "", nil)
		require.Equal(t, http.StatusOK, code, "ops %s: %s", path, out)
	}
	code, out = do(t, http.MethodGet, upOps+"/metrics", "", nil)
	require.Equal(t, http.StatusOK, code)
	require.Contains(t, string(out), "go_goroutines", "the process's Prometheus registry")

	// Readiness is the gateway's own: backends that are down fail their routes, not the gateway.
	code, out = do(t, http.MethodGet, "http://"+downApp.OpsAddr()+"/readyz", "", nil)
	require.Equal(t, http.StatusOK, code, "body: %s", out)
	code, _ = do(t, http.MethodGet, "http://"+downApp.OpsAddr()+"/debug/pprof/", "", nil)
	require.Equal(t, http.StatusNotFound, code, "pprof only with WHISTLE_OPS_PPROF")
}

func TestOpsAddressMustDifferFromThePublicOne(t *testing.T) {
	t.Parallel()
	err := app.Config{HTTPAddr: ":8080", OpsAddr: ":8080", IntakeAddr: "a", DiscoveryAddr: "a", RoutingAddr: "b", ResponseAddr: "c", FeedbackAddr: "d"}.Validate()
	require.ErrorContains(t, err, "WHISTLE_OPS_ADDR must differ")
}

// blockingIntake holds GetWhistle until release is closed.
type blockingIntake struct {
	fakeIntake
	entered, release chan struct{}
}

func (b *blockingIntake) GetWhistle(ctx context.Context, req *intakev1.GetWhistleRequest) (*intakev1.Whistle, error) {
	close(b.entered)
	<-b.release
	return b.fakeIntake.GetWhistle(ctx, req)
}

// TestShutdownTurnsNotReadyThenDrains: on shutdown the gateway answers /readyz
// with 503 while it serves on for the shutdown delay, then lets a request in
// flight finish before Run returns.
func TestShutdownTurnsNotReadyThenDrains(t *testing.T) {
	t.Parallel()
	fake := &blockingIntake{entered: make(chan struct{}), release: make(chan struct{})}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	backend := grpc.NewServer()
	intakev1.RegisterIntakeServiceServer(backend, fake)
	go func() { _ = backend.Serve(lis) }()
	t.Cleanup(backend.Stop)
	addr := lis.Addr().String()

	clk := clock.NewFake(t0)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	a, err := app.New(ctx, app.Config{
		HTTPAddr: "127.0.0.1:0", OpsAddr: "127.0.0.1:0", IntakeAddr: addr, DiscoveryAddr: addr, RoutingAddr: addr, ResponseAddr: addr, FeedbackAddr: addr,
		ShutdownDelay: time.Minute, ShutdownTimeout: time.Minute,
	}, service.Deps{Log: slog.New(slog.DiscardHandler), Clock: clk})
	require.NoError(t, err)
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	base, opsURL := "http://"+a.HTTPAddr(), "http://"+a.OpsAddr()
	code, _ := do(t, http.MethodGet, opsURL+"/readyz", "", nil)
	require.Equal(t, http.StatusOK, code)

	inFlight := make(chan int, 1)
	go func() {
		code, _ := do(t, http.MethodGet, base+"/v1/whistles/w1", "", map[string]string{"Authorization": "Bearer x"})
		inFlight <- code
	}()
	<-fake.entered
	cancel() // SIGTERM
	require.NoError(t, clk.BlockUntilContext(t.Context(), 1), "the shutdown delay started")
	code, out := do(t, http.MethodGet, opsURL+"/readyz", "", nil)
	require.Equal(t, http.StatusServiceUnavailable, code, "not ready once shutting down: %s", out)
	code, _ = do(t, http.MethodGet, base+"/v1/time", "", nil)
	require.Equal(t, http.StatusOK, code, "serves on during the delay")

	clk.Advance(time.Minute) // the delay is over: the drain begins
	select {
	case err := <-done:
		t.Fatalf("Run returned with a request in flight: %v", err)
	default:
	}
	close(fake.release)
	require.Equal(t, http.StatusNotFound, <-inFlight, "the request in flight is answered")
	require.NoError(t, <-done)
}
