package timeline_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/chuishao/whistle/services/feedback/internal/timeline"
)

func entry(whistle string, seq int64, at time.Time, typ string, data any) timeline.Entry {
	raw, _ := json.Marshal(data)
	return timeline.Entry{WhistleID: whistle, Seq: seq, At: at, Type: typ, Data: raw}
}

func TestMergedIntoAndNeighbours(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 11, 23, 1, 0, 0, 0, time.UTC)
	merged := map[string]string{"into_whistle_id": "w-1", "merged_whistle_id": "w-2"}
	dup := []timeline.Entry{
		entry("w-2", 1, at, "whistle.raised", map[string]any{}),
		entry("w-2", 2, at, "whistle.jurisdiction_checked", map[string]any{"result": "near_boundary", "neighbour_street_ids": []string{"s-2", "s-3"}}),
		entry("w-2", 3, at, "whistle.merged", merged),
	}
	require.Equal(t, "w-1", timeline.MergedInto("w-2", dup))
	// The surviving whistle's copy of the event does not make it merged.
	require.Empty(t, timeline.MergedInto("w-1", []timeline.Entry{entry("w-1", 5, at, "whistle.merged", merged)}))
	require.Equal(t, []string{"s-2", "s-3"}, timeline.Neighbours(dup))
	outside := entry("w-3", 2, at, "whistle.jurisdiction_checked", map[string]any{"result": "outside", "neighbour_street_ids": []string{"s-9"}})
	require.Empty(t, timeline.Neighbours([]timeline.Entry{outside}))
}

func TestJoinKeepsEachChainsOrder(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 11, 23, 1, 0, 0, 0, time.UTC)
	// Chain a has an entry out of time order; it stays where its seq puts it.
	a := []timeline.Entry{entry("a", 1, at, "x", nil), entry("a", 2, at.Add(3*time.Minute), "x", nil), entry("a", 3, at.Add(time.Minute), "x", nil)}
	b := []timeline.Entry{entry("b", 1, at, "x", nil), entry("b", 2, at.Add(2*time.Minute), "x", nil)}
	var got []string
	for _, e := range timeline.Join(a, b) {
		got = append(got, e.WhistleID+string(rune('0'+e.Seq)))
	}
	require.Equal(t, []string{"a1", "b1", "b2", "a2", "a3"}, got)
	require.Equal(t, a, timeline.Join(a))
}
