package compression_test

import (
	"compress/gzip"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/chuishao/whistle/services/gateway/internal/compression"
)

func TestCompressesLargeAnswersForClientsThatAcceptIt(t *testing.T) {
	t.Parallel()
	body := `{"dispatches":[` + strings.Repeat(`{"id":"x","status":"PENDING"},`, 200) + `{}]}`
	h := compression.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.URL.Path == "/small" { // one dispatch's answer
			_, _ = io.WriteString(w, `{"id":"x","status":"ACKNOWLEDGED","note":"`+strings.Repeat("到场", 300)+`"}`)
			return
		}
		_, _ = io.WriteString(w, body)
	}))
	get := func(path, accept string) *http.Response {
		req := httptest.NewRequest(http.MethodGet, path, nil)
		if accept != "" {
			req.Header.Set("Accept-Encoding", accept)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec.Result()
	}

	resp := get("/big", "gzip")
	require.Equal(t, "gzip", resp.Header.Get("Content-Encoding"))
	require.Contains(t, resp.Header.Get("Vary"), "Accept-Encoding")
	zr, err := gzip.NewReader(resp.Body)
	require.NoError(t, err)
	got, err := io.ReadAll(zr)
	require.NoError(t, err)
	require.Equal(t, body, string(got))

	require.Equal(t, "zstd", get("/big", "gzip, deflate, br, zstd").Header.Get("Content-Encoding"), "what Chromium sends")

	resp = get("/big", "")
	require.Empty(t, resp.Header.Get("Content-Encoding"))
	got, _ = io.ReadAll(resp.Body)
	require.Equal(t, body, string(got))

	require.Empty(t, get("/small", "gzip").Header.Get("Content-Encoding"), "too small to be worth it")
}
