// Package natstest starts a real, embedded NATS JetStream server per test.
package natstest

import (
	"testing"

	"github.com/chuishao/whistle/platform/bus"
)

// Start runs a fresh JetStream server for t on a free loopback port and returns its URL.
func Start(t testing.TB) string {
	t.Helper()
	srv, err := bus.StartEmbedded(t.TempDir(), "127.0.0.1", -1)
	if err != nil {
		t.Fatalf("natstest: %v", err)
	}
	t.Cleanup(srv.Shutdown)
	return srv.URL()
}
