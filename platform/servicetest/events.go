package servicetest

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/proto"

	"github.com/chuishao/whistle/platform/bus"
	"github.com/chuishao/whistle/proto/events"
	eventsv1 "github.com/chuishao/whistle/proto/gen/whistle/events/v1"
)

// Wait bounds, in real time, every wait for an event: the services'
// asynchronous work (relays, consumers) on a loaded machine.
const Wait = 10 * time.Second

// Publish puts ev on the stream as another service's outbox relay does, with
// its id as Nats-Msg-Id.
func (w *World) Publish(ev *eventsv1.Event) { w.PublishWithID(ev, ev.GetId()) }

// PublishWithID is Publish with msgID as Nats-Msg-Id (a republished event
// under a new id, say).
func (w *World) PublishWithID(ev *eventsv1.Event, msgID string) {
	w.t.Helper()
	subject, err := events.Subject(ev)
	if err != nil {
		w.t.Fatalf("servicetest: %v", err)
	}
	data, err := proto.Marshal(ev)
	if err != nil {
		w.t.Fatalf("servicetest: %v", err)
	}
	if _, err := w.JetStream().PublishMsg(context.Background(), &nats.Msg{Subject: subject, Data: data}, jetstream.WithMsgID(msgID)); err != nil {
		w.t.Fatalf("servicetest: publish %s: %v", subject, err)
	}
}

// Match picks events.
type Match func(*eventsv1.Event) bool

// Named matches the events named name (events.Name) about whistle ("" for any).
func Named(name, whistle string) Match {
	return func(ev *eventsv1.Event) bool {
		return events.Name(ev) == name && (whistle == "" || ev.GetWhistleId() == whistle)
	}
}

// OfDispatch matches the events about one dispatch.
func OfDispatch(id string) Match {
	return func(ev *eventsv1.Event) bool { return ev.GetDispatchId() == id }
}

// Watch records, in stream order, every event on the stream's subjects that
// match its filters, from the stream's start, until the test ends.
type Watch struct {
	w      *World
	mu     sync.Mutex
	seen   []*eventsv1.Event
	next   int // Next's position in seen
	change chan struct{}
}

// Watch starts recording the events on filters (subject patterns, e.g.
// "whistle.v1.>").
func (w *World) Watch(filters ...string) *Watch {
	w.t.Helper()
	wt := &Watch{w: w, change: make(chan struct{}, 1)}
	cons, err := w.JetStream().OrderedConsumer(context.Background(), bus.StreamName, jetstream.OrderedConsumerConfig{FilterSubjects: filters})
	if err != nil {
		w.t.Fatalf("servicetest: watch %v: %v", filters, err)
	}
	cc, err := cons.Consume(func(msg jetstream.Msg) {
		var ev eventsv1.Event
		if proto.Unmarshal(msg.Data(), &ev) != nil {
			return
		}
		wt.mu.Lock()
		wt.seen = append(wt.seen, &ev)
		wt.mu.Unlock()
		select {
		case wt.change <- struct{}{}:
		default:
		}
	})
	if err != nil {
		w.t.Fatalf("servicetest: watch %v: %v", filters, err)
	}
	w.t.Cleanup(cc.Stop)
	return wt
}

// Seen is every event recorded so far that matches.
func (wt *Watch) Seen(match Match) []*eventsv1.Event {
	wt.mu.Lock()
	defer wt.mu.Unlock()
	var out []*eventsv1.Event
	for _, ev := range wt.seen {
		if match(ev) {
			out = append(out, ev)
		}
	}
	return out
}

// AwaitN waits until n events that match have been recorded and returns all
// those recorded so far.
func (wt *Watch) AwaitN(n int, match Match) []*eventsv1.Event {
	wt.w.t.Helper()
	var got []*eventsv1.Event
	wt.Until(func() bool { got = wt.Seen(match); return len(got) >= n })
	return got
}

