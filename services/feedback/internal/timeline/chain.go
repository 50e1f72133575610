package timeline

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
)

// macDomain separates timeline hashes from any other use of the same key.
const macDomain = "whistle.timeline.v2\n"

// Why a chain fails verification.
const (
	// ReasonContent: the entry's hash does not match its content under its
	// key (rewritten, or sealed without the key).
	ReasonContent = "content"
	// ReasonOrder: the entry is not the one that should hold this seq, or
	// does not carry its predecessor's hash (removed, inserted or reordered).
	ReasonOrder = "order"
	// ReasonUnkeyed: the entry was hashed without a key, so anyone could have
	// recomputed it.
	ReasonUnkeyed = "unkeyed"
	// ReasonUnknownKey: the entry names a key the service does not hold.
	ReasonUnknownKey = "unknown key"
	// ReasonTruncated: the chain head counts entries that are not there.
	ReasonTruncated = "truncated"
	// ReasonHead: the chain head is missing, or names another last entry.
	ReasonHead = "head"
)

// Head is a whistle's chain head as stored: the seq and hash of its last entry.
type Head struct {
	Seq  int64
	Hash string
	// Found is false when the whistle has no head.
	Found bool
}

// Break names where a chain fails: the seq of the first bad position (the seq
// a missing entry should have) and why.
type Break struct {
	Seq    int64
	Reason string
}

// Seal makes e the next link after the entry whose hash is prevHash: it sets
// e's PrevHash, KeyID (the current key) and Hash, and replaces e.Data by its
// canonical form (CanonicalData), the text the store keeps. The data is
// parsed once: the hashed form embeds the canonical text as it is.
func (k Keys) Seal(prevHash string, e Entry) (Entry, error) {
	data, err := CanonicalData(e.Data)
	if err != nil {
		return Entry{}, fmt.Errorf("canonical entry %d: %w", e.Seq, err)
	}
	e.Data, e.PrevHash, e.KeyID = data, prevHash, k.currentID
	h, err := k.macOf(e, canonicalOf(e, data))
	if err != nil {
		return Entry{}, err
	}
	e.Hash = h
	return e, nil
}

// mac is the keyed hash of e after prevHash under e.KeyID, for data in any
// key order or spacing (as read back from jsonb).
func (k Keys) mac(prevHash string, e Entry) (string, error) {
	c, err := canonical(e)
	if err != nil {
		return "", err
	}
	e.PrevHash = prevHash
	return k.macOf(e, c)
}

// macOf is the keyed hash of the canonical form c of e after e.PrevHash under e.KeyID.
func (k Keys) macOf(e Entry, c canonicalEntry) (string, error) {
	secret, ok := k.secrets[e.KeyID]
	if !ok {
		return "", fmt.Errorf("entry %d: unknown key %q", e.Seq, e.KeyID)
	}
	text, err := encode(keyedEntry{WhistleID: e.WhistleID, canonicalEntry: c})
	if err != nil {
		return "", err
	}
	prevHash := e.PrevHash
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(macDomain))
	m.Write([]byte(prevHash))
	m.Write([]byte("\n"))
	m.Write(text)
	return hex.EncodeToString(m.Sum(nil)), nil
}

// VerifyChain checks one whistle's timeline, in order: the i-th entry (from 1)
// must have seq i, carry the previous entry's hash as PrevHash ("" for the
// first) and a keyed Hash that matches its content. It returns where the chain
// first fails and true, or false when it is intact.
func (k Keys) VerifyChain(entries []Entry) (Break, bool) {
	prev := ""
	for i, e := range entries {
		want := int64(i) + 1
		if e.Seq != want || e.PrevHash != prev {
			return Break{Seq: want, Reason: ReasonOrder}, true
		}
		if reason := k.check(prev, e); reason != "" {
			return Break{Seq: want, Reason: reason}, true
		}
		prev = e.Hash
	}
	return Break{}, false
}

// Verify is VerifyChain, and then the chain must end at its head: the head
// counts exactly these entries and names the last one's hash, so removing the
// last entries (or all of them) is caught too.
func (k Keys) Verify(entries []Entry, head Head) (Break, bool) {
	if b, broken := k.VerifyChain(entries); broken {
		return b, true
	}
	n, last := int64(len(entries)), ""
	if n > 0 {
		last = entries[n-1].Hash
	}
	switch {
	case !head.Found && n > 0:
		return Break{Seq: n, Reason: ReasonHead}, true
	case head.Seq > n:
		return Break{Seq: n + 1, Reason: ReasonTruncated}, true
	case head.Seq < n || head.Hash != last:
		return Break{Seq: n, Reason: ReasonHead}, true
	}
	return Break{}, false
}

// check is why e (after prev) fails, or "".
func (k Keys) check(prev string, e Entry) string {
	if e.KeyID == "" {
		return ReasonUnkeyed
	}
	if _, ok := k.secrets[e.KeyID]; !ok {
		return ReasonUnknownKey
	}
	h, err := k.mac(prev, e)
	if err != nil || !hmac.Equal([]byte(h), []byte(e.Hash)) {
		return ReasonContent
	}
	return ""
}

// ErrBrokenLegacy is Rekey's answer for an unkeyed chain that does not verify
// under the unkeyed scheme: it is left as it is, to be reported.
var ErrBrokenLegacy = errors.New("unkeyed chain does not verify")

// Rekey re-seals a chain that starts with unkeyed entries with the current
// key, so that it verifies from now on. The unkeyed entries must verify under
// the unkeyed scheme, any keyed ones after them under their keys, and the
// chain must end at head; otherwise it returns ErrBrokenLegacy.
func (k Keys) Rekey(entries []Entry, head Head) ([]Entry, error) {
	prev := ""
	for i, e := range entries {
		ok := e.Seq == int64(i)+1 && e.PrevHash == prev
		if ok && e.KeyID == "" && (i == 0 || entries[i-1].KeyID == "") {
			h, err := legacyHash(prev, e)
			ok = err == nil && h == e.Hash
		} else if ok {
			ok = k.check(prev, e) == ""
		}
		if !ok {
			return nil, fmt.Errorf("entry %d: %w", i+1, ErrBrokenLegacy)
		}
		prev = e.Hash
	}
	if !head.Found || head.Seq != int64(len(entries)) || head.Hash != prev {
		return nil, fmt.Errorf("head: %w", ErrBrokenLegacy)
	}
	out := make([]Entry, len(entries))
	prev = ""
	for i, e := range entries {
		sealed, err := k.Seal(prev, e)
		if err != nil {
			return nil, err
		}
		out[i], prev = sealed, sealed.Hash
	}
	return out, nil
}

// legacyHash is an unkeyed entry's hash: hex(SHA-256(prevHash || Canonical(e))).
func legacyHash(prevHash string, e Entry) (string, error) {
	c, err := Canonical(e)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(append([]byte(prevHash), c...))
	return hex.EncodeToString(sum[:]), nil
}
