package whistlestatus_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	protoevents "github.com/chuishao/whistle/proto/events"
	eventsv1 "github.com/chuishao/whistle/proto/gen/whistle/events/v1"
	responsev1 "github.com/chuishao/whistle/proto/gen/whistle/response/v1"
	typesv1 "github.com/chuishao/whistle/proto/gen/whistle/types/v1"

	"github.com/chuishao/whistle/platform/whistlestatus"
)

var t0 = time.Date(2026, 3, 2, 9, 0, 0, 123456789, time.UTC)

// acknowledged is a dispatch.acknowledged of d, its envelope naming w1,
// d-1, police, occurring at t0.
func acknowledged(d *responsev1.Dispatch) *eventsv1.Event {
	ev := protoevents.New(t0, &typesv1.Actor{Role: "desk", Id: "p1"})
	ev.WhistleId, ev.DispatchId, ev.Department = "w1", "d-1", "police"
	ev.Payload = &eventsv1.Event_DispatchAcknowledged{DispatchAcknowledged: &eventsv1.DispatchAcknowledged{Dispatch: d}}
	return ev
}

func TestSnapshotOf(t *testing.T) {
	t.Parallel()
	later := t0.Add(time.Minute)
	cases := []struct {
		name string
		ev   *eventsv1.Event
		want whistlestatus.Snapshot
		err  string
	}{
		{name: "the dispatch says it all",
			ev: acknowledged(&responsev1.Dispatch{Id: "d-2", WhistleId: "w2", Department: "fire", Status: responsev1.Dispatch_ACKNOWLEDGED,
				UpdatedAt: timestamppb.New(later)}),
			want: whistlestatus.Snapshot{DispatchID: "d-2", WhistleID: "w1", Department: "fire",
				Status: whistlestatus.DispatchAcknowledged, UpdatedAt: later.Truncate(time.Microsecond)}},
		{name: "the event fills in what the dispatch leaves out",
			ev: acknowledged(&responsev1.Dispatch{Status: responsev1.Dispatch_ARRIVED}),
			want: whistlestatus.Snapshot{DispatchID: "d-1", WhistleID: "w1", Department: "police",
				Status: whistlestatus.DispatchArrived, UpdatedAt: t0.Truncate(time.Microsecond)}},
		{name: "the dispatch names the whistle the event does not",
			ev: func() *eventsv1.Event {
				ev := acknowledged(&responsev1.Dispatch{WhistleId: "w2", Status: responsev1.Dispatch_PENDING})
				ev.WhistleId = ""
				return ev
			}(),
			want: whistlestatus.Snapshot{DispatchID: "d-1", WhistleID: "w2", Department: "police",
				Status: whistlestatus.DispatchPending, UpdatedAt: t0.Truncate(time.Microsecond)}},
		{name: "no dispatch id anywhere",
			ev: func() *eventsv1.Event {
				ev := acknowledged(&responsev1.Dispatch{Status: responsev1.Dispatch_PENDING})
				ev.DispatchId = ""
				return ev
			}(),
			err: "names no dispatch or whistle"},
		{name: "no whistle anywhere",
			ev: func() *eventsv1.Event {
				ev := acknowledged(&responsev1.Dispatch{Status: responsev1.Dispatch_PENDING})
				ev.WhistleId = ""
				return ev
			}(),
			err: "names no dispatch or whistle"},
		{name: "an event without a dispatch",
			ev: func() *eventsv1.Event {
				ev := protoevents.New(t0, &typesv1.Actor{Role: "system", Id: "test"})
				ev.WhistleId = "w1"
				ev.Payload = &eventsv1.Event_WhistleResponding{WhistleResponding: &eventsv1.WhistleResponding{}}
				return ev
			}(),
			err: "carries no dispatch"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := whistlestatus.SnapshotOf(tc.ev)
			if tc.err != "" {
				require.ErrorContains(t, err, tc.err)
				return
			}
			require.NoError(t, err)
			var carried responsev1.Dispatch
			require.NoError(t, proto.Unmarshal(got.Raw, &carried))
			require.True(t, proto.Equal(protoevents.Dispatch(tc.ev), &carried), "Raw is the dispatch as carried")
			got.Raw = nil
			require.Equal(t, tc.want, got)
		})
	}
}

func TestSnapshotReplaces(t *testing.T) {
	t.Parallel()
	at := func(d time.Duration, s whistlestatus.Dispatch) whistlestatus.Snapshot {
		return whistlestatus.Snapshot{DispatchID: "d-1", Status: s, UpdatedAt: t0.Add(d)}
	}
	cases := []struct {
		name       string
		kept, next whistlestatus.Snapshot
		replaces   bool
	}{
		{"newer", at(0, whistlestatus.DispatchArrived), at(time.Second, whistlestatus.DispatchAcknowledged), true},
		{"older, though later in the life", at(time.Second, whistlestatus.DispatchAcknowledged), at(0, whistlestatus.DispatchResolved), false},
		{"same time, later in the life", at(0, whistlestatus.DispatchAcknowledged), at(0, whistlestatus.DispatchArrived), true},
		{"same time, earlier in the life", at(0, whistlestatus.DispatchArrived), at(0, whistlestatus.DispatchAcknowledged), false},
		{"equals: the later one", at(0, whistlestatus.DispatchResolved), at(0, whistlestatus.DispatchReturned), true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, tc.replaces, tc.next.Replaces(tc.kept))
		})
	}
}
