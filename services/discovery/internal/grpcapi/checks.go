package grpcapi

import (
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/chuishao/whistle/platform/auth"
	"github.com/chuishao/whistle/platform/geo/coordsys"
	"github.com/chuishao/whistle/platform/invalid"
	typesv1 "github.com/chuishao/whistle/proto/gen/whistle/types/v1"

	"github.com/chuishao/whistle/services/discovery/internal/whistle"
)

// The API's checks of what comes in: a location's coordinate system, an
// inbox page token and the fields the gateway recorded of an upload. They are
// the same checks intake makes of a whistle's, so that a report and a
// whistle refuse the same input the same way.

// toWGS84 converts a location given in the named coordinate system to WGS-84,
// the only one stored (coordsys.LocationToWGS84, with the deployment's
// default); a missing location stays missing.
func (s *ReportServer) toWGS84(f *invalid.Violations, loc *typesv1.LatLng, name string) *typesv1.LatLng {
	return coordsys.LocationToWGS84(f, loc, name, s.CoordSys)
}

// cursor is the keyset position after the last report of an inbox page.
// Clients see it only as an opaque token, made as intake makes its list's.
type cursor struct {
	At time.Time
	ID string
}

const tokenVersion = "v1"

// token is the cursor as a client sees it.
func (c cursor) token() string {
	raw := tokenVersion + ":" + strconv.FormatInt(c.At.UnixMicro(), 10) + ":" + c.ID
	return base64.RawURLEncoding.EncodeToString([]byte(raw))
}

// parseToken reads a token that token made; false when it is none.
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
	return cursor{At: time.UnixMicro(micros).UTC(), ID: parts[2]}, true
}

// What the gateway serves of an attachment.
const (
	variantContent   = "content"
	variantThumbnail = "thumbnail"
)

// checkVariant checks what the gateway is about to serve to caller: the
// public has thumbnails only.
func checkVariant(caller auth.Identity, variant string) error {
	switch variant {
	case "", variantThumbnail:
	case variantContent:
		if caller.Role == auth.RolePublic {
			return fmt.Errorf("the public sees thumbnails only: %w", whistle.ErrPermissionDenied)
		}
	default:
		return invalid.Field("variant", "must be content or thumbnail")
	}
	return nil
}
