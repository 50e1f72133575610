package whistlefields

import (
	"regexp"

	"github.com/chuishao/whistle/platform/invalid"
	typesv1 "github.com/chuishao/whistle/proto/gen/whistle/types/v1"
)

var (
	uuidPattern = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)
	hexSHA256   = regexp.MustCompile(`^[0-9a-f]{64}$`)
	mediaTypes  = map[string]bool{"image/jpeg": true, "image/png": true, "video/mp4": true, "application/pdf": true}
)

// Upload is what the edge recorded of an uploaded file: the API's Attachment
// message, by its getters.
type Upload interface {
	GetId() string
	GetMediaType() string
	GetSizeBytes() int64
	GetSha256() string
	GetStoredSha256() string
	GetExifLocation() *typesv1.LatLng
}

// CheckAttachment checks what the edge recorded of an upload (a whistle's
// evidence or a report's photo): the id, media type, hashes, size and the
// EXIF position. The stage is the caller's to check (a whistle's stages
// differ from a report's).
func CheckAttachment(a Upload) error {
	var f invalid.Violations
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
