package grants_test

import (
	"context"
	"io"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/chuishao/whistle/platform/auth"
	"github.com/chuishao/whistle/platform/bus"
	"github.com/chuishao/whistle/platform/bus/natstest"
	"github.com/chuishao/whistle/proto/topology"
	"github.com/chuishao/whistle/services/gateway/internal/grants"
)

// relay is a TCP relay to addr that the test can cut (every connection
// dropped, new ones refused) and mend.
type relay struct {
	lis  net.Listener
	mu   sync.Mutex
	down bool
	open map[net.Conn]bool
}

func startRelay(t *testing.T, addr string) *relay {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	r := &relay{lis: lis, open: map[net.Conn]bool{}}
	go func() {
		for {
			c, err := lis.Accept()
			if err != nil {
				return
			}
			r.mu.Lock()
			if r.down {
				r.mu.Unlock()
				_ = c.Close()
				continue
			}
			up, err := net.Dial("tcp", addr)
			if err != nil {
				r.mu.Unlock()
				_ = c.Close()
				continue
			}
			r.open[c], r.open[up] = true, true
			r.mu.Unlock()
			go func() { _, _ = io.Copy(up, c); _ = up.Close() }()
			go func() { _, _ = io.Copy(c, up); _ = c.Close() }()
		}
	}()
	t.Cleanup(func() { _ = lis.Close(); r.cut() })
	return r
}

func (r *relay) cut() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.down = true
	for c := range r.open {
		_ = c.Close()
	}
	r.open = map[net.Conn]bool{}
}

func (r *relay) mend() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.down = false
}

// fakeNow is a real-time clock the test moves on by hand.
type fakeNow struct{ offset atomic.Int64 }

func (f *fakeNow) Now() time.Time          { return time.Now().Add(time.Duration(f.offset.Load())) }
func (f *fakeNow) Advance(d time.Duration) { f.offset.Add(int64(d)) }

// current waits, by the store's change signal, until its copy answers.
func current(t *testing.T, s *grants.Store) {
	t.Helper()
	deadline := time.After(20 * time.Second)
	for {
		changed := s.Changed()
		if s.Current() == nil {
			return
		}
		select {
		case <-changed:
		case <-deadline:
			t.Fatalf("the grants copy never became current: %v", s.Current())
		}
	}
}

// TestAGatewayCutOffFromTheGrantsRefusesPeopleUntilItIsCurrentAgain: a
// replica whose connection to NATS is cut stops answering for anyone once
// its last heartbeat is older than MaxStale (a revocation written meanwhile
// could not reach it), and answers again once it hears the bucket again.
func TestAGatewayCutOffFromTheGrantsRefusesPeopleUntilItIsCurrentAgain(t *testing.T) {
	t.Parallel()
	srv := natstest.StartSecured(t)
	writer := replica(t, srv)
	current(t, writer)

	host, port, err := net.SplitHostPort(srv.URL[len("nats://"):])
	require.NoError(t, err)
	cable := startRelay(t, net.JoinHostPort(host, port))
	clock := &fakeNow{}
	_, js, err := bus.Connect("nats://"+cable.lis.Addr().String(), "gateway", srv.Client(topology.Gateway).Options()...)
	require.NoError(t, err)
	cutOff := &grants.Store{JS: js, Log: slog.New(slog.DiscardHandler), Heartbeat: 100 * time.Millisecond, Now: clock.Now}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = cutOff.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	current(t, cutOff)

	desk := grants.Grant{Issuer: issuer, Subject: "wang.wu", Role: auth.RoleDesk, Department: "police", District: "110101", By: "oidc:admin"}
	changed := cutOff.Changed()
	require.NoError(t, writer.Put(context.Background(), desk))
	<-changed
	require.NoError(t, cutOff.Check(issuer)(desk.Identity()))

	cable.cut()
	// The revocation is written where the cut-off replica cannot hear it.
	require.NoError(t, writer.Put(context.Background(), grants.Grant{Issuer: issuer, Subject: "wang.wu", Revoked: true, By: "oidc:admin"}))
	clock.Advance(grants.DefaultMaxStale + time.Second)
	_, _, err = cutOff.Lookup(issuer, "wang.wu")
	require.ErrorIs(t, err, grants.ErrStale, "a stale copy answers for nobody")
	require.Error(t, cutOff.Check(issuer)(desk.Identity()), "the person's token is refused, not served on the stale grant")
	_, err = cutOff.List()
	require.ErrorIs(t, err, grants.ErrStale)
	require.NoError(t, cutOff.Check(issuer)(auth.Identity{Subject: "dev-desk", Role: auth.RoleDesk}), "other tokens are not the grants' business")

	cable.mend()
	current(t, cutOff)
	require.ErrorIs(t, cutOff.Check(issuer)(desk.Identity()), grants.ErrRevoked, "current again: the revocation written during the cut is in force")
}
