package bus_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/chuishao/whistle/platform/bus"
	"github.com/chuishao/whistle/platform/bus/natstest"
	"github.com/chuishao/whistle/proto/events"
	eventsv1 "github.com/chuishao/whistle/proto/gen/whistle/events/v1"
	"github.com/chuishao/whistle/proto/topology"
)

// TestEveryEventHasOnePublisher: every event type of events.proto may be
// published by exactly one service's NATS user. A new event fails here until
// the service that emits it gets it in proto/topology (Emits).
func TestEveryEventHasOnePublisher(t *testing.T) {
	t.Parallel()
	fields := (&eventsv1.Event{}).ProtoReflect().Descriptor().Oneofs().ByName("payload").Fields()
	for i := range fields.Len() {
		name := eventName(fields.Get(i))
		subject := strings.TrimSuffix(events.SubjectFor(name), ">") + "110101.police"
		var owners []string
		for _, u := range bus.ServiceUsers {
			p, err := bus.PermissionsOf(u)
			require.NoError(t, err)
			for _, allow := range p.Publish {
				if !strings.HasPrefix(allow, "$") && server.SubjectMatchesFilter(subject, allow) {
					owners = append(owners, u)
					break
				}
			}
		}
		if len(owners) != 1 {
			t.Errorf("event %s (%s) is publishable by %v: give it to the one service that emits it in proto/topology",
				name, subject, owners)
		}
	}
}

func eventName(f protoreflect.FieldDescriptor) string {
	domain, ev, _ := strings.Cut(string(f.Name()), "_")
	return domain + "." + ev
}

// client is a connection as one user, with the server's asynchronous errors
// (permission violations) on errs.
type client struct {
	nc   *nats.Conn
	js   jetstream.JetStream
	errs chan error
}

func connectAs(t *testing.T, srv *natstest.Secured, user string) client {
	t.Helper()
	c := client{errs: make(chan error, 16)}
	opts := append(srv.Client(user).Options(), nats.ErrorHandler(func(_ *nats.Conn, _ *nats.Subscription, err error) {
		select {
		case c.errs <- err:
		default:
		}
	}))
	var err error
	c.nc, c.js, err = bus.Connect(srv.URL, "test-"+user, opts...)
	require.NoError(t, err)
	t.Cleanup(c.nc.Close)
	return c
}

// violation waits for the server to refuse something on c, and returns its message.
func (c client) violation(t *testing.T) string {
	t.Helper()
	require.NoError(t, c.nc.Flush())
	select {
	case err := <-c.errs:
		require.ErrorIs(t, err, nats.ErrPermissionViolation)
		return err.Error()
	case <-time.After(10 * time.Second):
		t.Fatal("no permission violation reported")
		return ""
	}
}

func lastSeq(t *testing.T, js jetstream.JetStream) uint64 {
	t.Helper()
	s, err := js.Stream(t.Context(), bus.StreamName)
	require.NoError(t, err)
	info, err := s.Info(t.Context())
	require.NoError(t, err)
	return info.State.LastSeq
}

// startWithStream is a secured server with the event stream declared, and the admin's connection.
func startWithStream(t *testing.T) (*natstest.Secured, client) {
	t.Helper()
	srv := natstest.StartSecured(t)
	admin := connectAs(t, srv, bus.UserAdmin)
	require.NoError(t, bus.EnsureStream(t.Context(), admin.js, 1))
	return srv, admin
}

func TestAServiceUserPublishesOnlyTheEventsItOwns(t *testing.T) {
	t.Parallel()
	srv, admin := startWithStream(t)
	routing := connectAs(t, srv, topology.Routing)
	require.NoError(t, bus.EnsureStream(t.Context(), routing.js, 1), "a backend declares the stream at start-up")
	_, err := routing.js.Publish(t.Context(), "whistle.v1.routed.110101", []byte("x"))
	require.NoError(t, err, "routing publishes whistle.routed")
	before := lastSeq(t, admin.js)

	// Routing's credentials cannot pass for response (dispatch.acknowledged)
	// nor intake (whistle.raised); response's cannot raise whistles; the
	// gateway publishes no event at all.
	for _, tc := range []struct{ user, subject string }{
		{topology.Routing, "dispatch.v1.acknowledged.110101.police"},
		{topology.Routing, "whistle.v1.raised.110101"},
		{topology.Response, "whistle.v1.raised.110101"},
		{topology.Intake, "sla.v1.breached.110101"},
		{topology.Feedback, "dispatch.v1.resolved.110101.police"},
		{topology.Gateway, "whistle.v1.cancelled.110101"},
	} {
		c := connectAs(t, srv, tc.user)
		require.NoError(t, c.nc.Publish(tc.subject, []byte("forged")))
		require.Contains(t, c.violation(t), `Publish to "`+tc.subject+`"`, tc.user)
	}
	require.Equal(t, before, lastSeq(t, admin.js), "no forged event reached the stream")
}

func TestAServiceUserReadsOnlyItsOwnConsumersAndInbox(t *testing.T) {
	t.Parallel()
	srv, _ := startWithStream(t)
	routing := connectAs(t, srv, topology.Routing)
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	_, err := routing.js.CreateOrUpdateConsumer(ctx, bus.StreamName, jetstream.ConsumerConfig{
		Durable: "routing", FilterSubjects: []string{"whistle.v1.raised.>", "dispatch.v1.returned.>"},
	})
	require.NoError(t, err, "routing declares its own durable consumer")

	for _, subject := range []string{
		fmt.Sprintf("$JS.API.CONSUMER.MSG.NEXT.%s.response", bus.StreamName),
		fmt.Sprintf("$JS.API.CONSUMER.CREATE.%s.intake", bus.StreamName),
		fmt.Sprintf("$JS.API.STREAM.DELETE.%s", bus.StreamName),
	} {
		require.NoError(t, routing.nc.Publish(subject, nil))
		require.Contains(t, routing.violation(t), subject)
	}
	_, err = routing.nc.SubscribeSync(bus.InboxPrefix(topology.Response) + ".>")
	require.NoError(t, err)
	require.Contains(t, routing.violation(t), "Subscription to")
}
