package e2e_test

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestPhotoURLsMustBeHTTPS: a report's photo is shown as a link to everyone
// who opens the report, so only https URLs are stored (http only for
// localhost); javascript:, data: and file: URLs are refused naming the field.
func TestPhotoURLsMustBeHTTPS(t *testing.T) {
	t.Parallel()
	s := startSystem(t, options{})
	tok := gridToken(t, s, donghuamen, "DHM-03")
	file := func(u string) response {
		return s.do(t, http.MethodPost, "/v1/discovery/reports", tok, map[string]any{
			"category": "garbage", "description": "垃圾桶满溢",
			"location": map[string]any{"lat": spotLat, "lng": spotLng},
			"photos":   []any{map[string]any{"url": u, "content_type": "image/jpeg"}},
		})
	}
	for _, bad := range []string{
		"javascript:alert(document.cookie)",
		"JavaScript://img.example/%0aalert(1)",
		"data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
		"file:///etc/passwd",
		"ftp://img.example/1.jpg",
		"http://img.example/1.jpg",
		"//img.example/1.jpg",
	} {
		r := file(bad)
		require.Equal(t, http.StatusBadRequest, r.status, "%s: %s", bad, r.raw)
		details := list(obj(r.body["error"])["details"])
		require.NotEmpty(t, details, r.raw)
		require.Equal(t, "photos.url", obj(details[0])["field"], r.raw)
	}
	for _, good := range []string{"https://img.example/dhm-03/1.jpg", "http://localhost:8080/1.jpg", "http://127.0.0.1/1.jpg"} {
		r := file(good)
		require.Equal(t, http.StatusOK, r.status, "%s: %s", good, r.raw)
	}
}
