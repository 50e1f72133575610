// Package timeline defines a whistle's hash-chained timeline: the canonical
// form of an entry, its keyed hash, and the check that a stored chain is intact
// and matches its head.
//
// Keyed hash. An entry is sealed as
//
//	hash = hex(HMAC-SHA256(key, "whistle.timeline.v2\n" || prev_hash || "\n" || canonical))
//
// with a key the database does not hold (Keys), so that whoever owns the
// tables can neither rewrite an entry nor forge a chain: without the key no
// recomputed hash matches. The entry records the id of its key (key_id), so
// keys rotate: new entries take the current key, old ones verify with theirs.
// prev_hash is the previous entry's hash as its lowercase hex text ("" for
// seq 1) and canonical is the UTF-8 JSON text of exactly this object, fields in
// this order, no insignificant whitespace, no HTML escaping:
//
//		{"whistle_id":"w-1","seq":1,"type":"dispatch.acknowledged",
//		 "at":"2026-05-01T08:00:00.123456Z","actor":{"role":"desk","id":"u-1"},
//		 "dispatch_id":"...","department":"police","event_id":"...","data":{...}}
//
//	  - at is RFC 3339 with nanoseconds (time.RFC3339Nano) in UTC, after truncating
//	    to whole microseconds, the precision PostgreSQL stores;
//	  - data is the event payload re-encoded by CanonicalData: object keys sorted
//	    by byte order, numbers as IEEE-754 doubles in encoding/json's format (the
//	    protojson payloads carry 64-bit integers as strings, so this is lossless);
//	  - empty strings are kept (never omitted), so every entry has every field.
//
// The form survives a round trip through jsonb (which reorders keys and
// rewrites numbers) because data is canonicalised again when it is read back.
//
// Unkeyed entries. Entries written before keyed hashes (key_id "") were
// hashed as hex(SHA-256(prev_hash || Canonical(e))), Canonical lacking
// whistle_id. Anyone can recompute that, so Verify reports such an entry
// (ReasonUnkeyed) unless Rekey has sealed its chain with the key.
package timeline

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"
)

// Precision is the resolution of an entry's time; finer digits are dropped
// before hashing so that a stored (timestamptz) entry hashes the same.
const Precision = time.Microsecond

// Actor is who caused an event.
type Actor struct {
	Role string `json:"role"`
	ID   string `json:"id"`
}

// Entry is one event in a whistle's timeline.
type Entry struct {
	// WhistleID names the chain the entry belongs to (part of the keyed hash,
	// so an entry cannot be moved to another whistle's chain).
	WhistleID  string
	Seq        int64
	Type       string
	At         time.Time
	Actor      Actor
	DispatchID string
	Department string
	EventID    string
	// Data is the event payload as JSON, in any key order or spacing.
	Data     json.RawMessage
	PrevHash string
	Hash     string
	// KeyID names the key Hash was computed with; "" for an unkeyed entry.
	KeyID string
}

// canonicalEntry fixes the field order and names of the hashed form.
type canonicalEntry struct {
	Seq        int64  `json:"seq"`
	Type       string `json:"type"`
	At         string `json:"at"`
	Actor      Actor  `json:"actor"`
	DispatchID string `json:"dispatch_id"`
	Department string `json:"department"`
	EventID    string `json:"event_id"`
	Data       any    `json:"data"`
}

// keyedEntry is canonicalEntry with the whistle first.
type keyedEntry struct {
	WhistleID string `json:"whistle_id"`
	canonicalEntry
}

// Canonical is the unkeyed form of e (see the package comment), without its
// whistle; PrevHash, Hash and KeyID are not part of it.
func Canonical(e Entry) ([]byte, error) {
	c, err := canonical(e)
	if err != nil {
		return nil, err
	}
	return encode(c)
}

func canonical(e Entry) (canonicalEntry, error) {
	data, err := decodeData(e.Data)
	if err != nil {
		return canonicalEntry{}, fmt.Errorf("canonical entry %d: %w", e.Seq, err)
	}
	return canonicalOf(e, data), nil
}

// canonicalOf is e's hashed form with data as given: decoded JSON values, or
// json.RawMessage text that is already canonical (encoding/json embeds it
// unchanged, as it is compact and HTML escaping is off).
func canonicalOf(e Entry, data any) canonicalEntry {
	return canonicalEntry{
		Seq:        e.Seq,
		Type:       e.Type,
		At:         e.At.Truncate(Precision).UTC().Format(time.RFC3339Nano),
		Actor:      e.Actor,
		DispatchID: e.DispatchID,
		Department: e.Department,
		EventID:    e.EventID,
		Data:       data,
	}
}

// CanonicalData re-encodes a JSON value with sorted keys, canonical numbers and
// no whitespace; it is what the store keeps as the entry's data.
func CanonicalData(raw json.RawMessage) (json.RawMessage, error) {
	v, err := decodeData(raw)
	if err != nil {
		return nil, err
	}
	return encode(v)
}

// decodeData parses a JSON value into maps, slices, strings, float64s, bools
// and nils, whose encoding by encoding/json is canonical. Missing data is {}.
func decodeData(raw json.RawMessage) (any, error) {
	if len(bytes.TrimSpace(raw)) == 0 {
		return map[string]any{}, nil
	}
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return nil, fmt.Errorf("data is not JSON: %w", err)
	}
	return v, nil
}

func encode(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}
