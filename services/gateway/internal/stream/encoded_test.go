package stream

import (
	"testing"

	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"

	eventsv1 "github.com/chuishao/whistle/proto/gen/whistle/events/v1"
)

// TestAnEventIsEncodedOnceForEveryConnection: the connections that send the
// same stream position share one encoding, and a position that now holds
// another event (a recreated stream) is encoded anew.
func TestAnEventIsEncodedOnceForEveryConnection(t *testing.T) {
	raw := func(id string) []byte {
		b, err := proto.Marshal(&eventsv1.Event{Id: id, WhistleId: "w1",
			Payload: &eventsv1.Event_WhistleRaised{WhistleRaised: &eventsv1.WhistleRaised{}}})
		require.NoError(t, err)
		return b
	}
	var c encodings
	first, err := c.get(7, raw("e1"))
	require.NoError(t, err)
	require.Equal(t, "whistle.raised", first.name)
	require.Nil(t, first.data, "rendered only when a connection sends it")
	data, err := first.json()
	require.NoError(t, err)
	require.Contains(t, string(data), `"whistle_id":"w1"`)
	again, err := c.get(7, raw("e1"))
	require.NoError(t, err)
	require.Same(t, first, again)

	other, err := c.get(7, raw("e2"))
	require.NoError(t, err)
	require.Equal(t, "e2", other.ev.GetId())
	_, err = c.get(8, []byte{0xff})
	require.Error(t, err)
}
