package e2e_test

import (
	"context"
	"crypto/ed25519"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/chuishao/whistle/platform/auth"
	feedbackv1 "github.com/chuishao/whistle/proto/gen/whistle/feedback/v1"
	intakev1 "github.com/chuishao/whistle/proto/gen/whistle/intake/v1"
	responsev1 "github.com/chuishao/whistle/proto/gen/whistle/response/v1"
	routingv1 "github.com/chuishao/whistle/proto/gen/whistle/routing/v1"
)

// backendAddrs are the gRPC addresses of the in-process backends.
type backendAddrs struct {
	intake, discovery, routing, response, feedback string
}

// connFor dials every backend once and answers the connection of the
// backend that serves a method: its service's (the ReportService is
// discovery's), else its proto package's.
func connFor(t *testing.T, s *system) func(m protoreflect.MethodDescriptor) *grpc.ClientConn {
	t.Helper()
	byService := map[string]string{"whistle.intake.v1.ReportService": s.grpc.discovery}
	byPackage := map[string]string{
		"whistle.intake.v1": s.grpc.intake, "whistle.routing.v1": s.grpc.routing,
		"whistle.response.v1": s.grpc.response, "whistle.feedback.v1": s.grpc.feedback,
	}
	conns := map[string]*grpc.ClientConn{}
	for _, addr := range []string{s.grpc.intake, s.grpc.discovery, s.grpc.routing, s.grpc.response, s.grpc.feedback} {
		conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
		require.NoError(t, err)
		t.Cleanup(func() { _ = conn.Close() })
		conns[addr] = conn
	}
	return func(m protoreflect.MethodDescriptor) *grpc.ClientConn {
		addr, ok := byService[string(m.Parent().FullName())]
		if !ok {
			addr = byPackage[string(m.ParentFile().Package())]
		}
		return conns[addr]
	}
}

// backendClients talk to the backends directly, bypassing the gateway.
type backendClients struct {
	intake   intakev1.IntakeServiceClient
	routing  routingv1.RoutingServiceClient
	response responsev1.DispatchServiceClient
	slaAdmin responsev1.SlaAdminServiceClient
	feedback feedbackv1.FeedbackServiceClient
}

func dialBackends(t *testing.T, s *system) *backendClients {
	t.Helper()
	dial := func(addr string) *grpc.ClientConn {
		conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
		require.NoError(t, err)
		t.Cleanup(func() { _ = conn.Close() })
		return conn
	}
	return &backendClients{
		intake:   intakev1.NewIntakeServiceClient(dial(s.grpc.intake)),
		routing:  routingv1.NewRoutingServiceClient(dial(s.grpc.routing)),
		response: responsev1.NewDispatchServiceClient(dial(s.grpc.response)),
		slaAdmin: responsev1.NewSlaAdminServiceClient(dial(s.grpc.response)),
		feedback: feedbackv1.NewFeedbackServiceClient(dial(s.grpc.feedback)),
	}
}

// withBearer sends tok the way the gateway does; no token sends nothing.
func withBearer(ctx context.Context, tok string) context.Context {
	if tok == "" {
		return ctx
	}
	return metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+tok)
}

