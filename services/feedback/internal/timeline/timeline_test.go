package timeline_test

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/chuishao/whistle/services/feedback/internal/timeline"
)

var t0 = time.Date(2026, 5, 11, 9, 0, 0, 123456789, time.FixedZone("CST", 8*3600))

// chain builds a valid timeline of n entries.
func chain(t *testing.T, n int) []timeline.Entry {
	t.Helper()
	types := []string{"whistle.raised", "whistle.routed", "dispatch.created", "dispatch.acknowledged", "sla.breached"}
	var out []timeline.Entry
	prev := ""
	for i := range n {
		e := timeline.Entry{
			Seq:        int64(i + 1),
			Type:       types[i%len(types)],
			At:         t0.Add(time.Duration(i) * time.Minute),
			Actor:      timeline.Actor{Role: "system", ID: "response"},
			DispatchID: "d-1",
			Department: "police",
			EventID:    fmt.Sprintf("ev-%d", i+1),
			Data:       json.RawMessage(fmt.Sprintf(`{"dispatch":{"id":"d-1","status":"ACKNOWLEDGED"},"n":%d}`, i)),
		}
		sealed, err := timeline.Seal(prev, e)
		require.NoError(t, err)
		out = append(out, sealed)
		prev = sealed.Hash
	}
	return out
}

func TestVerifyAcceptsIntactChain(t *testing.T) {
	t.Parallel()
	entries := chain(t, 5)
	require.Empty(t, entries[0].PrevHash)
	for i := 1; i < len(entries); i++ {
		require.Equal(t, entries[i-1].Hash, entries[i].PrevHash)
	}
	broken, ok := timeline.Verify(entries)
	require.True(t, ok)
	require.Zero(t, broken)

	broken, ok = timeline.Verify(nil)
	require.True(t, ok, "an empty timeline is intact")
	require.Zero(t, broken)
}

func TestVerifyNamesFirstBrokenSeq(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		tamper func(t *testing.T, entries []timeline.Entry) []timeline.Entry
		want   int
	}{
		"data edited": {func(_ *testing.T, e []timeline.Entry) []timeline.Entry {
			e[2].Data = json.RawMessage(`{"dispatch":{"id":"d-1","status":"RESOLVED"},"n":2}`)
			return e
		}, 3},
		"actor edited": {func(_ *testing.T, e []timeline.Entry) []timeline.Entry {
			e[3].Actor.ID = "someone-else"
			return e
		}, 4},
		"time edited": {func(_ *testing.T, e []timeline.Entry) []timeline.Entry {
			e[1].At = e[1].At.Add(-time.Hour)
			return e
		}, 2},
		"type edited": {func(_ *testing.T, e []timeline.Entry) []timeline.Entry {
			e[0].Type = "whistle.cancelled"
			return e
		}, 1},
		"edited and rehashed": {func(t *testing.T, e []timeline.Entry) []timeline.Entry {
			e[2].Data = json.RawMessage(`{"forged":true}`)
			resealed, err := timeline.Seal(e[2].PrevHash, e[2])
			require.NoError(t, err)
			e[2] = resealed
			return e // the next link no longer points at it
		}, 4},
		"entry removed": {func(_ *testing.T, e []timeline.Entry) []timeline.Entry {
			return append(e[:1], e[2:]...)
		}, 2},
		"entries swapped": {func(_ *testing.T, e []timeline.Entry) []timeline.Entry {
			e[3], e[4] = e[4], e[3]
			return e
		}, 4},
		"last hash edited": {func(_ *testing.T, e []timeline.Entry) []timeline.Entry {
			e[4].Hash = e[3].Hash
			return e
		}, 5},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			broken, ok := timeline.Verify(tc.tamper(t, chain(t, 5)))
			require.False(t, ok)
			require.Equal(t, tc.want, broken)
		})
	}
}

func TestCanonicalForm(t *testing.T) {
	t.Parallel()
	e := timeline.Entry{
		Seq:        1,
		Type:       "dispatch.acknowledged",
		At:         t0,
		Actor:      timeline.Actor{Role: "desk", ID: "u-<1>"},
		DispatchID: "d-1",
		EventID:    "ev-1",
		Data:       json.RawMessage(`{ "z": 1.50, "a": {"y": [1e2, "x"], "b": null} }`),
	}
	c, err := timeline.Canonical(e)
	require.NoError(t, err)
	require.Equal(t,
		`{"seq":1,"type":"dispatch.acknowledged","at":"2026-05-11T01:00:00.123456Z",`+
			`"actor":{"role":"desk","id":"u-<1>"},"dispatch_id":"d-1","department":"","event_id":"ev-1",`+
			`"data":{"a":{"b":null,"y":[100,"x"]},"z":1.5}}`,
		string(c))

	sum := sha256.Sum256(append([]byte("prev"), c...))
	h, err := timeline.Hash("prev", e)
	require.NoError(t, err)
	require.Equal(t, hex.EncodeToString(sum[:]), h)
}

func TestHashSurvivesStorageRoundTrip(t *testing.T) {
	t.Parallel()
	e := chain(t, 1)[0]
	// What PostgreSQL gives back: microseconds, another zone, jsonb's key order and spacing.
	stored := e
	stored.At = e.At.Truncate(time.Microsecond).In(time.UTC)
	stored.Data = json.RawMessage(`{"n": 0, "dispatch": {"status": "ACKNOWLEDGED", "id": "d-1"}}`)
	broken, ok := timeline.Verify([]timeline.Entry{stored})
	require.True(t, ok, "broken at %d", broken)

	canonical, err := timeline.CanonicalData(stored.Data)
	require.NoError(t, err)
	require.JSONEq(t, string(e.Data), string(canonical))
	require.Equal(t, `{"dispatch":{"id":"d-1","status":"ACKNOWLEDGED"},"n":0}`, string(canonical))
}

func TestCanonicalRejectsInvalidData(t *testing.T) {
	t.Parallel()
	_, err := timeline.Hash("", timeline.Entry{Seq: 1, Data: json.RawMessage(`{"a":`)})
	require.Error(t, err)
}
