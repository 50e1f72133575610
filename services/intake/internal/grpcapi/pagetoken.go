package grpcapi

import (
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgtype"

	"github.com/chuishao/whistle/services/intake/internal/intake"
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

// pageArgs checks a list's page size (defaultPageSize when 0) and token,
// adding what is wrong to f, and gives the size and the cursor to start after
// (NULL for the first page).
func pageArgs(f *intake.Fields, size int32, token string) (int32, pgtype.Timestamptz, pgtype.Text) {
	switch {
	case size == 0:
		size = defaultPageSize
	case size < 1 || size > maxPageSize:
		f.Add("page_size", fmt.Sprintf("must be between 1 and %d", maxPageSize))
	}
	if token == "" {
		return size, pgtype.Timestamptz{}, pgtype.Text{}
	}
	after, ok := parseToken(token)
	if !ok {
		f.Add("page_token", "is not a token this API returned")
		return size, pgtype.Timestamptz{}, pgtype.Text{}
	}
	return size, pgtype.Timestamptz{Time: after.raisedAt, Valid: true}, pgtype.Text{String: after.id, Valid: true}
}
