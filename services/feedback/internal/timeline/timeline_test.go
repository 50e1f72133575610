package timeline_test

import (
	"bytes"
	"crypto/hmac"
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

var secret = bytes.Repeat([]byte{7}, timeline.MinKeyBytes)

// keys parses a key list, failing the test on an error.
func keys(t *testing.T, list ...string) timeline.Keys {
	t.Helper()
	k, err := timeline.ParseKeys(joinKeys(list))
	require.NoError(t, err)
	return k
}

func joinKeys(list []string) string {
	out := ""
	for i, k := range list {
		if i > 0 {
			out += ","
		}
		out += k
	}
	return out
}

// testKeys holds the key k1 only.
func testKeys(t *testing.T) timeline.Keys { return keys(t, timeline.EncodeKey("k1", secret)) }

// headOf is the head a stored chain of entries has.
func headOf(entries []timeline.Entry) timeline.Head {
	if len(entries) == 0 {
		return timeline.Head{}
	}
	last := entries[len(entries)-1]
	return timeline.Head{Seq: last.Seq, Hash: last.Hash, Found: true}
}

// chain builds a valid timeline of n entries of whistle w-1, sealed with k1.
func chain(t *testing.T, n int) []timeline.Entry {
	t.Helper()
	types := []string{"whistle.raised", "whistle.routed", "dispatch.created", "dispatch.acknowledged", "sla.breached"}
	var out []timeline.Entry
	prev := ""
	for i := range n {
		e := timeline.Entry{
			WhistleID:  "w-1",
			Seq:        int64(i + 1),
			Type:       types[i%len(types)],
			At:         t0.Add(time.Duration(i) * time.Minute),
			Actor:      timeline.Actor{Role: "system", ID: "response"},
			DispatchID: "d-1",
			Department: "police",
			EventID:    fmt.Sprintf("ev-%d", i+1),
			Data:       json.RawMessage(fmt.Sprintf(`{"dispatch":{"id":"d-1","status":"ACKNOWLEDGED"},"n":%d}`, i)),
		}
		sealed, err := testKeys(t).Seal(prev, e)
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
	require.Equal(t, "k1", entries[0].KeyID)
	b, broken := testKeys(t).Verify(entries, headOf(entries))
	require.False(t, broken, "broken: %+v", b)

	_, broken = testKeys(t).Verify(nil, timeline.Head{})
	require.False(t, broken, "an empty timeline is intact")
}

func TestVerifyNamesFirstBrokenSeq(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		tamper func(t *testing.T, entries []timeline.Entry) []timeline.Entry
		want   timeline.Break
	}{
		"data edited": {func(_ *testing.T, e []timeline.Entry) []timeline.Entry {
			e[2].Data = json.RawMessage(`{"dispatch":{"id":"d-1","status":"RESOLVED"},"n":2}`)
			return e
		}, timeline.Break{Seq: 3, Reason: timeline.ReasonContent}},
		"actor edited": {func(_ *testing.T, e []timeline.Entry) []timeline.Entry {
			e[3].Actor.ID = "someone-else"
			return e
		}, timeline.Break{Seq: 4, Reason: timeline.ReasonContent}},
		"time edited": {func(_ *testing.T, e []timeline.Entry) []timeline.Entry {
			e[1].At = e[1].At.Add(-time.Hour)
			return e
		}, timeline.Break{Seq: 2, Reason: timeline.ReasonContent}},
		"type edited": {func(_ *testing.T, e []timeline.Entry) []timeline.Entry {
			e[0].Type = "whistle.cancelled"
			return e
		}, timeline.Break{Seq: 1, Reason: timeline.ReasonContent}},
		"edited and resealed with a guessed key": {func(t *testing.T, e []timeline.Entry) []timeline.Entry {
			e[2].Data = json.RawMessage(`{"forged":true}`)
			resealed, err := keys(t, timeline.EncodeKey("k1", bytes.Repeat([]byte{8}, 32))).Seal(e[2].PrevHash, e[2])
			require.NoError(t, err)
			e[2] = resealed
			return e
		}, timeline.Break{Seq: 3, Reason: timeline.ReasonContent}},
		"moved to another whistle": {func(_ *testing.T, e []timeline.Entry) []timeline.Entry {
			for i := range e {
				e[i].WhistleID = "w-2"
			}
			return e
		}, timeline.Break{Seq: 1, Reason: timeline.ReasonContent}},
		"key id blanked": {func(_ *testing.T, e []timeline.Entry) []timeline.Entry {
			e[1].KeyID = ""
			return e
		}, timeline.Break{Seq: 2, Reason: timeline.ReasonUnkeyed}},
		"unknown key": {func(_ *testing.T, e []timeline.Entry) []timeline.Entry {
			e[1].KeyID = "k9"
			return e
		}, timeline.Break{Seq: 2, Reason: timeline.ReasonUnknownKey}},
		"entry removed": {func(_ *testing.T, e []timeline.Entry) []timeline.Entry {
			return append(e[:1], e[2:]...)
		}, timeline.Break{Seq: 2, Reason: timeline.ReasonOrder}},
		"entries swapped": {func(_ *testing.T, e []timeline.Entry) []timeline.Entry {
			e[3], e[4] = e[4], e[3]
			return e
		}, timeline.Break{Seq: 4, Reason: timeline.ReasonOrder}},
		"last hash edited": {func(_ *testing.T, e []timeline.Entry) []timeline.Entry {
			e[4].Hash = e[3].Hash
			return e
		}, timeline.Break{Seq: 5, Reason: timeline.ReasonContent}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			entries := chain(t, 5)
			head := headOf(entries)
			b, broken := testKeys(t).Verify(tc.tamper(t, entries), head)
			require.True(t, broken)
			require.Equal(t, tc.want, b)
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

	e.WhistleID = "w-1"
	sealed, err := testKeys(t).Seal("prev", e)
	require.NoError(t, err)
	keyed := `{"whistle_id":"w-1",` + string(c[1:])
	m := hmac.New(sha256.New, secret)
	m.Write([]byte("whistle.timeline.v2\nprev\n" + keyed))
	require.Equal(t, hex.EncodeToString(m.Sum(nil)), sealed.Hash)
	require.Equal(t, "k1", sealed.KeyID)
	require.Equal(t, "prev", sealed.PrevHash)
}

func TestHashSurvivesStorageRoundTrip(t *testing.T) {
	t.Parallel()
	e := chain(t, 1)[0]
	// What PostgreSQL gives back: microseconds, another zone, jsonb's key order and spacing.
	stored := e
	stored.At = e.At.Truncate(time.Microsecond).In(time.UTC)
	stored.Data = json.RawMessage(`{"n": 0, "dispatch": {"status": "ACKNOWLEDGED", "id": "d-1"}}`)
	b, broken := testKeys(t).Verify([]timeline.Entry{stored}, headOf([]timeline.Entry{e}))
	require.False(t, broken, "broken: %+v", b)

	canonical, err := timeline.CanonicalData(stored.Data)
	require.NoError(t, err)
	require.JSONEq(t, string(e.Data), string(canonical))
	require.Equal(t, `{"dispatch":{"id":"d-1","status":"ACKNOWLEDGED"},"n":0}`, string(canonical))
}

// Seal parses the data once and embeds its canonical text; the hash must be the
// one the read path computes from the data in any order (as jsonb returns it),
// for text that HTML escaping, unicode escapes and number forms would change.
func TestSealHashesTheCanonicalDataItKeeps(t *testing.T) {
	t.Parallel()
	raw := `{"z":"<a href=\"x\">&</a>","n":[1.0,2e3,-0.5],"u":"\u4e1c\u534e\u95e8 东城","a":{"y":true,"b":null}}`
	e := timeline.Entry{WhistleID: "w-1", Seq: 1, Type: "whistle.raised",
		At: time.Date(2026, 5, 11, 1, 0, 0, 123456789, time.UTC), EventID: "ev-1", Data: json.RawMessage(raw)}
	sealed, err := testKeys(t).Seal("", e)
	require.NoError(t, err)
	want, err := timeline.CanonicalData(json.RawMessage(raw))
	require.NoError(t, err)
	require.Equal(t, string(want), string(sealed.Data), "Seal keeps the canonical data")
	require.Equal(t, `{"a":{"b":null,"y":true},"n":[1,2000,-0.5],"u":"东华门 东城","z":"<a href=\"x\">&</a>"}`, string(sealed.Data))

	stored := sealed
	stored.Data = json.RawMessage(`{"n": [1, 2000, -0.5], "a": {"y": true, "b": null}, "u": "东华门 东城", "z": "<a href=\"x\">&</a>"}`)
	b, broken := testKeys(t).Verify([]timeline.Entry{stored}, timeline.Head{Seq: 1, Hash: sealed.Hash, Found: true})
	require.False(t, broken, "broken: %+v", b)
}

func TestCanonicalRejectsInvalidData(t *testing.T) {
	t.Parallel()
	_, err := testKeys(t).Seal("", timeline.Entry{Seq: 1, Data: json.RawMessage(`{"a":`)})
	require.Error(t, err)
}

func TestVerifyHoldsTheChainToItsHead(t *testing.T) {
	t.Parallel()
	entries := chain(t, 5)
	head := headOf(entries)
	tests := map[string]struct {
		entries []timeline.Entry
		head    timeline.Head
		want    timeline.Break
	}{
		"last entries removed": {entries[:3], head, timeline.Break{Seq: 4, Reason: timeline.ReasonTruncated}},
		"every entry removed":  {nil, head, timeline.Break{Seq: 1, Reason: timeline.ReasonTruncated}},
		"head removed":         {entries, timeline.Head{}, timeline.Break{Seq: 5, Reason: timeline.ReasonHead}},
		"head behind":          {entries, headOf(entries[:4]), timeline.Break{Seq: 5, Reason: timeline.ReasonHead}},
		"head hash differs":    {entries, timeline.Head{Seq: 5, Hash: entries[3].Hash, Found: true}, timeline.Break{Seq: 5, Reason: timeline.ReasonHead}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			b, broken := testKeys(t).Verify(tc.entries, tc.head)
			require.True(t, broken)
			require.Equal(t, tc.want, b)
		})
	}
}

func TestRetiredKeysStillVerify(t *testing.T) {
	t.Parallel()
	old := chain(t, 2) // sealed with k1
	rotated := keys(t, timeline.EncodeKey("k2", bytes.Repeat([]byte{9}, 32)), timeline.EncodeKey("k1", secret))
	require.Equal(t, "k2", rotated.CurrentID())
	next := old[1]
	next.Seq, next.EventID = 3, "ev-3"
	next, err := rotated.Seal(old[1].Hash, next)
	require.NoError(t, err)
	require.Equal(t, "k2", next.KeyID)
	entries := append(old, next)
	b, broken := rotated.Verify(entries, headOf(entries))
	require.False(t, broken, "broken: %+v", b)

	b, broken = keys(t, timeline.EncodeKey("k2", bytes.Repeat([]byte{9}, 32))).Verify(entries, headOf(entries))
	require.True(t, broken, "k1's entries need k1")
	require.Equal(t, timeline.Break{Seq: 1, Reason: timeline.ReasonUnknownKey}, b)
}

// legacy builds an unkeyed chain as written before keyed hashes.
func legacy(t *testing.T, n int) []timeline.Entry {
	t.Helper()
	out := chain(t, n)
	prev := ""
	for i := range out {
		c, err := timeline.Canonical(out[i])
		require.NoError(t, err)
		sum := sha256.Sum256(append([]byte(prev), c...))
		out[i].KeyID, out[i].PrevHash, out[i].Hash = "", prev, hex.EncodeToString(sum[:])
		prev = out[i].Hash
	}
	return out
}

func TestUnkeyedEntriesAreReportedUntilRekeyed(t *testing.T) {
	t.Parallel()
	k := testKeys(t)
	old := legacy(t, 3)
	b, broken := k.Verify(old, headOf(old))
	require.True(t, broken)
	require.Equal(t, timeline.Break{Seq: 1, Reason: timeline.ReasonUnkeyed}, b)

	rekeyed, err := k.Rekey(old, headOf(old))
	require.NoError(t, err)
	b, broken = k.Verify(rekeyed, headOf(rekeyed))
	require.False(t, broken, "broken: %+v", b)
	require.Equal(t, old[2].EventID, rekeyed[2].EventID)

	// A keyed entry appended to the unkeyed chain before it was re-keyed.
	next := old[2]
	next.Seq, next.EventID = 4, "ev-4"
	next, err = k.Seal(old[2].Hash, next)
	require.NoError(t, err)
	mixed := append(append([]timeline.Entry(nil), old...), next)
	rekeyed, err = k.Rekey(mixed, headOf(mixed))
	require.NoError(t, err)
	_, broken = k.Verify(rekeyed, headOf(rekeyed))
	require.False(t, broken)

	// A tampered unkeyed chain is not re-keyed: it stays reported.
	tampered := legacy(t, 3)
	tampered[1].Actor.ID = "someone-else"
	_, err = k.Rekey(tampered, headOf(tampered))
	require.ErrorIs(t, err, timeline.ErrBrokenLegacy)
	_, err = k.Rekey(old[:2], headOf(old))
	require.ErrorIs(t, err, timeline.ErrBrokenLegacy, "truncated")
}

func TestParseKeys(t *testing.T) {
	t.Parallel()
	good := timeline.EncodeKey("k1", secret)
	for name, list := range map[string]string{
		"empty":      "",
		"no id":      ":" + good[3:],
		"bad id":     "k 1" + good[2:],
		"not base64": "k1:!!!",
		"too short":  timeline.EncodeKey("k1", secret[:16]),
		"twice":      good + "," + good,
	} {
		_, err := timeline.ParseKeys(list)
		require.Error(t, err, name)
	}
	k, err := timeline.ParseKeys(good + ", " + timeline.EncodeKey("k0", bytes.Repeat([]byte{1}, 40)))
	require.NoError(t, err)
	require.Equal(t, "k1", k.CurrentID())
}
