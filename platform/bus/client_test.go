package bus_test

import (
	"crypto/tls"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/stretchr/testify/require"

	"github.com/chuishao/whistle/platform/bus"
	"github.com/chuishao/whistle/platform/tlstest"
)

// TestAClientTrustingTheCAConnectsToATLSServer: NATS_CA makes the connection
// TLS, checked against the CA; NATS_CERT/NATS_KEY add the client certificate
// a server verifying clients asks for.
func TestAClientTrustingTheCAConnectsToATLSServer(t *testing.T) {
	t.Parallel()
	ca := tlstest.NewCA(t, "nats")
	cert, key := ca.Issue(t, "localhost")
	tlsCfg, err := server.GenTLSConfig(&server.TLSConfigOpts{CertFile: cert, KeyFile: key, CaFile: ca.File, Verify: true})
	require.NoError(t, err)
	tlsCfg.MinVersion = tls.VersionTLS12
	srv, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: -1, NoLog: true, NoSigs: true,
		TLSConfig: tlsCfg, TLSVerify: true, TLSTimeout: 5})
	require.NoError(t, err)
	srv.Start()
	t.Cleanup(srv.Shutdown)
	require.True(t, srv.ReadyForConnections(10*time.Second))
	url := srv.ClientURL()

	clientCert, clientKey := ca.Issue(t, "routing")
	nc, _, err := bus.Connect(url, "tls-test", bus.Client{CA: ca.File, Cert: clientCert, Key: clientKey}.Options()...)
	require.NoError(t, err)
	defer nc.Close()
	require.NoError(t, nc.Flush())
	require.True(t, nc.TLSRequired())
	state, err := nc.TLSConnectionState()
	require.NoError(t, err)
	require.True(t, state.HandshakeComplete)
}
