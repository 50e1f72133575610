package e2e_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/chuishao/whistle/platform/auth"
	"github.com/chuishao/whistle/services/gateway/evidencetest"
)

// upload sends one file as the raw body of the attachment route, labelled
// with a Content-Type the gateway must not trust.
func upload(t *testing.T, s *system, whistleID, stage, token string, data []byte) response {
	t.Helper()
	return s.do(t, http.MethodPost, "/v1/whistles/"+whistleID+"/attachments?stage="+stage+"&file_name=photo.jpg", token,
		string(data), "Content-Type", "application/octet-stream")
}

// fetch GETs path (getRaw, checked against the OpenAPI document) and
// returns its status, Content-Type and bytes.
func fetch(t *testing.T, s *system, path, token string) (int, string, []byte) {
	t.Helper()
	resp, body := getRaw(t, s, path, token)
	return resp.StatusCode, resp.Header.Get("Content-Type"), []byte(body)
}

func sha(b []byte) string { s := sha256.Sum256(b); return hex.EncodeToString(s[:]) }

// TestEvidenceFromRaiseToResolution: a street raises with two photos taken
// on the spot (EXIF GPS) and a point picked in 高德 maps (GCJ-02); the
// whistle resolves to its street and its community (boundaries imported);
// the police desk arrives 40 m from the whistle with the phone's position and
// a photo and resolves with an after-photo; the whistle and its timeline list
// all four with their hashes and the arrival's distance, the served images
// carry no EXIF, the positions are kept for those on the whistle but not for
// the public, and a desk of a department not on the whistle can reach none of it.
func TestEvidenceFromRaiseToResolution(t *testing.T) {
	t.Parallel()
	s := startSystem(t, options{})
	streetTok := streetToken(t, s, donghuamen)
	imported := s.do(t, http.MethodPost, "/v1/boundaries:import?level=community&publish=true", adminToken(t, s),
		communityFile(t), "Content-Type", "application/geo+json")
	require.Equal(t, http.StatusOK, imported.status, imported.raw)
	raised := s.do(t, http.MethodPost, "/v1/whistles", streetTok, map[string]any{
		"street_id": donghuamen, "category": "joint-enforcement", "title": "东华门大街占道施工扰民",
		"description": "路口夜间违规施工，噪声和扬尘扰民，需要联合执法。",
		"location":    map[string]any{"lat": gcjLat, "lng": gcjLng}, "coord_sys": "GCJ02", "urgency": "HIGH",
	})
	require.Equal(t, http.StatusCreated, raised.status, raised.raw)
	id := str(raised.body["id"])
	var w map[string]any
	eventually(t, "the whistle's three dispatches", func() bool {
		w = s.do(t, http.MethodGet, "/v1/whistles/"+id, streetTok, nil).body
		return w["routing"] != nil && len(list(w["dispatches"])) == 3
	})
	// The 高德 point is stored as WGS-84 and lies in 东华门街道's 银闸社区.
	require.InDelta(t, wgsLat, obj(w["location"])["lat"], 1e-5)
	require.InDelta(t, wgsLng, obj(w["location"])["lng"], 1e-5)
	require.Equal(t, "inside", str(obj(obj(w["routing"])["jurisdiction"])["result"]))
	require.Equal(t, yinzha, str(w["community_code"]), "the whistle's community")
	policeTok := deskToken(t, s, dongcheng, "police")
	policeID := str(dispatchOf(t, w, "police")["id"])

	photos := [][]byte{
		evidencetest.JPEGWithGPS(t, 640, 480, 39.91461, 116.40362),
		evidencetest.JPEGWithGPS(t, 480, 640, 39.91466, 116.40355),
	}
	var uploaded []map[string]any
	for _, p := range photos {
		r := upload(t, s, id, "raise", streetTok, p)
		require.Equal(t, http.StatusCreated, r.status, r.raw)
		require.Equal(t, sha(p), r.body["sha256"], "the hash is of the photo as taken")
		require.Equal(t, "image/jpeg", r.body["media_type"])
		uploaded = append(uploaded, r.body)
	}
	// The desk's evidence needs its own stage: a desk cannot add "raise" photos.
	r := upload(t, s, id, "raise", policeTok, photos[0])
	require.Equal(t, http.StatusBadRequest, r.status, r.raw)

	s.clock.Advance(3 * time.Minute)
	require.Equal(t, http.StatusOK, s.do(t, http.MethodPost, "/v1/dispatches/"+policeID+":acknowledge", policeTok, map[string]any{}).status)
	s.clock.Advance(10 * time.Minute)
	arr := s.do(t, http.MethodPost, "/v1/dispatches/"+policeID+":arrive", policeTok,
		map[string]any{"location": map[string]any{"lat": metresNorth(wgsLat, 40), "lng": wgsLng}, "coord_sys": "WGS84"})
	require.Equal(t, http.StatusOK, arr.status, arr.raw)
	require.InDelta(t, 40, arr.body["arrival_distance_m"], 0.5, "the arrival says how far from the whistle it was")
	require.Equal(t, false, arr.body["arrival_far"])
	onSite := evidencetest.JPEGWithGPS(t, 800, 600, 39.91470, 116.40350)
	r = upload(t, s, id, "arrival", policeTok, onSite)
	require.Equal(t, http.StatusCreated, r.status, r.raw)
	require.Equal(t, policeID, r.body["dispatch_id"])
	uploaded = append(uploaded, r.body)

	s.clock.Advance(30 * time.Minute)
	res := s.do(t, http.MethodPost, "/v1/dispatches/"+policeID+":resolve", policeTok, map[string]any{"summary": "已责令停工"})
	require.Equal(t, http.StatusOK, res.status, res.raw)
	after := evidencetest.JPEGWithGPS(t, 800, 600, 39.91469, 116.40351)
	r = upload(t, s, id, "resolution", policeTok, after)
	require.Equal(t, http.StatusCreated, r.status, r.raw)
	uploaded = append(uploaded, r.body)

	// The whistle lists all four, with their positions for the street.
	got := s.do(t, http.MethodGet, "/v1/whistles/"+id, streetTok, nil)
	require.Equal(t, http.StatusOK, got.status, got.raw)
	atts := list(got.body["attachments"])
	require.Len(t, atts, 4)
	wantStages := []string{"raise", "raise", "arrival", "resolution"}
	for i, a := range atts {
		a := obj(a)
		require.Equal(t, uploaded[i]["id"], a["id"])
		require.Equal(t, wantStages[i], a["stage"])
		require.NotNil(t, a["exif_location"], "the evidence keeps where the photo was taken")
	}
	require.InDelta(t, 39.91461, obj(obj(atts[0])["exif_location"])["lat"], 1e-6)

	// The timeline has one attachment.added entry per photo, its hash on the chain.
	eventually(t, "attachments on the timeline", func() bool {
		tl := s.do(t, http.MethodGet, "/v1/whistles/"+id+"/timeline", streetTok, nil)
		n := 0
		for _, e := range list(tl.body["entries"]) {
			e := obj(e)
			if e["type"] != "whistle.attachment_added" {
				continue
			}
			a := obj(obj(e["data"])["attachment"])
			require.Equal(t, uploaded[n]["sha256"], a["sha256"])
			require.Nil(t, a["exif_location"], "no position on the timeline")
			require.NotEmpty(t, e["hash"])
			n++
		}
		return n == 4
	})

	// Every served image is re-encoded: no EXIF, the stored hash as recorded.
	for _, a := range uploaded {
		base := "/v1/whistles/" + id + "/attachments/" + str(a["id"])
		code, ctype, body := fetch(t, s, base+"/content", streetTok)
		require.Equal(t, http.StatusOK, code)
		require.Equal(t, "image/jpeg", ctype)
		require.False(t, evidencetest.HasEXIF(body), "served image carries EXIF")
		require.Equal(t, a["stored_sha256"], sha(body))
		code, _, thumb := fetch(t, s, base+"/thumbnail", policeTok)
		require.Equal(t, http.StatusOK, code)
		require.False(t, evidencetest.HasEXIF(thumb))
		require.Less(t, len(thumb), len(body))
	}

	// A desk of another department (not on the whistle), and one of another
	// district, reach neither the list nor any object.
	for _, other := range []string{deskToken(t, s, dongcheng, "fire"), deskToken(t, s, chaoyang, "police")} {
		for _, a := range uploaded {
			base := "/v1/whistles/" + id + "/attachments/" + str(a["id"])
			for _, p := range []string{base + "/content", base + "/thumbnail", base} {
				code, _, body := fetch(t, s, p, other)
				require.Equal(t, http.StatusNotFound, code, "%s: %s", p, body)
				require.False(t, bytes.HasPrefix(body, []byte{0xFF, 0xD8}))
			}
		}
		r := upload(t, s, id, "arrival", other, onSite)
		require.Equal(t, http.StatusNotFound, r.status, r.raw)
	}
	// The public (Open311) sees a thumbnail of the street's first photo, without
	// EXIF, and no position of any photo; it cannot have the stored file.
	code, _, pub := fetch(t, s, "/open311/v2/requests/"+id+".json", "")
	require.Equal(t, http.StatusOK, code, string(pub))
	require.NotContains(t, string(pub), "exif")
	require.NotContains(t, string(pub), "39.9146")
	var reqs []map[string]any
	require.NoError(t, json.Unmarshal(pub, &reqs))
	media := str(reqs[0]["media_url"])
	require.Contains(t, media, "/open311/v2/media/"+id+"/"+str(uploaded[0]["id"])+".jpg")
	code, ctype, thumb := fetch(t, s, strings.TrimPrefix(media, s.url), "")
	require.Equal(t, http.StatusOK, code)
	require.Equal(t, "image/jpeg", ctype)
	require.False(t, evidencetest.HasEXIF(thumb))
	publicTok := s.token(t, auth.Identity{Role: auth.RolePublic, Subject: "open311-reader"})
	code, _, _ = fetch(t, s, "/v1/whistles/"+id+"/attachments/"+str(uploaded[0]["id"])+"/content", publicTok)
	require.Equal(t, http.StatusForbidden, code, "the public has thumbnails only")

	// No token, no photo.
	code, _, _ = fetch(t, s, "/v1/whistles/"+id+"/attachments/"+str(uploaded[0]["id"])+"/content", "")
	require.Equal(t, http.StatusUnauthorized, code)
}

