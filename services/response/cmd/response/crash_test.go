package main_test

import (
	"context"
	"crypto/ed25519"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"

	"github.com/chuishao/whistle/platform/auth"
	"github.com/chuishao/whistle/platform/bus"
	"github.com/chuishao/whistle/platform/bus/natstest"
	"github.com/chuishao/whistle/platform/postgres"
	"github.com/chuishao/whistle/platform/postgres/pgtest"
	eventsv1 "github.com/chuishao/whistle/proto/gen/whistle/events/v1"
	"github.com/chuishao/whistle/services/response/internal/store"
	"github.com/chuishao/whistle/services/response/migrations"
)

// TestKilledWhileFiringLosesNothingAndRepeatsNothing builds the real binary,
// lets it fire 5,000 due timers, kills it with SIGKILL halfway, starts it
// again and checks that every timer produced exactly one sla.breached.
func TestKilledWhileFiringLosesNothingAndRepeatsNothing(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("builds the binary")
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go tool to build the binary")
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	bin := filepath.Join(t.TempDir(), "response")
	build := exec.CommandContext(ctx, goTool, "build", "-o", bin, ".")
	out, err := build.CombinedOutput()
	require.NoError(t, err, "build: %s", out)

	dbURL := pgtest.NewDatabase(t)
	natsURL := natstest.Start(t)
	pool, err := postgres.Connect(ctx, dbURL, "response")
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	require.NoError(t, postgres.Migrate(ctx, pool, "response", bus.Migrations, postgres.Migrations{Name: "response", FS: migrations.FS}))
	q := store.New(pool)
	const n = 5000
	due := time.Now().Add(-time.Second)
	_, err = q.SeedDueDispatches(ctx, store.SeedDueDispatchesParams{Prefix: "k-", Now: due.Add(-time.Hour), DueAt: due, N: n})
	require.NoError(t, err)

	pub, _, err := ed25519.GenerateKey(nil)
	require.NoError(t, err)
	env := append(os.Environ(),
		"DATABASE_URL="+dbURL, "NATS_URL="+natsURL, "WHISTLE_GRPC_ADDR=127.0.0.1:0",
		"WHISTLE_JWT_PUBLIC_KEY="+auth.EncodeKey(pub), "WHISTLE_LOG_LEVEL=error", "WHISTLE_SLA_TIMER_BATCH=100",
	)
	start := func() *exec.Cmd {
		cmd := exec.CommandContext(ctx, bin)
		cmd.Env = env
		require.NoError(t, cmd.Start())
		return cmd
	}
	waitFor := func(what string, cond func(left int64) bool) {
		t.Helper()
		deadline := time.After(60 * time.Second)
		for {
			left, err := q.CountDueTimers(ctx, due)
			require.NoError(t, err)
			if cond(left) {
				return
			}
			select {
			case <-deadline:
				t.Fatalf("timed out waiting for %s (%d timers left)", what, left)
			case <-time.After(5 * time.Millisecond):
			}
		}
	}

	first := start()
	// Mid-firing: some batches committed, most still to go. (Each breach
	// leaves the ladder's next step behind, due much later: not counted.)
	waitFor("the first batches", func(left int64) bool { return left < n*9/10 })
	require.NoError(t, first.Process.Signal(syscall.SIGKILL))
	_ = first.Wait()
	firedBefore, err := q.CountDueTimers(ctx, due)
	require.NoError(t, err)
	t.Logf("killed with %d of %d timers still due", firedBefore, n)
	require.Positive(t, firedBefore, "killed too late to prove anything")
	require.Less(t, firedBefore, int64(n), "killed before any firing")

	restarted := time.Now()
	second := start()
	t.Cleanup(func() { _ = second.Process.Kill(); _ = second.Wait() })
	eventually := func(what string, cond func() bool) {
		deadline := time.After(60 * time.Second)
		for !cond() {
			select {
			case <-deadline:
				t.Fatalf("timed out waiting for %s", what)
			case <-time.After(10 * time.Millisecond):
			}
		}
	}
	eventually("every timer fired and published", func() bool {
		dueLeft, err := q.CountDueTimers(ctx, due)
		require.NoError(t, err)
		outbox, err := q.CountOutbox(ctx)
		require.NoError(t, err)
		return dueLeft == 0 && outbox == 0
	})
	t.Logf("all fired %s after the restart", time.Since(restarted))

	nc, js, err := bus.Connect(natsURL, "crash-test")
	require.NoError(t, err)
	t.Cleanup(nc.Close)
	cons, err := js.OrderedConsumer(ctx, bus.StreamName, jetstream.OrderedConsumerConfig{FilterSubjects: []string{"sla.v1.breached.>"}})
	require.NoError(t, err)
	seen := make(map[string]int, n)
	total := 0
	for total < n {
		batch, err := cons.Fetch(n-total, jetstream.FetchMaxWait(5*time.Second))
		require.NoError(t, err)
		got := 0
		for msg := range batch.Messages() {
			var ev eventsv1.Event
			require.NoError(t, proto.Unmarshal(msg.Data(), &ev))
			seen[ev.GetDispatchId()]++
			got++
		}
		if err := batch.Error(); err != nil && !errors.Is(err, jetstream.ErrNoMessages) {
			require.NoError(t, err)
		}
		require.NotZero(t, got, "stream ended after %d breaches", total)
		total += got
	}
	require.Len(t, seen, n, "every timer fired")
	for id, c := range seen {
		require.Equal(t, 1, c, "dispatch %s breached %d times", id, c)
	}
	// Nothing beyond the n breaches is on the stream.
	stream, err := js.Stream(ctx, bus.StreamName)
	require.NoError(t, err)
	info, err := stream.Info(ctx, jetstream.WithSubjectFilter("sla.v1.breached.>"))
	require.NoError(t, err)
	var onStream uint64
	for _, c := range info.State.Subjects {
		onStream += c
	}
	require.EqualValues(t, n, onStream)
}
