package e2e_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"

	"github.com/chuishao/whistle/platform/bus"
	"github.com/chuishao/whistle/proto/events"
	eventsv1 "github.com/chuishao/whistle/proto/gen/whistle/events/v1"
)

// busCost is what a set of events costs the bus and the consumers.
type busCost struct {
	// events are their names, in stream order.
	events []string
	// messages are the NATS messages they cause: the publish and its
	// acknowledgement, and for every durable consumer following the subject
	// a delivery and its acknowledgement (pull requests, shared by a batch,
	// not counted).
	messages int
	// processed are the processed-event rows the consumers wrote for them.
	processed int
}

// TestRoutingAWhistleIsOneEvent measures what routing a joint-enforcement
// whistle (three departments) costs: routing's decision is one event that
// carries the three dispatch requests, not one event per department beside
// the decision, and response creates the three dispatches from it.
func TestRoutingAWhistleIsOneEvent(t *testing.T) {
	t.Parallel()
	s := startSystem(t, options{})
	id, w := raise(t, s, donghuamen, "joint-enforcement", 3)
	eventually(t, "every consumer caught up", func() bool { return consumersIdle(t, s) })

	evs := whistleEvents(t, s, id)
	var routing, all []*eventsv1.Event
	for _, ev := range evs {
		all = append(all, ev)
		if ev.GetActor().GetId() == "routing" {
			routing = append(routing, ev)
		}
	}
	routed := cost(t, s, routing)
	whole := cost(t, s, all)
	t.Logf("routing's events for the whistle: %d %v, %d NATS messages, %d processed-event rows",
		len(routed.events), routed.events, routed.messages, routed.processed)
	t.Logf("the whistle from raise to its dispatches: %d events %v, %d NATS messages, %d processed-event rows",
		len(whole.events), whole.events, whole.messages, whole.processed)

	require.Equal(t, []string{"whistle.routed"}, routed.events, "one event per routing decision")
	// The whistle's answer, once routed, explains its departments.
	explained := obj(w["routing"])
	require.NotEmpty(t, explained["rule"], "routing's explanation comes with the routed whistle: %v", w)
	require.Len(t, list(explained["departments"]), 3)
	departments := routing[0].GetWhistleRouted().GetDepartments()
	require.Len(t, departments, 3)
	for _, d := range departments {
		require.NotNil(t, d.GetRequest(), "the decision carries %s's dispatch request", d.GetDepartment())
		require.Equal(t, d.GetDispatchId(), str(dispatchOf(t, w, d.GetDepartment())["id"]), "the dispatch routing named")
	}
}

// consumersIdle tells whether every durable consumer has handled everything.
func consumersIdle(t *testing.T, s *system) bool {
	t.Helper()
	ctx := context.Background()
	stream, err := s.js.Stream(ctx, bus.StreamName)
	require.NoError(t, err)
	infos := stream.ListConsumers(ctx)
	for ci := range infos.Info() {
		if ci.Config.Durable != "" && (ci.NumPending > 0 || ci.NumAckPending > 0) {
			return false
		}
	}
	require.NoError(t, infos.Err())
	return true
}

// whistleEvents are the events about the whistle on the stream, in order.
func whistleEvents(t *testing.T, s *system, id string) []*eventsv1.Event {
	t.Helper()
	ctx := context.Background()
	stream, err := s.js.Stream(ctx, bus.StreamName)
	require.NoError(t, err)
	info, err := stream.Info(ctx)
	require.NoError(t, err)
	cons, err := stream.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{})
	require.NoError(t, err)
	var out []*eventsv1.Event
	for read := uint64(0); read < info.State.Msgs; {
		batch, err := cons.FetchNoWait(500)
		require.NoError(t, err)
		for msg := range batch.Messages() {
			read++
			var ev eventsv1.Event
			require.NoError(t, proto.Unmarshal(msg.Data(), &ev))
			if ev.GetWhistleId() == id {
				out = append(out, &ev)
			}
		}
		if err := batch.Error(); err != nil && !errors.Is(err, jetstream.ErrNoMessages) {
			require.NoError(t, err)
		}
	}
	return out
}

// cost counts what evs cost: the durable consumers' filters say who receives
// each, the services' processed_events tables who recorded it.
func cost(t *testing.T, s *system, evs []*eventsv1.Event) busCost {
	t.Helper()
	ctx := context.Background()
	stream, err := s.js.Stream(ctx, bus.StreamName)
	require.NoError(t, err)
	var filters [][]string
	infos := stream.ListConsumers(ctx)
	for ci := range infos.Info() {
		if ci.Config.Durable == "" {
			continue
		}
		f := ci.Config.FilterSubjects
		if ci.Config.FilterSubject != "" {
			f = append(f, ci.Config.FilterSubject)
		}
		filters = append(filters, f)
	}
	require.NoError(t, infos.Err())

	var c busCost
	ids := make([]string, 0, len(evs))
	for _, ev := range evs {
		subject, err := events.Subject(ev)
		require.NoError(t, err)
		c.events = append(c.events, events.Name(ev))
		ids = append(ids, ev.GetId())
		c.messages += 2
		for _, f := range filters {
			for _, filter := range f {
				if server.SubjectMatchesFilter(subject, filter) {
					c.messages += 2
					break
				}
			}
		}
	}
	for _, schema := range []string{"intake", "discovery", "routing", "response", "feedback"} {
		conn, err := pgx.Connect(ctx, s.db[schema])
		require.NoError(t, err)
		var n int
		err = conn.QueryRow(ctx, fmt.Sprintf(`SELECT count(*) FROM %s.processed_events WHERE event_id = ANY($1)`, schema), ids).Scan(&n)
		require.NoError(t, err)
		require.NoError(t, conn.Close(ctx))
		c.processed += n
	}
	return c
}
