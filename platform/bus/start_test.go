package bus_test

import (
	"context"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/stretchr/testify/require"

	"github.com/chuishao/whistle/platform/bus"
	eventsv1 "github.com/chuishao/whistle/proto/gen/whistle/events/v1"
)

// runConsumer runs consumer name (writing effects) with opts until the returned
// stop is called; stop waits for it to end.
func runConsumer(t *testing.T, e env, opts bus.Options, name string) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() {
		done <- opts.Consume(ctx, e.js, e.pool, e.log, bus.Consumer{Name: name, Subjects: []string{"whistle.v1.>"}, Handle: writeEffect})
	}()
	stopped := false
	stop = func() {
		if !stopped {
			stopped = true
			cancel()
			require.NoError(t, <-done)
		}
	}
	t.Cleanup(stop)
	return stop
}

// publishAll publishes n new events and returns them and the stream
// sequence of the first.
func publishAll(t *testing.T, e env, n int) (evs []*eventsv1.Event, firstSeq uint64) {
	t.Helper()
	for i := range n {
		ev := raised("110105")
		evs = append(evs, ev)
		publish(t, e, ev, "")
		if i == 0 {
			info, err := stream(t, e).Info(t.Context())
			require.NoError(t, err)
			firstSeq = info.State.LastSeq
		}
	}
	return evs, firstSeq
}

func stream(t *testing.T, e env) jetstream.Stream {
	s, err := e.js.Stream(t.Context(), bus.StreamName)
	require.NoError(t, err)
	return s
}

// handledExactly waits until the effects table holds exactly want's events,
// each once, and the consumer has nothing left to deliver.
func handledExactly(t *testing.T, e env, name string, want []*eventsv1.Event) {
	t.Helper()
	ids := map[string]int{}
	for _, ev := range want {
		ids[ev.GetId()] = 1
	}
	require.Eventually(t, func() bool {
		got, _ := applied(t, e)
		cons, err := e.js.Consumer(t.Context(), bus.StreamName, name)
		if err != nil || len(got) != len(ids) {
			return false
		}
		info, err := cons.Info(t.Context())
		return err == nil && info.NumPending == 0 && info.NumAckPending == 0
	}, 10*time.Second, 10*time.Millisecond)
	got, _ := applied(t, e)
	require.Equal(t, ids, got)
}

// TestANewConsumerStartsWhereItIsTold: a consumer created with a start time
// skips the events stored before it, and one created for new events skips
// everything stored before its creation.
func TestANewConsumerStartsWhereItIsTold(t *testing.T) {
	t.Parallel()
	e := setup(t)
	effects(t, e)
	publishAll(t, e, 3) // the stream's history
	recent, first := publishAll(t, e, 2)
	msg, err := stream(t, e).GetMsg(t.Context(), first)
	require.NoError(t, err)

	stop := runConsumer(t, e, bus.Options{Starts: bus.Starts{"late": {At: msg.Time}}}, "late")
	handledExactly(t, e, "late", recent)
	stop()

	_, err = e.pool.Exec(t.Context(), "TRUNCATE effects")
	require.NoError(t, err)
	runConsumer(t, e, bus.Options{Starts: bus.Starts{"fresh": {New: true}}}, "fresh")
	require.Eventually(t, func() bool { _, err := e.js.Consumer(t.Context(), bus.StreamName, "fresh"); return err == nil },
		10*time.Second, 10*time.Millisecond)
	after, _ := publishAll(t, e, 2)
	handledExactly(t, e, "fresh", after)
}

// TestAnExistingConsumerKeepsItsPosition: a start set for a consumer that
// already exists changes nothing: restarted with one, it goes on from where
// it stopped, with the events published meanwhile.
func TestAnExistingConsumerKeepsItsPosition(t *testing.T) {
	t.Parallel()
	e := setup(t)
	effects(t, e)
	before, _ := publishAll(t, e, 2)
	stop := runConsumer(t, e, bus.Options{}, "kept")
	handledExactly(t, e, "kept", before)
	stop()

	meanwhile, first := publishAll(t, e, 2)
	msg, err := stream(t, e).GetMsg(t.Context(), first+1)
	require.NoError(t, err)
	for _, start := range []bus.Start{{New: true}, {At: msg.Time}} {
		stop := runConsumer(t, e, bus.Options{Starts: bus.Starts{"kept": start}}, "kept")
		handledExactly(t, e, "kept", append(before, meanwhile...))
		stop()
		cons, err := e.js.Consumer(t.Context(), bus.StreamName, "kept")
		require.NoError(t, err)
		require.Equal(t, jetstream.DeliverAllPolicy, cons.CachedInfo().Config.DeliverPolicy, "start %s", start)
	}
}
