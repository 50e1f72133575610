package console_test

import (
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/chuishao/whistle/services/gateway/internal/console"
)

func get(t *testing.T, h http.Handler, path string) (*http.Response, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
	resp := rec.Result()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp, string(body)
}

func TestPageIsServedAtRootAndUnderPrefix(t *testing.T) {
	t.Parallel()
	h := console.Handler(console.Tiles{})
	for _, path := range []string{"/", "/console/"} {
		resp, body := get(t, h, path)
		require.Equal(t, http.StatusOK, resp.StatusCode, path)
		require.Contains(t, resp.Header.Get("Content-Type"), "text/html")
		require.Contains(t, body, `<html lang="zh-CN">`, "Chinese first")
		require.Contains(t, body, `src="/console/app.js"`)
		require.Contains(t, resp.Header.Get("Content-Security-Policy"), "default-src 'self'")
	}
	resp, body := get(t, h, "/console/app.js")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Contains(t, resp.Header.Get("Content-Type"), "javascript")
	require.Contains(t, body, "import")

	resp, _ = get(t, h, "/console/nope.js")
	require.Equal(t, http.StatusNotFound, resp.StatusCode)
}

// Every module the page imports and every asset it names is embedded, and
// nothing is loaded from another origin (the network is closed; no CDN).
func TestAssetsAreSelfContained(t *testing.T) {
	t.Parallel()
	static := console.Static()
	ref := regexp.MustCompile(`(?:from\s+|import\()\s*'\./([^']+)'|(?:src|href)="/console/([^"]+)"|'/console/([^']+)'`)
	external := regexp.MustCompile(`(?:src|href)\s*=\s*["']https?://|fetch\(\s*['"]https?://|url\(\s*['"]?https?://`)
	seen := 0
	err := fs.WalkDir(static, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.HasPrefix(path, "vendor/") {
			return err
		}
		b, err := fs.ReadFile(static, path)
		require.NoError(t, err)
		require.NotRegexp(t, external, string(b), "%s loads from another origin", path)
		for _, m := range ref.FindAllStringSubmatch(string(b), -1) {
			name := m[1] + m[2] + m[3]
			_, err := fs.Stat(static, name)
			require.NoError(t, err, "%s refers to %s, which is not embedded", path, name)
			seen++
		}
		return nil
	})
	require.NoError(t, err)
	require.Greater(t, seen, 10, "the reference scan found the page's modules")
	_, err = fs.Stat(static, "vendor/echarts.simple.min.js")
	require.NoError(t, err, "run make console to vendor ECharts")
}

// A browser that has an asset revalidates it with a 304; the vendored
// libraries are cached for a day, the console's own modules revalidated.
func TestAssetsCarryETagsAndCachePolicies(t *testing.T) {
	t.Parallel()
	h := console.Handler(console.Tiles{})
	resp, _ := get(t, h, "/console/app.js")
	tag := resp.Header.Get("Etag")
	require.NotEmpty(t, tag)
	require.Equal(t, "no-cache", resp.Header.Get("Cache-Control"))

	req := httptest.NewRequest(http.MethodGet, "/console/app.js", nil)
	req.Header.Set("If-None-Match", tag)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	require.Equal(t, http.StatusNotModified, rec.Code)
	require.Empty(t, rec.Body.String())

	resp, _ = get(t, h, "/console/vendor/echarts.simple.min.js")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, "public, max-age=86400", resp.Header.Get("Cache-Control"))
	require.NotEqual(t, tag, resp.Header.Get("Etag"))
}
