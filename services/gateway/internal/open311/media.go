package open311

import (
	"net/http"
	"strings"

	intakev1 "github.com/chuishao/whistle/proto/gen/whistle/intake/v1"
	"github.com/chuishao/whistle/services/gateway/internal/evidence"
)

// Thumbnail answers MediaPattern: it streams the thumbnail of attachment
// <id>.jpg as the public reader. The media_url of requests/{id} points here.
// Thumbnails only, re-encoded without EXIF; intake refuses the public
// anything else.
func (h *Handler) Thumbnail(w http.ResponseWriter, r *http.Request) {
	id, ok := strings.CutSuffix(r.PathValue("file"), ".jpg")
	if h.Media == nil || !ok {
		writeError(w, formatJSON, http.StatusNotFound, "no such media")
		return
	}
	ctx, err := h.asReader(r.Context())
	if err != nil {
		h.fail(w, r, formatJSON, err)
		return
	}
	a, err := h.Intake.GetAttachment(ctx, &intakev1.GetAttachmentRequest{
		WhistleId: r.PathValue("whistle_id"), Id: id, Variant: "thumbnail"})
	if err != nil {
		h.fail(w, r, formatJSON, err)
		return
	}
	evidence.Serve(w, r, h.Media, h.Log, a, "thumbnail")
}

// mediaURL is the public thumbnail of the whistle's first photo (the
// street's, taken at raise, when there is one), or nil. Open311 media_url
// is one URL: the other attachments stay on the whistle.
func mediaURL(r *http.Request, wh *intakev1.Whistle) *string {
	var pick *intakev1.Attachment
	for _, a := range wh.GetAttachments() {
		if a.GetHasThumbnail() && (pick == nil || pick.GetStage() != "raise" && a.GetStage() == "raise") {
			pick = a
		}
	}
	if pick == nil {
		return nil
	}
	scheme := "http"
	if r.TLS != nil || r.Header.Get("X-Forwarded-Proto") == "https" {
		scheme = "https"
	}
	u := scheme + "://" + r.Host + Prefix + "media/" + wh.GetId() + "/" + pick.GetId() + ".jpg"
	return &u
}