// TestUploadLimits: the type is sniffed from the bytes, not the label; too
// large a file and a tenth attachment are refused, naming why.
func TestUploadLimits(t *testing.T) {
	t.Parallel()
	s := startSystem(t, options{})
	tok := streetToken(t, s, donghuamen)
	id, _ := raise(t, s, donghuamen, "joint-enforcement", 3)

	r := s.do(t, http.MethodPost, "/v1/whistles/"+id+"/attachments?stage=raise", tok,
		"<html><script>alert(1)</script></html>", "Content-Type", "image/jpeg")
	require.Equal(t, http.StatusUnsupportedMediaType, r.status, r.raw)
	require.Contains(t, r.raw, "text/html")

	r = upload(t, s, id, "raise", tok, make([]byte, 10<<20+1))
	require.Equal(t, http.StatusRequestEntityTooLarge, r.status, r.raw)

	photo := evidencetest.JPEGWithGPS(t, 64, 48, 39.9146, 116.4036)
	for range 9 {
		require.Equal(t, http.StatusCreated, upload(t, s, id, "raise", tok, photo).status)
	}
	r = upload(t, s, id, "raise", tok, photo)
	require.Equal(t, http.StatusBadRequest, r.status, r.raw)
	require.Contains(t, r.raw, "at most 9")
}