// Until waits until cond, which reads what the watch has seen, holds: it
// checks again on every event recorded.
func (wt *Watch) Until(cond func() bool) {
	wt.w.t.Helper()
	timeout := time.After(Wait)
	for !cond() {
		select {
		case <-wt.change:
		case <-timeout:
			wt.w.t.Fatalf("servicetest: condition not reached within %s of events", Wait)
		}
	}
}

// Await waits for the first event that matches.
func (wt *Watch) Await(match Match) *eventsv1.Event {
	wt.w.t.Helper()
	return wt.AwaitN(1, match)[0]
}

// Next waits for the next event that matches after the one Next returned
// last, passing over the others.
func (wt *Watch) Next(match Match) *eventsv1.Event {
	wt.w.t.Helper()
	timeout := time.After(Wait)
	for {
		if ev := wt.take(match); ev != nil {
			return ev
		}
		select {
		case <-wt.change:
		case <-timeout:
			wt.w.t.Fatalf("servicetest: no matching event within %s", Wait)
			return nil
		}
	}
}

// take moves Next's position past the first event that matches, if any.
func (wt *Watch) take(match Match) *eventsv1.Event {
	wt.mu.Lock()
	defer wt.mu.Unlock()
	for wt.next < len(wt.seen) {
		ev := wt.seen[wt.next]
		wt.next++
		if match(ev) {
			return ev
		}
	}
	return nil
}

// AdvanceUntil moves the clock forward in steps of step, never past limit,
// until Next would return an event that matches, and returns it. Small steps
// (rather than one jump) make sure a timer set just after an advance still
// fires on the next one; between steps it waits for an event for a few
// milliseconds, the time the work an advance started needs to show.
func (wt *Watch) AdvanceUntil(limit time.Time, step time.Duration, match Match) *eventsv1.Event {
	wt.w.t.Helper()
	clk := wt.w.Clock
	for range 2000 {
		if clk.Now().Before(limit) {
			clk.Advance(min(step, limit.Sub(clk.Now())))
		}
		select {
		case <-wt.change:
		case <-time.After(5 * time.Millisecond):
		}
		if ev := wt.take(match); ev != nil {
			return ev
		}
	}
	wt.w.t.Fatalf("servicetest: no matching event; clock at %s", clk.Now())
	return nil
}

// Stored is every event on the stream on filter, read once the test knows
// the services have settled.
func (w *World) Stored(filter string) []*eventsv1.Event {
	w.t.Helper()
	ctx := context.Background()
	stream, err := w.JetStream().Stream(ctx, bus.StreamName)
	if err != nil {
		w.t.Fatalf("servicetest: %v", err)
	}
	info, err := stream.Info(ctx, jetstream.WithSubjectFilter(filter))
	if err != nil {
		w.t.Fatalf("servicetest: %v", err)
	}
	var total uint64
	for _, n := range info.State.Subjects {
		total += n
	}
	if total == 0 {
		return nil
	}
	cons, err := w.JetStream().OrderedConsumer(ctx, bus.StreamName, jetstream.OrderedConsumerConfig{FilterSubjects: []string{filter}})
	if err != nil {
		w.t.Fatalf("servicetest: %v", err)
	}
	var out []*eventsv1.Event
	for uint64(len(out)) < total {
		batch, err := cons.Fetch(int(total)-len(out), jetstream.FetchMaxWait(5*time.Second))
		if err != nil {
			w.t.Fatalf("servicetest: %v", err)
		}
		got := 0
		for msg := range batch.Messages() {
			var ev eventsv1.Event
			if err := proto.Unmarshal(msg.Data(), &ev); err != nil {
				w.t.Fatalf("servicetest: %v", err)
			}
			out = append(out, &ev)
			got++
		}
		if err := batch.Error(); err != nil && !errors.Is(err, jetstream.ErrNoMessages) {
			w.t.Fatalf("servicetest: %v", err)
		}
		if got == 0 {
			w.t.Fatalf("servicetest: the stream holds %d events on %s, fetched %d", total, filter, len(out))
		}
	}
	return out
}
