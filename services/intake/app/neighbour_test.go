package app_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"

	eventsv1 "github.com/chuishao/whistle/proto/gen/whistle/events/v1"
	intakev1 "github.com/chuishao/whistle/proto/gen/whistle/intake/v1"
)

// checked is routing's map check of w naming streets.
func checked(w *intakev1.Whistle, result string, streets ...string) *eventsv1.Event {
	ev := whistleEvent(w, routingRole)
	ev.Payload = &eventsv1.Event_WhistleJurisdictionChecked{WhistleJurisdictionChecked: &eventsv1.WhistleJurisdictionChecked{
		Result: result, NeighbourStreetIds: streets,
	}}
	return ev
}

// A street's list pages through its own whistles and those it was informed of
// as a neighbour, newest first, each once; it reads an informed whistle but
// cannot act on it.
func TestNeighbourStreetListsAndReadsInformedWhistles(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	var informed []string
	var all []string // street B's list, oldest first
	for i := range 3 {
		all = append(all, e.raise(streetB, "noise").GetId())
		e.clk.Advance(time.Minute)
		a := e.raise(streetA, "noise")
		switch i {
		case 0, 2:
			e.publish(checked(a, "near_boundary", dongchengA, dongchengB))
			informed = append(informed, a.GetId())
			all = append(all, a.GetId())
		case 1:
			e.publish(checked(a, "outside", dongchengB)) // the raising street confirms; nobody is informed
		}
		e.clk.Advance(time.Minute)
	}
	require.Eventually(t, func() bool {
		_, err := e.client.GetWhistle(e.as(streetB), &intakev1.GetWhistleRequest{Id: informed[1]})
		return err == nil
	}, 10*time.Second, 10*time.Millisecond)

	var got []string
	req := &intakev1.ListWhistlesRequest{PageSize: 2}
	for page := 0; ; page++ {
		resp, err := e.client.ListWhistles(e.as(streetB), req)
		require.NoError(t, err)
		for _, w := range resp.GetWhistles() {
			got = append(got, w.GetId())
			want := ""
			if w.GetStreetId() != dongchengB {
				want = "neighbour"
			}
			require.Equal(t, want, w.GetViewerRole(), w.GetId())
		}
		if resp.GetNextPageToken() == "" {
			break
		}
		require.Less(t, page, 5, "pagination must end")
		req.PageToken = resp.GetNextPageToken()
	}
	require.Len(t, got, 5)
	for i := range got {
		require.Equal(t, all[len(all)-1-i], got[i], "newest first, each once")
	}

	w := e.get(streetB, informed[0])
	require.Equal(t, "neighbour", w.GetViewerRole())
	require.Empty(t, e.get(streetA, informed[0]).GetViewerRole())
	_, err := e.client.CancelWhistle(e.as(streetB), &intakev1.CancelWhistleRequest{Id: informed[0]})
	requireCode(t, err, codes.NotFound)
	_, err = e.client.GetWhistle(e.as(streetC), &intakev1.GetWhistleRequest{Id: informed[0]})
	requireCode(t, err, codes.NotFound)
	// The supervisor's list of street B is street B's own whistles.
	sup, err := e.client.ListWhistles(e.as(supervisor), &intakev1.ListWhistlesRequest{StreetId: dongchengB})
	require.NoError(t, err)
	require.Len(t, sup.GetWhistles(), 3)
}
