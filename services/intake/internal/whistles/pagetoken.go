package whistles

import (
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/chuishao/whistle/platform/invalid"
	"github.com/jackc/pgx/v5/pgtype"
)

// Cursor is the keyset position after the last row of a page (a whistle's
// raise, a report's receipt). Clients see it only as an opaque token.
type Cursor struct {
	RaisedAt time.Time
	ID       string
}

const tokenVersion = "v1"

// Token is the cursor as a client sees it.
func (c Cursor) Token() string {
	raw := tokenVersion + ":" + strconv.FormatInt(c.RaisedAt.UnixMicro(), 10) + ":" + c.ID
	return base64.RawURLEncoding.EncodeToString([]byte(raw))
}

// ParseToken reads a token Token made; false when it is none.
func ParseToken(token string) (Cursor, bool) {
	raw, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil {
		return Cursor{}, false
	}
	parts := strings.SplitN(string(raw), ":", 3)
	if len(parts) != 3 || parts[0] != tokenVersion || parts[2] == "" {
		return Cursor{}, false
	}
	micros, err := strconv.ParseInt(parts[1], 10, 64)
	if err != nil {
		return Cursor{}, false
	}
	return Cursor{RaisedAt: time.UnixMicro(micros).UTC(), ID: parts[2]}, true
}

// pageArgs checks a list's page size (defaultPageSize when 0) and token,
// adding what is wrong to f, and gives the size and the cursor to start after
// (NULL for the first page).
func pageArgs(f *invalid.Violations, size int32, token string) (int32, pgtype.Timestamptz, pgtype.Text) {
	switch {
	case size == 0:
		size = defaultPageSize
	case size < 1 || size > maxPageSize:
		f.Add("page_size", fmt.Sprintf("must be between 1 and %d", maxPageSize))
	}
	if token == "" {
		return size, pgtype.Timestamptz{}, pgtype.Text{}
	}
	after, ok := ParseToken(token)
	if !ok {
		f.Add("page_token", "is not a token this API returned")
		return size, pgtype.Timestamptz{}, pgtype.Text{}
	}
	return size, pgtype.Timestamptz{Time: after.RaisedAt, Valid: true}, pgtype.Text{String: after.ID, Valid: true}
}
