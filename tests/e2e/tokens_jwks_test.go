package e2e_test

import (
	"context"
	"crypto/ed25519"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"

	"github.com/chuishao/whistle/platform/auth"
	"github.com/chuishao/whistle/platform/config"
	"github.com/chuishao/whistle/platform/postgres/pgtest"
	"github.com/chuishao/whistle/platform/service"
	"github.com/chuishao/whistle/platform/servicetest"
	routingv1 "github.com/chuishao/whistle/proto/gen/whistle/routing/v1"
	"github.com/chuishao/whistle/proto/topology"
	routingapp "github.com/chuishao/whistle/services/routing/app"
)

// A running service that knows only a JWKS URL follows a key rotation: the new
// key works without a restart, and the withdrawn key's tokens are refused once
// the key set has been refreshed in the background (every WHISTLE_JWKS_REFRESH,
// short here so the test waits briefly).
func TestServiceFollowsJWKSKeyRotation(t *testing.T) {
	t.Parallel()
	_, oldPriv, err := ed25519.GenerateKey(nil)
	require.NoError(t, err)
	_, newPriv, err := ed25519.GenerateKey(nil)
	require.NoError(t, err)
	oldKey, newKey := auth.NewSigner(oldPriv), auth.NewSigner(newPriv)

	var mu sync.Mutex
	published := []ed25519.PublicKey{oldKey.PublicKey()}
	keys := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		set := published
		mu.Unlock()
		auth.JWKSHandler(set...).ServeHTTP(w, r)
	}))
	t.Cleanup(keys.Close)
	publish := func(k ...ed25519.PublicKey) { mu.Lock(); published = k; mu.Unlock() }

	w := servicetest.New(t, t0)
	fake := w.Clock
	base := w.Base(topology.Routing)
	base.DatabaseURL = pgtest.NewDatabase(t)
	base.Tokens = config.Tokens{
		JWKSURL: keys.URL, JWTIssuer: auth.Issuer, JWTAudience: auth.Audience, JWKSRefresh: 50 * time.Millisecond, JWKSMaxStale: time.Hour,
	}
	ctx := context.Background()
	routing, _ := servicetest.Start(w, "routing", func(ctx context.Context, deps service.Deps) (*routingapp.App, error) {
		return routingapp.New(ctx, routingapp.Config{Base: base, Seed: true}, deps)
	})

	conn, err := grpc.NewClient(routing.GRPCAddr(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	require.NoError(t, err)
	t.Cleanup(func() { _ = conn.Close() })
	client := routingv1.NewRoutingServiceClient(conn)
	supervisor := auth.Identity{Subject: "sup", Role: auth.RoleSupervisor}
	call := func(s *auth.Signer) codes.Code {
		tok, err := s.Sign(supervisor, fake.Now(), time.Hour)
		require.NoError(t, err)
		_, err = client.ListDistricts(withBearer(ctx, tok), &routingv1.ListDistrictsRequest{})
		return status.Code(err)
	}

	require.Equal(t, codes.OK, call(oldKey))
	require.Equal(t, codes.Unauthenticated, call(newKey), "an unpublished key is refused")

	publish(oldKey.PublicKey(), newKey.PublicKey())
	require.Eventually(t, func() bool { return call(newKey) == codes.OK }, 10*time.Second, 20*time.Millisecond,
		"the new key works without a restart")
	require.Equal(t, codes.OK, call(oldKey), "both work during the rotation")

	publish(newKey.PublicKey())
	require.Eventually(t, func() bool { return call(oldKey) == codes.Unauthenticated }, 10*time.Second, 20*time.Millisecond,
		"the old key stops working once the set is refreshed")
	require.Equal(t, codes.OK, call(newKey))
}
