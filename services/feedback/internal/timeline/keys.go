package timeline

import (
	"encoding/base64"
	"errors"
	"fmt"
	"regexp"
	"strings"
)

// MinKeyBytes is the shortest secret accepted for a chain key.
const MinKeyBytes = 32

var keyID = regexp.MustCompile(`^[A-Za-z0-9._-]{1,32}$`)

// Keys are the secrets timelines are sealed and verified with: the current
// key seals new entries; every key, current or retired, verifies the entries
// it sealed.
type Keys struct {
	currentID string
	secrets   map[string][]byte
}

// ParseKeys reads a key list "id:base64[,id:base64...]", the current key
// first, then retired keys still needed to verify older entries. Each secret
// (standard or URL base64, padded or not) must be at least MinKeyBytes long.
func ParseKeys(list string) (Keys, error) {
	k := Keys{secrets: map[string][]byte{}}
	if strings.TrimSpace(list) == "" {
		return Keys{}, errors.New("no key")
	}
	for i, item := range strings.Split(list, ",") {
		id, encoded, ok := strings.Cut(strings.TrimSpace(item), ":")
		if !ok || !keyID.MatchString(id) {
			return Keys{}, fmt.Errorf("key %d: want id:base64 with an id of letters, digits, '.', '_' or '-'", i+1)
		}
		secret, err := decodeSecret(encoded)
		if err != nil {
			return Keys{}, fmt.Errorf("key %q: not base64: %w", id, err)
		}
		if len(secret) < MinKeyBytes {
			return Keys{}, fmt.Errorf("key %q: %d bytes, want at least %d", id, len(secret), MinKeyBytes)
		}
		if _, dup := k.secrets[id]; dup {
			return Keys{}, fmt.Errorf("key %q: listed twice", id)
		}
		k.secrets[id] = secret
		if i == 0 {
			k.currentID = id
		}
	}
	return k, nil
}

// EncodeKey is the list entry of one key (ParseKeys' format).
func EncodeKey(id string, secret []byte) string {
	return id + ":" + base64.StdEncoding.EncodeToString(secret)
}

// CurrentID is the id of the key that seals new entries.
func (k Keys) CurrentID() string { return k.currentID }

func decodeSecret(s string) ([]byte, error) {
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil {
			return b, nil
		}
	}
	_, err := base64.StdEncoding.DecodeString(s)
	return nil, err
}
