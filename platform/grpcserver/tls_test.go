package grpcserver_test

import (
	"context"
	"crypto/ed25519"
	"io"
	"log/slog"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	"github.com/chuishao/whistle/platform/auth"
	"github.com/chuishao/whistle/platform/clock"
	"github.com/chuishao/whistle/platform/grpcserver"
	"github.com/chuishao/whistle/platform/tlstest"
)

// serve starts a server with tlsCfg and returns its address.
func serve(t *testing.T, tlsCfg grpcserver.TLS) string {
	t.Helper()
	require.NoError(t, tlsCfg.Validate())
	opts, err := tlsCfg.ServerOptions()
	require.NoError(t, err)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	pub, _, err := ed25519.GenerateKey(nil)
	require.NoError(t, err)
	srv := grpcserver.New(log, auth.NewVerifier(pub), clock.Real(), opts...)
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = grpcserver.Serve(ctx, srv, lis) }()
	t.Cleanup(func() { cancel(); <-done })
	return lis.Addr().String()
}

func check(t *testing.T, addr string, client grpcserver.TLS) error {
	t.Helper()
	conn, err := client.Dial(addr)
	require.NoError(t, err)
	defer conn.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err = healthpb.NewHealthClient(conn).Check(ctx, &healthpb.HealthCheckRequest{})
	return err
}

func TestATLSServerAcceptsAClientThatTrustsItsCA(t *testing.T) {
	t.Parallel()
	ca := tlstest.NewCA(t, "whistle")
	cert, key := ca.Issue(t, "routing")
	addr := serve(t, grpcserver.TLS{Cert: cert, Key: key})

	require.NoError(t, check(t, addr, grpcserver.TLS{CA: ca.File}), "a client trusting the CA")
	require.Error(t, check(t, addr, grpcserver.TLS{}), "a plaintext client")
	require.Error(t, check(t, addr, grpcserver.TLS{CA: tlstest.NewCA(t, "other").File}), "a client trusting another CA")
}

func TestAMutualTLSServerAcceptsOnlyClientsWithACertificateFromItsCA(t *testing.T) {
	t.Parallel()
	ca := tlstest.NewCA(t, "whistle")
	cert, key := ca.Issue(t, "routing")
	addr := serve(t, grpcserver.TLS{CA: ca.File, Cert: cert, Key: key, ClientAuth: true})

	clientCert, clientKey := ca.Issue(t, "intake")
	require.NoError(t, check(t, addr, grpcserver.TLS{CA: ca.File, Cert: clientCert, Key: clientKey}))
	require.Error(t, check(t, addr, grpcserver.TLS{CA: ca.File}), "no client certificate")
	otherCert, otherKey := tlstest.NewCA(t, "other").Issue(t, "intruder")
	require.Error(t, check(t, addr, grpcserver.TLS{CA: ca.File, Cert: otherCert, Key: otherKey}), "a certificate from another CA")
}

func TestTLSSettingsGoTogether(t *testing.T) {
	t.Parallel()
	require.ErrorContains(t, grpcserver.TLS{Cert: "a.crt"}.Validate(), "WHISTLE_GRPC_TLS_KEY")
	require.ErrorContains(t, grpcserver.TLS{Cert: "a.crt", Key: "a.key", ClientAuth: true}.Validate(), "WHISTLE_GRPC_TLS_CA")
}