// matrixTokens are the tokens of matrixCallers, by name.
func matrixTokens(t *testing.T, s *system) map[string]string {
	t.Helper()
	owningDesk := authIdentity(auth.RoleDesk, "", dongcheng, "police")
	owningDesk.Subject = "desk-dongcheng-police"

	expired, err := s.signer.Sign(owningDesk, s.clock.Now().Add(-48*time.Hour), time.Hour)
	require.NoError(t, err)
	_, otherKey, err := ed25519.GenerateKey(nil)
	require.NoError(t, err)
	foreign, err := auth.NewSigner(otherKey).Sign(owningDesk, s.clock.Now(), time.Hour)
	require.NoError(t, err)

	tokens := map[string]string{
		"owner-street":      streetToken(t, s, donghuamen),
		"district-street":   streetToken(t, s, "110101002"),
		"other-street":      streetToken(t, s, "110105001"),
		"owning-desk":       s.token(t, owningDesk),
		"district-desk":     deskToken(t, s, dongcheng, "transport"),
		"other-desk":        deskToken(t, s, chaoyang, "police"),
		"supervisor":        s.token(t, authIdentity(auth.RoleSupervisor, "", dongcheng, "")),
		"other-supervisor":  s.token(t, authIdentity(auth.RoleSupervisor, "", chaoyang, "")),
		"city-supervisor":   s.token(t, auth.Identity{Role: auth.RoleSupervisor, Subject: "supervisor-city"}),
		"admin":             s.token(t, authIdentity(auth.RoleAdmin, "", "", "")),
		"no-token":          "",
		"expired-token":     expired,
		"foreign-key-token": foreign,
		"wrong-audience":    signClaims(t, s, owningDesk, func(c *auth.Claims) { c.Audience = jwt.ClaimStrings{"another-app"} }),
		"not-yet-valid": signClaims(t, s, owningDesk, func(c *auth.Claims) {
			c.NotBefore = jwt.NewNumericDate(s.clock.Now().Add(24 * time.Hour))
		}),
	}
	require.Len(t, tokens, len(matrixCallers))
	for _, c := range matrixCallers {
		require.Contains(t, tokens, c)
	}
	return tokens
}

// signClaims is a token for id from the trusted signer, valid now but for what edit changes.
func signClaims(t *testing.T, s *system, id auth.Identity, edit func(*auth.Claims)) string {
	t.Helper()
	now := s.clock.Now()
	c := auth.Claims{
		Role: id.Role, Street: id.StreetID, District: id.DistrictID, Department: id.Department,
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer: auth.Issuer, Subject: id.Subject, Audience: jwt.ClaimStrings{auth.Audience},
			IssuedAt: jwt.NewNumericDate(now), ExpiresAt: jwt.NewNumericDate(now.Add(48 * time.Hour)),
		},
	}
	edit(&c)
	tok, err := s.signer.SignClaims(c)
	require.NoError(t, err)
	return tok
}

// authzRoute is one REST route and the gRPC method behind it, acting on a
// fixture F through backend client(s) C.
type authzRoute[F, C any] struct {
	name   string
	method string
	path   func(f F) string
	// body is the JSON body, or a func(F) any that makes it.
	body any
	// rpc calls the backend directly; seen (when set) tells whether the
	// object is in a list answer.
	rpc func(ctx context.Context, c C, f F) (seen bool, err error)
	// seen tells whether the object is in the gateway's list answer; nil for
	// routes on one object.
	seen func(body map[string]any, f F) bool
	// want is one outcome letter per caller, in the callers' order (spaces
	// are ignored; they only align the columns).
	want string
}

// runAuthzMatrix checks every route for every caller, at the gateway and
// directly at the backend. Subtests run in order (no t.Parallel): allowed
// callers really act, and the rows are ordered so that each action finds the
// state it needs.
func runAuthzMatrix[F, C any](t *testing.T, s *system, routes []authzRoute[F, C], callers []string,
	tokens map[string]string, client C, f F) {
	t.Helper()
	for _, r := range routes {
		want := strings.ReplaceAll(r.want, " ", "")
		require.Len(t, want, len(callers), "row %s", r.name)
		t.Run(r.name, func(t *testing.T) {
			for i, callerName := range callers {
				expected := outcome(want[i])
				tok := tokens[callerName]
				t.Run(callerName+"/gateway", func(t *testing.T) {
					body := r.body
					if fn, ok := body.(func(F) any); ok {
						body = fn(f)
					}
					resp := s.do(t, r.method, r.path(f), tok, body)
					var seen bool
					if r.seen != nil && resp.status == http.StatusOK {
						seen = r.seen(resp.body, f)
					}
					checkHTTPOutcome(t, expected, r.seen != nil, resp, seen)
				})
				t.Run(callerName+"/grpc", func(t *testing.T) {
					ctx, cancel := context.WithTimeout(withBearer(t.Context(), tok), 10*time.Second)
					defer cancel()
					seen, err := r.rpc(ctx, client, f)
					checkGRPCOutcome(t, expected, r.seen != nil, err, seen)
				})
			}
		})
	}
}
