package events_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	eventsv1 "github.com/chuishao/whistle/proto/gen/whistle/events/v1"
)

// The same story played by a drill (its whistle ids drill-d1-…) leaves no row
// in the real read model, whichever way it is handled: its dispatches are in
// drill_dispatch_facts only, and its timelines are kept for its participants.
func TestDrillEventsStayOutOfTheRealReadModel(t *testing.T) {
	t.Parallel()
	evs := storyOfTwoWhistles()
	drillID := func(id string) string { return "drill-d1-" + id }
	for _, ev := range evs {
		ev.WhistleId = drillID(ev.GetWhistleId())
		switch p := ev.GetPayload().(type) {
		case *eventsv1.Event_WhistleRaised:
			p.WhistleRaised.Whistle.Id = drillID(p.WhistleRaised.GetWhistle().GetId())
		case *eventsv1.Event_DispatchCreated:
			p.DispatchCreated.Dispatch.WhistleId = drillID(p.DispatchCreated.GetDispatch().GetWhistleId())
		case *eventsv1.Event_DispatchAcknowledged:
			p.DispatchAcknowledged.Dispatch.WhistleId = drillID(p.DispatchAcknowledged.GetDispatch().GetWhistleId())
		case *eventsv1.Event_DispatchArrived:
			p.DispatchArrived.Dispatch.WhistleId = drillID(p.DispatchArrived.GetDispatch().GetWhistleId())
		case *eventsv1.Event_SlaBreached:
			p.SlaBreached.Dispatch.WhistleId = drillID(p.SlaBreached.GetDispatch().GetWhistleId())
		}
	}
	batched, oneByOne := handleBothWays(t, evs)
	for _, query := range []string{
		`SELECT count(*) FROM dispatch_facts`, `SELECT count(*) FROM whistle_facts`, `SELECT count(*) FROM sla_daily`,
		`SELECT count(*) FROM whistle_reopens`,
	} {
		require.Equal(t, [][]any{{int64(0)}}, rowsOf(t, batched, query), query)
		require.Equal(t, [][]any{{int64(0)}}, rowsOf(t, oneByOne, query), query)
	}
	query := `SELECT dispatch_id, drill_id, whistle_id, status, acknowledged_at IS NOT NULL, arrived_at IS NOT NULL
	          FROM drill_dispatch_facts ORDER BY dispatch_id`
	require.Equal(t, [][]any{
		{"d-1", "d1", "drill-d1-w-1", "ARRIVED", true, true},
		{"d-2", "d1", "drill-d1-w-1", "PENDING", false, false},
		{"d-3", "d1", "drill-d1-w-2", "ACKNOWLEDGED", true, false},
		{"d-4", "d1", "drill-d1-w-1", "PENDING", false, false},
	}, rowsOf(t, batched, query))
	require.Equal(t, rowsOf(t, oneByOne, query), rowsOf(t, batched, query))
	require.NotEmpty(t, rowsOf(t, batched, `SELECT 1 FROM timeline_entries WHERE whistle_id = 'drill-d1-w-1'`))
}
