package whistlestatus_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/chuishao/whistle/platform/whistlestatus"
)

func TestMovesOnTheDispatchersDecisions(t *testing.T) {
	t.Parallel()
	type move func(whistlestatus.Status) whistlestatus.Status
	cases := []struct {
		name     string
		move     move
		from, to whistlestatus.Status
	}{
		{"routed from raised", whistlestatus.OnRouted, whistlestatus.Raised, whistlestatus.Routed},
		{"routed by a human after unroutable", whistlestatus.OnRouted, whistlestatus.Unroutable, whistlestatus.Routed},
		{"a late whistle.routed does not go back", whistlestatus.OnRouted, whistlestatus.Responding, whistlestatus.Responding},
		{"routed leaves a cancelled whistle", whistlestatus.OnRouted, whistlestatus.Cancelled, whistlestatus.Cancelled},
		{"unroutable from raised", whistlestatus.OnUnroutable, whistlestatus.Raised, whistlestatus.Unroutable},
		{"unroutable while responding", whistlestatus.OnUnroutable, whistlestatus.Responding, whistlestatus.Unroutable},
		{"unroutable leaves resolved", whistlestatus.OnUnroutable, whistlestatus.Resolved, whistlestatus.Resolved},
		{"unroutable leaves closed", whistlestatus.OnUnroutable, whistlestatus.Closed, whistlestatus.Closed},
		{"unroutable leaves cancelled", whistlestatus.OnUnroutable, whistlestatus.Cancelled, whistlestatus.Cancelled},
		{"rerouted an unroutable whistle", whistlestatus.OnRerouted, whistlestatus.Unroutable, whistlestatus.Routed},
		{"rerouted while responding", whistlestatus.OnRerouted, whistlestatus.Responding, whistlestatus.Responding},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, tc.to, tc.move(tc.from))
		})
	}
}

func TestFinal(t *testing.T) {
	t.Parallel()
	for s, final := range map[whistlestatus.Status]bool{
		whistlestatus.Raised: false, whistlestatus.Routed: false, whistlestatus.Responding: false,
		whistlestatus.Unroutable: false, whistlestatus.Reopened: false,
		whistlestatus.Resolved: true, whistlestatus.Closed: true, whistlestatus.Cancelled: true,
	} {
		require.Equal(t, final, s.Final(), s)
	}
}

func TestDispatchRankFollowsItsLife(t *testing.T) {
	t.Parallel()
	order := []whistlestatus.Dispatch{whistlestatus.DispatchPending, whistlestatus.DispatchAcknowledged,
		whistlestatus.DispatchArrived, whistlestatus.DispatchResolved, whistlestatus.DispatchCancelled}
	for i := 1; i < len(order); i++ {
		require.Less(t, order[i-1].Rank(), order[i].Rank(), "%s before %s", order[i-1], order[i])
	}
	require.Equal(t, whistlestatus.DispatchResolved.Rank(), whistlestatus.DispatchReturned.Rank(), "a dispatch ends resolved or returned")
	require.Zero(t, whistlestatus.Dispatch("STATUS_UNSPECIFIED").Rank())
}

func TestStateErrorSaysTheStatus(t *testing.T) {
	t.Parallel()
	err := &whistlestatus.StateError{Status: whistlestatus.Responding, Reason: "feedback is given once it is resolved"}
	require.EqualError(t, err, "the whistle is RESPONDING; feedback is given once it is resolved")
}
