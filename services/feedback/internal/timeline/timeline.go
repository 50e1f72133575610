// Package timeline defines a whistle's hash-chained timeline: the canonical
// form of an entry, its hash, and the check that a stored chain is intact.
//
// Canonical form. An entry is hashed as
//
//	hash = hex(SHA-256(prev_hash || canonical))
//
// where prev_hash is the previous entry's hash as its lowercase hex text ("" for
// seq 1) and canonical is the UTF-8 JSON text of exactly this object, fields in
// this order, no insignificant whitespace, no HTML escaping:
//
//		{"seq":1,"type":"dispatch.acknowledged","at":"2026-05-01T08:00:00.123456Z",
//		 "actor":{"role":"desk","id":"u-1"},"dispatch_id":"...","department":"police",
//		 "event_id":"...","data":{...}}
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
package timeline

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
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
	// WhistleID names the chain the entry belongs to; not part of the hash
	// (the chain is per whistle).
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

// Canonical is the text of e that is hashed (see the package comment);
// PrevHash and Hash are not part of it.
func Canonical(e Entry) ([]byte, error) {
	data, err := decodeData(e.Data)
	if err != nil {
		return nil, fmt.Errorf("canonical entry %d: %w", e.Seq, err)
	}
	return encode(canonicalEntry{
		Seq:        e.Seq,
		Type:       e.Type,
		At:         e.At.Truncate(Precision).UTC().Format(time.RFC3339Nano),
		Actor:      e.Actor,
		DispatchID: e.DispatchID,
		Department: e.Department,
		EventID:    e.EventID,
		Data:       data,
	})
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

// Hash is hex(SHA-256(prevHash || Canonical(e))).
func Hash(prevHash string, e Entry) (string, error) {
	c, err := Canonical(e)
	if err != nil {
		return "", err
	}
	h := sha256.New()
	h.Write([]byte(prevHash))
	h.Write(c)
	return hex.EncodeToString(h.Sum(nil)), nil
}

// Seal sets e's PrevHash to prevHash and its Hash accordingly, making it the
// next link after the entry whose hash is prevHash.
func Seal(prevHash string, e Entry) (Entry, error) {
	e.PrevHash = prevHash
	h, err := Hash(prevHash, e)
	if err != nil {
		return Entry{}, err
	}
	e.Hash = h
	return e, nil
}

// Verify checks a whole timeline, in order: the i-th entry (from 1) must have
// seq i, carry the previous entry's hash as PrevHash ("" for the first) and a
// Hash that matches its content. It returns the seq of the first entry that
// fails (the position it should hold, so a removed entry is named too) and
// false, or 0 and true when the chain is intact.
func Verify(entries []Entry) (firstBroken int, ok bool) {
	prev := ""
	for i, e := range entries {
		want := int64(i) + 1
		if e.Seq != want || e.PrevHash != prev {
			return int(want), false
		}
		h, err := Hash(prev, e)
		if err != nil || h != e.Hash {
			return int(want), false
		}
		prev = e.Hash
	}
	return 0, true
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
