package grpcserver_test

import (
	"context"
	"crypto/ed25519"
	"io"
	"log/slog"
	"net"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/resolver"
	"google.golang.org/grpc/resolver/manual"

	"github.com/chuishao/whistle/platform/auth"
	"github.com/chuishao/whistle/platform/clock"
	"github.com/chuishao/whistle/platform/grpcserver"
)

// TestDialSpreadsCallsOverEveryResolvedReplica: a client built by Dial whose
// target resolves to two replicas (as a headless Service's name does) sends
// calls to both, not all to the first.
func TestDialSpreadsCallsOverEveryResolvedReplica(t *testing.T) {
	t.Parallel()
	pub, _, err := ed25519.GenerateKey(nil)
	require.NoError(t, err)
	var served [2]atomic.Int64
	var addrs []resolver.Address
	for i := range served {
		count := grpc.ChainUnaryInterceptor(func(ctx context.Context, req any, _ *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
			served[i].Add(1)
			return h(ctx, req)
		})
		srv := grpcserver.New(slog.New(slog.NewTextHandler(io.Discard, nil)), auth.NewVerifier(pub), clock.Real(), count)
		lis, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		go func() { _ = srv.Serve(lis) }()
		t.Cleanup(srv.Stop)
		addrs = append(addrs, resolver.Address{Addr: lis.Addr().String()})
	}
	res := manual.NewBuilderWithScheme("replicas")
	res.InitialState(resolver.State{Addresses: addrs})
	conn, err := grpcserver.Dial("replicas:///svc", grpc.WithResolvers(res))
	require.NoError(t, err)
	t.Cleanup(func() { _ = conn.Close() })

	// A replica's connection may become ready a little after the other's,
	// so call until both have served, up to a bound pick_first never passes.
	client := healthpb.NewHealthClient(conn)
	for calls := 0; calls < 1000 && (served[0].Load() == 0 || served[1].Load() == 0); calls++ {
		_, err := client.Check(t.Context(), &healthpb.HealthCheckRequest{}, grpc.WaitForReady(true))
		require.NoError(t, err)
	}
	require.Positive(t, served[0].Load(), "replica 0 served no call")
	require.Positive(t, served[1].Load(), "replica 1 served no call")
}
