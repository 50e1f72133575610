package app_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/chuishao/whistle/platform/geo/coordsys"
	"github.com/chuishao/whistle/proto/events"
	responsev1 "github.com/chuishao/whistle/proto/gen/whistle/response/v1"
	typesv1 "github.com/chuishao/whistle/proto/gen/whistle/types/v1"
)

// TestArrivalCheck: a desk checks in with what its phone gives it. A point
// picked in a GCJ-02 map 40 m from the whistle is converted and measured in
// WGS-84 (sent as WGS-84 it would be hundreds of metres off and flagged);
// the accuracy is kept; an arrival without a position is accepted and marked
// unlocated, with no distance; the dispatch.arrived events carry all of it.
func TestArrivalCheck(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a := e.start()
	created := e.watch(events.SubjectFor("dispatch.created"))
	for _, id := range []string{"d-gcj", "d-none", "d-bad"} {
		e.createDispatch(created, e.request(id, "w-"+id, department))
	}
	cli, ctx := e.client(a, deskOf(department, district))
	for _, id := range []string{"d-gcj", "d-none", "d-bad"} {
		_, err := cli.AcknowledgeDispatch(ctx, &responsev1.AcknowledgeDispatchRequest{Id: id})
		require.NoError(t, err)
	}
	e.clk.Advance(10 * time.Minute)

	// 40 m north of the whistle, as 高德 shows it.
	onSite := coordsys.Point{Lat: whistleLocation.GetLat() + 40.0/111195, Lng: whistleLocation.GetLng()}
	gcj := coordsys.WGS84ToGCJ02(onSite)
	arrived, err := cli.ArriveDispatch(ctx, &responsev1.ArriveDispatchRequest{
		Id: "d-gcj", Location: &typesv1.LatLng{Lat: gcj.Lat, Lng: gcj.Lng}, CoordSys: "gcj-02", AccuracyM: 15,
	})
	require.NoError(t, err)
	require.InDelta(t, 40, arrived.GetArrivalDistanceM(), 1)
	require.False(t, arrived.GetArrivalFar())
	require.False(t, arrived.GetArrivalUnlocated())
	require.InDelta(t, onSite.Lat, arrived.GetArrivalLocation().GetLat(), 1e-7, "stored in WGS-84")
	require.InDelta(t, onSite.Lng, arrived.GetArrivalLocation().GetLng(), 1e-7)
	require.Equal(t, 15.0, arrived.GetArrivalAccuracyM())

	// Wrong inputs name their field and change nothing.
	_, err = cli.ArriveDispatch(ctx, &responsev1.ArriveDispatchRequest{Id: "d-bad", Location: whistleLocation, CoordSys: "mercator"})
	requireField(t, err, "coord_sys")
	_, err = cli.ArriveDispatch(ctx, &responsev1.ArriveDispatchRequest{Id: "d-bad", AccuracyM: 20})
	requireField(t, err, "accuracy_m")
	_, err = cli.ArriveDispatch(ctx, &responsev1.ArriveDispatchRequest{Id: "d-bad", Location: whistleLocation, AccuracyM: -3})
	requireField(t, err, "accuracy_m")

	// No position: arrived, marked, no distance.
	unlocated, err := cli.ArriveDispatch(ctx, &responsev1.ArriveDispatchRequest{Id: "d-none"})
	require.NoError(t, err)
	require.Equal(t, responsev1.Dispatch_ARRIVED, unlocated.GetStatus())
	require.True(t, unlocated.GetArrivalUnlocated())
	require.Nil(t, unlocated.GetArrivalLocation())
	require.Zero(t, unlocated.GetArrivalDistanceM())
	require.False(t, unlocated.GetArrivalFar())
	got, err := cli.GetDispatch(ctx, &responsev1.GetDispatchRequest{Id: "d-none"})
	require.NoError(t, err)
	require.True(t, got.GetArrivalUnlocated(), "read back from the row")
	got, err = cli.GetDispatch(ctx, &responsev1.GetDispatchRequest{Id: "d-bad"})
	require.NoError(t, err)
	require.Equal(t, responsev1.Dispatch_ACKNOWLEDGED, got.GetStatus())

	e.settle()
	ev := e.storedFor("dispatch.v1.arrived.>", "d-gcj")
	require.Len(t, ev, 1)
	require.InDelta(t, 40, ev[0].GetDispatchArrived().GetDispatch().GetArrivalDistanceM(), 1)
	require.Equal(t, 15.0, ev[0].GetDispatchArrived().GetDispatch().GetArrivalAccuracyM())
	ev = e.storedFor("dispatch.v1.arrived.>", "d-none")
	require.Len(t, ev, 1)
	require.True(t, ev[0].GetDispatchArrived().GetDispatch().GetArrivalUnlocated())
}
