package bus_test

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/chuishao/whistle/platform/bus"
	eventsv1 "github.com/chuishao/whistle/proto/gen/whistle/events/v1"
)

// Runs applies a batch as stream order would: an event outside the run waits
// for the run only when it concerns one of the run's whistles (or none).
func TestRunsKeepStreamOrderPerWhistle(t *testing.T) {
	t.Parallel()
	ev := func(id, whistle string) *eventsv1.Event { return &eventsv1.Event{Id: id, WhistleId: whistle} }
	evs := []*eventsv1.Event{
		ev("run-a1", "a"), ev("run-b1", "b"),
		ev("one-c", "c"), // another whistle: applied before the pending run
		ev("one-a", "a"), // one of the run's whistles: the run is cut first
		ev("run-b2", "b"),
		ev("one-none", ""), // names no whistle: cuts too
		ev("run-a2", "a"),
	}
	var applied []string
	err := bus.Runs(context.Background(), evs,
		func(e *eventsv1.Event) bool { return strings.HasPrefix(e.GetId(), "run-") },
		(*eventsv1.Event).GetWhistleId,
		func(run []*eventsv1.Event) error {
			if len(run) == 0 {
				return nil
			}
			var ids []string
			for _, e := range run {
				ids = append(ids, e.GetId())
			}
			applied = append(applied, "["+strings.Join(ids, " ")+"]")
			return nil
		},
		func(_ context.Context, e *eventsv1.Event) error {
			applied = append(applied, e.GetId())
			return nil
		})
	require.NoError(t, err)
	require.Equal(t, []string{"one-c", "[run-a1 run-b1]", "one-a", "[run-b2]", "one-none", "[run-a2]"}, applied)
}
