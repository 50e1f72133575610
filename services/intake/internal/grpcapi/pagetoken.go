package grpcapi

import (
	"encoding/base64"
	"strconv"
	"strings"
	"time"
)

// cursor is the keyset position after the last whistle of a page. Clients see
// it only as an opaque token.
type cursor struct {
	raisedAt time.Time
	id       string
}

const tokenVersion = "v1"

func (c cursor) token() string {
	raw := tokenVersion + ":" + strconv.FormatInt(c.raisedAt.UnixMicro(), 10) + ":" + c.id
	return base64.RawURLEncoding.EncodeToString([]byte(raw))
}

func parseToken(token string) (cursor, bool) {
	raw, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil {
		return cursor{}, false
	}
	parts := strings.SplitN(string(raw), ":", 3)
	if len(parts) != 3 || parts[0] != tokenVersion || parts[2] == "" {
		return cursor{}, false
	}
	micros, err := strconv.ParseInt(parts[1], 10, 64)
	if err != nil {
		return cursor{}, false
	}
	return cursor{raisedAt: time.UnixMicro(micros).UTC(), id: parts[2]}, true
}
