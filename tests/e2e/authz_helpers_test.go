package e2e_test

import (
	"context"
	"crypto/ed25519"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"

	"github.com/chuishao/whistle/platform/auth"
	feedbackv1 "github.com/chuishao/whistle/proto/gen/whistle/feedback/v1"
	intakev1 "github.com/chuishao/whistle/proto/gen/whistle/intake/v1"
	responsev1 "github.com/chuishao/whistle/proto/gen/whistle/response/v1"
	routingv1 "github.com/chuishao/whistle/proto/gen/whistle/routing/v1"
)

// backendAddrs are the gRPC addresses of the in-process backends.
type backendAddrs struct {
	intake, routing, response, feedback string
}

// backendClients talk to the backends directly, bypassing the gateway.
type backendClients struct {
	intake   intakev1.IntakeServiceClient
	routing  routingv1.RoutingServiceClient
	response responsev1.DispatchServiceClient
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
	}
	require.Len(t, tokens, len(matrixCallers))
	for _, c := range matrixCallers {
		require.Contains(t, tokens, c)
	}
	return tokens
}
