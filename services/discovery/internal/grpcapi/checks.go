package grpcapi

import (
	"encoding/base64"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/chuishao/whistle/platform/auth"
	"github.com/chuishao/whistle/platform/geo/coordsys"
	intakev1 "github.com/chuishao/whistle/proto/gen/whistle/intake/v1"
	typesv1 "github.com/chuishao/whistle/proto/gen/whistle/types/v1"

	"github.com/chuishao/whistle/services/discovery/internal/whistle"
)

// The API's checks of what comes in: a location's coordinate system, an
// inbox page token and the fields the gateway recorded of an upload. They are
// the same checks intake makes of a whistle's, so that a report and a
// whistle refuse the same input the same way.

// coordSysOf reads a request's coord_sys: the deployment's default when
// empty, a problem of the field when it names no system.
func (s *ReportServer) coordSysOf(f *whistle.Fields, name string) coordsys.System {
	if name == "" {
		if s.CoordSys == "" {
			return coordsys.WGS84
		}
		return s.CoordSys
	}
	sys, err := coordsys.Parse(name)
	if err != nil {
		f.Add("coord_sys", "must be WGS84, GCJ02 (高德, 腾讯) or BD09 (百度)")
		return coordsys.WGS84
	}
	return sys
}

// toWGS84 converts a location given in the named coordinate system to WGS-84,
// the only one stored; a missing location stays missing.
func (s *ReportServer) toWGS84(f *whistle.Fields, loc *typesv1.LatLng, name string) *typesv1.LatLng {
	sys := s.coordSysOf(f, name)
	if loc == nil {
		return nil
	}
	p := coordsys.ToWGS84(sys, coordsys.Point{Lat: loc.GetLat(), Lng: loc.GetLng()})
	return &typesv1.LatLng{Lat: p.Lat, Lng: p.Lng}
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

var (
	uuidPattern = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)
	hexSHA256   = regexp.MustCompile(`^[0-9a-f]{64}$`)
	mediaTypes  = map[string]bool{"image/jpeg": true, "image/png": true, "video/mp4": true, "application/pdf": true}
)

// checkAttachment checks what the gateway recorded of an upload; the stage
// is checked by the use case.
func checkAttachment(a *intakev1.Attachment) error {
	var f whistle.Fields
	if !uuidPattern.MatchString(a.GetId()) {
		f.Add("attachment.id", "must be a lower-case UUID")
	}
	if !mediaTypes[a.GetMediaType()] {
		f.Add("attachment.media_type", "must be image/jpeg, image/png, video/mp4 or application/pdf")
	}
	if !hexSHA256.MatchString(a.GetSha256()) {
		f.Add("attachment.sha256", "must be 64 lower-case hex digits")
	}
	if !hexSHA256.MatchString(a.GetStoredSha256()) {
		f.Add("attachment.stored_sha256", "must be 64 lower-case hex digits")
	}
	if a.GetSizeBytes() <= 0 {
		f.Add("attachment.size_bytes", "must be positive")
	}
	if l := a.GetExifLocation(); l != nil && (l.GetLat() < -90 || l.GetLat() > 90 || l.GetLng() < -180 || l.GetLng() > 180) {
		f.Add("attachment.exif_location", "must be a WGS-84 point")
	}
	return f.Err()
}

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
		return whistle.Invalid("variant", "must be content or thumbnail")
	}
	return nil
}
