package bus_test

import (
	"context"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/chuishao/whistle/platform/auth"
	"github.com/chuishao/whistle/platform/bus"
	"github.com/chuishao/whistle/platform/bus/natstest"
	"github.com/chuishao/whistle/proto/topology"
)

// TestRevocationsReachEveryServiceUser: the owner's revocations reach a
// list watched by each service's own (restricted) NATS user, and a list
// whose owner stopped publishing refuses every service account.
func TestRevocationsReachEveryServiceUser(t *testing.T) {
	t.Parallel()
	srv := natstest.StartSecured(t)
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	t.Cleanup(func() { cancel(); wg.Wait() })
	connect := func(user string) *bus.RevocationList {
		nc, js, err := bus.Connect(srv.URL, "test-"+user, srv.Client(user).Options()...)
		require.NoError(t, err)
		t.Cleanup(nc.Close)
		return &bus.RevocationList{JS: js, Log: logger(t), MaxStale: time.Second}
	}

	var mu sync.Mutex
	revoked := []string{}
	_, ownerJS, err := bus.Connect(srv.URL, "owner", srv.Client(topology.Response).Options()...)
	require.NoError(t, err)
	pubCtx, stopPublishing := context.WithCancel(ctx)
	pub := &bus.RevocationPublisher{JS: ownerJS, Log: logger(t), Every: 100 * time.Millisecond,
		Revoked: func(context.Context) ([]string, error) {
			mu.Lock()
			defer mu.Unlock()
			return append([]string(nil), revoked...), nil
		}}
	wg.Add(1)
	go func() { defer wg.Done(); _ = pub.Run(pubCtx) }()

	var lists []*bus.RevocationList
	for _, u := range bus.ServiceUsers {
		l := connect(u)
		lists = append(lists, l)
		wg.Add(1)
		go func() { defer wg.Done(); _ = l.Run(ctx) }()
	}
	for _, l := range lists {
		require.Eventually(t, func() bool { return l.CheckServiceAccount("a1") == nil }, 10*time.Second, 10*time.Millisecond)
	}
	changed := lists[0].Changed()

	mu.Lock()
	revoked = append(revoked, "a1")
	mu.Unlock()
	pub.Wake()
	for _, l := range lists {
		require.Eventually(t, func() bool { return l.CheckServiceAccount("a1") != nil }, 10*time.Second, 10*time.Millisecond)
		require.NoError(t, l.CheckServiceAccount("a2"))
	}
	<-changed // the stream's re-check is woken

	stopPublishing()
	for _, l := range lists {
		require.Eventually(t, func() bool { return l.CheckServiceAccount("a2") != nil }, 10*time.Second, 10*time.Millisecond)
		require.ErrorIs(t, l.CheckServiceAccount("a2"), auth.ErrRevoked)
	}
}

func logger(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) { w.t.Log(string(p)); return len(p), nil }
