package open311

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"strings"
)

// Keys maps an Open311 api_key to the street it raises whistles for.
type Keys map[string]string

// ParseKeys reads "key:street,key2:street2" (whitespace and newlines also
// separate entries; # starts a comment line in a file).
func ParseKeys(s string) (Keys, error) {
	keys := Keys{}
	var lines []string
	for line := range strings.SplitSeq(s, "\n") {
		if t := strings.TrimSpace(line); t != "" && !strings.HasPrefix(t, "#") {
			lines = append(lines, t)
		}
	}
	for _, entry := range strings.FieldsFunc(strings.Join(lines, ","), func(r rune) bool {
		return r == ',' || r == ' ' || r == '\t'
	}) {
		key, street, ok := strings.Cut(entry, ":")
		if !ok || key == "" || street == "" {
			return nil, fmt.Errorf("open311 key entry %q: want api_key:street_id", redact(entry))
		}
		if len(key) < 16 {
			return nil, fmt.Errorf("open311 key for street %s: an api_key needs at least 16 characters", street)
		}
		if _, dup := keys[key]; dup {
			return nil, fmt.Errorf("open311 key for street %s is listed twice", street)
		}
		keys[key] = street
	}
	return keys, nil
}

// LoadKeys combines WHISTLE_OPEN311_KEYS and the file WHISTLE_OPEN311_KEYS_FILE.
func LoadKeys(inline, file string) (Keys, error) {
	all := inline
	if file != "" {
		data, err := os.ReadFile(file)
		if err != nil {
			return nil, fmt.Errorf("WHISTLE_OPEN311_KEYS_FILE: %w", err)
		}
		all += "\n" + string(data)
	}
	return ParseKeys(all)
}

// clientID names an api_key in tokens and logs without revealing it.
func clientID(key string) string {
	sum := sha256.Sum256([]byte(key))
	return "open311-" + hex.EncodeToString(sum[:4])
}

func redact(entry string) string {
	key, street, _ := strings.Cut(entry, ":")
	if len(key) > 4 {
		key = key[:4] + "…"
	}
	return key + ":" + street
}
