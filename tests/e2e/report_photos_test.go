package e2e_test

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/chuishao/whistle/services/gateway/evidencetest"
)

// uploadReportPhoto sends one file as the raw body of a report's attachment route.
func uploadReportPhoto(t *testing.T, s *system, reportID, token string, data []byte) response {
	t.Helper()
	return s.do(t, http.MethodPost, "/v1/discovery/reports/"+reportID+"/attachments?file_name=photo.jpg", token,
		string(data), "Content-Type", "application/octet-stream")
}

// TestGridWorkerReportPhotoAndOutcome: a grid worker files a report with a
// photo taken on the spot; the report carries it with its EXIF position for
// the grid worker and the street, the served image carries no EXIF, and a
// grid worker of the next micro-grid reaches neither the report nor its
// photo. The grid worker's list is its own micro-grid's even when the other
// micro-grid's reports are newer, and it tells what became of each report:
// raised as a whistle (with the whistle's state) or not taken up (with why).
func TestGridWorkerReportPhotoAndOutcome(t *testing.T) {
	t.Parallel()
	s := startSystem(t, options{})
	streetTok := streetToken(t, s, donghuamen)
	mineTok, siblingTok := gridToken(t, s, donghuamen, "DHM-01"), gridToken(t, s, donghuamen, "DHM-02")
	file := func(tok, description string) string {
		t.Helper()
		r := s.do(t, http.MethodPost, "/v1/discovery/reports", tok, map[string]any{
			"category": "garbage", "description": description, "location": map[string]any{"lat": spotLat, "lng": spotLng},
			"coord_sys": "WGS84"})
		require.Equal(t, http.StatusOK, r.status, r.raw)
		return str(obj(r.body["report"])["id"])
	}
	mine := file(mineTok, "垃圾桶满溢")

	photo := evidencetest.JPEGWithGPS(t, 640, 480, 39.91461, 116.40362)
	up := uploadReportPhoto(t, s, mine, mineTok, photo)
	require.Equal(t, http.StatusCreated, up.status, up.raw)
	require.Equal(t, mine, up.body["report_id"])
	require.Equal(t, "report", up.body["stage"])
	require.Equal(t, sha(photo), up.body["sha256"], "the hash is of the photo as taken")
	attID := str(up.body["id"])

	// The report lists its photo, with where it was taken, for its grid worker and its street.
	for _, tok := range []string{mineTok, streetTok} {
		got := s.do(t, http.MethodGet, "/v1/discovery/reports/"+mine, tok, nil)
		require.Equal(t, http.StatusOK, got.status, got.raw)
		atts := list(got.body["attachments"])
		require.Len(t, atts, 1)
		require.Equal(t, attID, obj(atts[0])["id"])
		require.InDelta(t, 39.91461, obj(obj(atts[0])["exif_location"])["lat"], 1e-6)
	}
	// The served image is re-encoded without EXIF; the thumbnail is smaller.
	base := "/v1/discovery/reports/" + mine + "/attachments/" + attID
	code, ctype, body := fetch(t, s, base+"/content", streetTok)
	require.Equal(t, http.StatusOK, code, string(body))
	require.Equal(t, "image/jpeg", ctype)
	require.False(t, evidencetest.HasEXIF(body), "served image carries EXIF")
	require.Equal(t, up.body["stored_sha256"], sha(body))
	code, _, thumb := fetch(t, s, base+"/thumbnail", mineTok)
	require.Equal(t, http.StatusOK, code)
	require.False(t, evidencetest.HasEXIF(thumb))
	require.Less(t, len(thumb), len(body))

	// The next micro-grid's grid worker reaches none of it; the street reads
	// the report but only its reporter adds photos.
	for _, p := range []string{"/v1/discovery/reports/" + mine, base, base + "/content", base + "/thumbnail"} {
		code, _, body := fetch(t, s, p, siblingTok)
		require.Equal(t, http.StatusNotFound, code, "%s: %s", p, body)
	}
	require.Equal(t, http.StatusNotFound, uploadReportPhoto(t, s, mine, siblingTok, photo).status)
	require.Equal(t, http.StatusForbidden, uploadReportPhoto(t, s, mine, streetTok, photo).status)

	// Newer reports of the other micro-grid take no room in my page.
	file(siblingTok, "井盖缺失")
	file(siblingTok, "共享单车堆放")
	page := s.do(t, http.MethodGet, "/v1/discovery/reports?page_size=1", mineTok, nil)
	require.Equal(t, http.StatusOK, page.status, page.raw)
	require.Len(t, list(page.body["reports"]), 1)
	require.Equal(t, mine, obj(list(page.body["reports"])[0])["id"])

	// The street blows the whistle on my report and rejects another.
	blown := s.do(t, http.MethodPost, "/v1/discovery/reports:triage", streetTok, map[string]any{
		"report_ids": []string{mine}, "action": "BLOW_WHISTLE"})
	require.Equal(t, http.StatusOK, blown.status, blown.raw)
	whistleID := str(obj(blown.body["whistle"])["id"])
	rejected := file(mineTok, "路边停车")
	noReason := s.do(t, http.MethodPost, "/v1/discovery/reports:triage", streetTok, map[string]any{
		"report_ids": []string{rejected}, "action": "REJECT"})
	require.Equal(t, http.StatusBadRequest, noReason.status, noReason.raw)
	require.Contains(t, noReason.raw, "result")
	rej := s.do(t, http.MethodPost, "/v1/discovery/reports:triage", streetTok, map[string]any{
		"report_ids": []string{rejected}, "action": "REJECT", "result": "不属于街道职责，已告知交警"})
	require.Equal(t, http.StatusOK, rej.status, rej.raw)

	// A triaged report takes no more photos.
	late := uploadReportPhoto(t, s, mine, mineTok, photo)
	require.Equal(t, http.StatusBadRequest, late.status, late.raw)
	require.Equal(t, "FAILED_PRECONDITION", obj(late.body["error"])["code"])

	listed := s.do(t, http.MethodGet, "/v1/discovery/reports", mineTok, nil)
	require.Equal(t, http.StatusOK, listed.status, listed.raw)
	byID := map[string]map[string]any{}
	for _, r := range list(listed.body["reports"]) {
		byID[str(obj(r)["id"])] = obj(r)
	}
	require.Len(t, byID, 2, "my micro-grid's two reports, none of the other's")
	require.Equal(t, "BLOW_WHISTLE", byID[mine]["triage"])
	require.Equal(t, "IN_PROGRESS", byID[mine]["status"])
	require.Equal(t, whistleID, byID[mine]["whistle_id"])
	require.NotEmpty(t, byID[mine]["whistle_status"], "the whistle's state is shown with the report")
	require.Len(t, list(byID[mine]["attachments"]), 1)
	require.Equal(t, "REJECT", byID[rejected]["triage"])
	require.Equal(t, "CLOSED", byID[rejected]["status"])
	require.Equal(t, "不属于街道职责，已告知交警", byID[rejected]["result"])
}
