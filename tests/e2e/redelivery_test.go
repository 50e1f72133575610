package e2e_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/stretchr/testify/require"

	"github.com/chuishao/whistle/platform/bus"
)

func TestTheSameEventDeliveredTwiceCreatesNoSecondDispatch(t *testing.T) {
	t.Parallel()
	s := startSystem(t, options{})
	ctx := context.Background()
	id, w := raise(t, s, donghuamen, "joint-enforcement", 3)
	policeID := str(dispatchOf(t, w, "police")["id"])

	// Take routing's decision, which asks for the three dispatches, off the
	// stream and publish it again: once with its own Nats-Msg-Id (JetStream
	// drops it) and once under a new id, as a redelivery would look to the
	// consumer.
	stream, err := s.js.Stream(ctx, bus.StreamName)
	require.NoError(t, err)
	orig, err := stream.GetLastMsgForSubject(ctx, "whistle.v1.routed."+dongcheng)
	require.NoError(t, err)
	msgID := orig.Header.Get(jetstream.MsgIDHeader)
	require.NotEmpty(t, msgID)
	ack, err := s.js.PublishMsg(ctx, &nats.Msg{Subject: orig.Subject, Data: orig.Data}, jetstream.WithMsgID(msgID))
	require.NoError(t, err)
	require.True(t, ack.Duplicate, "JetStream de-duplicates by Nats-Msg-Id")
	_, err = s.js.PublishMsg(ctx, &nats.Msg{Subject: orig.Subject, Data: orig.Data}, jetstream.WithMsgID(msgID+"-again"))
	require.NoError(t, err)

	// The whistle raised next is processed after the copies, so once its dispatches
	// exist the copies have been handled too.
	raise(t, s, donghuamen, "street-vending", 2)

	got := s.do(t, http.MethodGet, "/v1/whistles/"+id, streetToken(t, s, donghuamen), nil)
	require.Len(t, list(got.body["dispatches"]), 3)
	q := s.do(t, http.MethodGet, "/v1/dispatches", deskToken(t, s, dongcheng, "police"), nil)
	var mine []string
	for _, d := range list(q.body["dispatches"]) {
		if str(obj(d)["whistle_id"]) == id {
			mine = append(mine, str(obj(d)["id"]))
		}
	}
	require.Equal(t, []string{policeID}, mine)
	n, _ := timelineCount(t, s, streetToken(t, s, donghuamen), id, "dispatch.created", "")
	require.Equal(t, 3, n)
}
