package e2e_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/stretchr/testify/require"

	"github.com/chuishao/whistle/platform/bus"
	"github.com/chuishao/whistle/proto/topology"
)

// The harness runs every service as its own NATS user (bus.PermissionsOf), so
// every e2e test exercises the permissions; this one checks that a service's
// credentials cannot put another service's events on the stream.
func TestAServiceCannotPublishAnotherServicesEvents(t *testing.T) {
	t.Parallel()
	s := startSystem(t, options{})
	ctx := context.Background()
	id, _ := raise(t, s, donghuamen, "joint-enforcement", 3)

	stream, err := s.js.Stream(ctx, bus.StreamName)
	require.NoError(t, err)
	routed, err := stream.GetLastMsgForSubject(ctx, "whistle.v1.routed."+dongcheng)
	require.NoError(t, err)
	lastSeq := func() uint64 {
		info, err := stream.Info(ctx)
		require.NoError(t, err)
		return info.State.LastSeq
	}
	before := lastSeq()

	for _, tc := range []struct{ user, subject string }{
		// response consumes whistle.routed, which asks for its dispatches, but only routing may publish it
		{topology.Response, routed.Subject},
		// intake cannot acknowledge a dispatch on the desk's behalf
		{topology.Intake, "dispatch.v1.acknowledged." + dongcheng + ".police"},
		// routing cannot close a whistle, feedback cannot breach an SLA
		{topology.Routing, "whistle.v1.closed." + dongcheng},
		{topology.Feedback, "sla.v1.breached." + dongcheng},
		// the gateway only reads
		{topology.Gateway, "whistle.v1.raised." + dongcheng},
	} {
		errs := make(chan error, 4)
		nc, _, err := bus.Connect(s.nats.URL, "forger", append(s.nats.Client(tc.user).Options(),
			nats.ErrorHandler(func(_ *nats.Conn, _ *nats.Subscription, err error) { errs <- err }))...)
		require.NoError(t, err)
		forged := &nats.Msg{Subject: tc.subject, Data: routed.Data, Header: nats.Header{}}
		forged.Header.Set(jetstream.MsgIDHeader, "forged-"+tc.user)
		require.NoError(t, nc.PublishMsg(forged))
		require.NoError(t, nc.Flush())
		select {
		case err := <-errs:
			require.ErrorIs(t, err, nats.ErrPermissionViolation)
			require.Contains(t, err.Error(), `Publish to "`+tc.subject+`"`)
		case <-time.After(10 * time.Second):
			t.Fatalf("%s publishing %s: no permission violation", tc.user, tc.subject)
		}
		nc.Close()
	}
	require.Equal(t, before, lastSeq(), "no forged event reached the stream")

	// The flow goes on: a second whistle is routed and dispatched as usual,
	// and the first still has its three dispatches.
	raise(t, s, donghuamen, "street-vending", 2)
	got := s.do(t, http.MethodGet, "/v1/whistles/"+id, streetToken(t, s, donghuamen), nil)
	require.Len(t, list(got.body["dispatches"]), 3)
}

// TestAReaderCannotTouchAnotherServicesConsumer: the gateway and feedback read
// the stream through ordered consumers of any name, but may not delete, pull
// from or acknowledge on another service's durable consumer — which would
// stop that service or take its events away from it. Their own reads work.
func TestAReaderCannotTouchAnotherServicesConsumer(t *testing.T) {
	t.Parallel()
	s := startSystem(t, options{})
	ctx := t.Context()
	raise(t, s, donghuamen, "joint-enforcement", 3)
	victims := map[string]string{topology.Gateway: "routing", topology.Feedback: "response"}
	for user, victim := range victims {
		before, err := s.js.Consumer(ctx, bus.StreamName, victim)
		require.NoError(t, err, "the %s durable exists", victim)

		nc, js, err := bus.Connect(s.nats.URL, "prober", s.nats.Client(user).Options()...)
		require.NoError(t, err)
		call, cancel := context.WithTimeout(ctx, 3*time.Second)
		require.Error(t, js.DeleteConsumer(call, bus.StreamName, victim), "%s deleting %s", user, victim)
		_, err = js.Consumer(call, bus.StreamName, victim)
		require.Error(t, err, "%s looking up %s", user, victim)
		_, err = js.CreateOrUpdateConsumer(call, bus.StreamName, jetstream.ConsumerConfig{Durable: victim, AckPolicy: jetstream.AckNonePolicy})
		require.Error(t, err, "%s redefining %s", user, victim)
		cancel()

		// Its own ordered reads still work.
		oc, err := js.OrderedConsumer(ctx, bus.StreamName, jetstream.OrderedConsumerConfig{FilterSubjects: []string{"whistle.v1.raised.>"}})
		require.NoError(t, err, "%s ordered consumer", user)
		msg, err := oc.Next(jetstream.FetchMaxWait(5 * time.Second))
		require.NoError(t, err, "%s reading", user)
		require.Contains(t, msg.Subject(), "whistle.v1.raised.")
		nc.Close()

		after, err := s.js.Consumer(ctx, bus.StreamName, victim)
		require.NoError(t, err, "%s's durable survived %s", victim, user)
		require.Equal(t, before.CachedInfo().Created, after.CachedInfo().Created)
		require.Equal(t, before.CachedInfo().Config.AckPolicy, after.CachedInfo().Config.AckPolicy)
	}
}
