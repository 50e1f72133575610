package worker_test

import (
	"context"
	"errors"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/chuishao/whistle/platform/clock"
	"github.com/chuishao/whistle/platform/postgres"
	"github.com/chuishao/whistle/platform/postgres/pgtest"
	"github.com/chuishao/whistle/platform/worker"
)

var t0 = time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)

// sweeps runs loop.Sweep on step in the background and reports each round.
func sweeps(t *testing.T, loop worker.Loop, step func(n int) (bool, error)) (<-chan int, context.CancelFunc, <-chan error) {
	t.Helper()
	rounds := make(chan int, 16)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	var n atomic.Int64
	go func() {
		done <- loop.Sweep(ctx, func(context.Context) (bool, error) {
			i := int(n.Add(1))
			more, err := step(i)
			rounds <- i
			return more, err
		})
	}()
	return rounds, cancel, done
}

func round(t *testing.T, rounds <-chan int) int {
	t.Helper()
	select {
	case n := <-rounds:
		return n
	case <-time.After(10 * time.Second):
		t.Fatal("no round")
		return 0
	}
}

func none(t *testing.T, rounds <-chan int) {
	t.Helper()
	select {
	case n := <-rounds:
		t.Fatalf("round %d ran unasked", n)
	default:
	}
}

// A sweep goes on at once while its step reports more, then waits for the
// poll interval on the clock; it stops, without error, when its context ends.
func TestSweepRunsWhileThereIsMoreThenPollsOnTheClock(t *testing.T) {
	t.Parallel()
	clk := clock.NewFake(t0)
	loop := worker.Loop{Name: "test", Log: slog.New(slog.DiscardHandler), Clock: clk, Poll: time.Minute}
	rounds, cancel, done := sweeps(t, loop, func(n int) (bool, error) { return n < 3, nil })
	require.Equal(t, 1, round(t, rounds))
	require.Equal(t, 2, round(t, rounds))
	require.Equal(t, 3, round(t, rounds))

	require.NoError(t, clk.BlockUntilContext(t.Context(), 1)) // waiting on the poll
	none(t, rounds)
	clk.Advance(59 * time.Second)
	none(t, rounds)
	clk.Advance(time.Second)
	require.Equal(t, 4, round(t, rounds))

	cancel()
	require.NoError(t, <-done)
}

// A failing step is run again after a backoff; the work it left waits.
func TestSweepRetriesAFailedStep(t *testing.T) {
	t.Parallel()
	clk := clock.NewFake(t0)
	loop := worker.Loop{Name: "test", Log: slog.New(slog.DiscardHandler), Clock: clk}
	rounds, cancel, done := sweeps(t, loop, func(n int) (bool, error) {
		if n == 1 {
			return false, errors.New("database went away")
		}
		return false, nil
	})
	require.Equal(t, 1, round(t, rounds))
	require.Equal(t, 2, round(t, rounds), "the backoff is real time, not the clock's: a stopped clock does not hold it")
	cancel()
	require.NoError(t, <-done)
}

// A commit that marked the loop's topic wakes it before the poll interval;
// one on another topic does not.
func TestSweepWakesOnACommitOfItsTopic(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	pool, err := postgres.Connect(ctx, pgtest.NewDatabase(t), "worker")
	require.NoError(t, err)
	defer pool.Close()
	clk := clock.NewFake(t0)
	loop := worker.Loop{Name: "test", Log: slog.New(slog.DiscardHandler), Clock: clk, Pool: pool, Topic: "jobs", Poll: time.Hour}
	rounds, cancel, done := sweeps(t, loop, func(int) (bool, error) { return false, nil })
	require.Equal(t, 1, round(t, rounds))
	require.NoError(t, clk.BlockUntilContext(ctx, 1))

	commit := func(topic string) {
		require.NoError(t, pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
			postgres.WakeAfterCommit(tx, topic)
			return nil
		}))
	}
	commit("other")
	none(t, rounds)
	commit("jobs")
	require.Equal(t, 2, round(t, rounds))
	cancel()
	require.NoError(t, <-done)
}

// Until fires when the clock reaches its time; asking again for the same
// time keeps the one wait, and a time already past fires at once.
func TestUntilKeepsOneWaitPerDeadline(t *testing.T) {
	t.Parallel()
	clk := clock.NewFake(t0)
	loop := worker.Loop{Name: "test", Log: slog.New(slog.DiscardHandler), Clock: clk}
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	got := make(chan *worker.Wait, 1)
	go func() {
		_ = loop.Run(ctx, func(ctx context.Context, w *worker.Wait) error {
			got <- w
			<-ctx.Done()
			return nil
		})
	}()
	w := <-got
	due := w.Until(t0.Add(time.Minute))
	require.Equal(t, due, w.Until(t0.Add(time.Minute)), "the same deadline, the same wait")
	select {
	case <-w.Until(t0.Add(-time.Second)):
	default:
		t.Fatal("a deadline already past fires at once")
	}
	clk.Advance(time.Minute)
	select {
	case <-w.Until(t0.Add(time.Minute)):
	case <-time.After(10 * time.Second):
		t.Fatal("the deadline did not fire")
	}
}
