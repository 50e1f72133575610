package console_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"image/png"
	"io/fs"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/chuishao/whistle/services/gateway/internal/console"
)

// The manifest makes the console installable: served as a manifest, valid
// JSON with the fields browsers require, Chinese first, and every icon it
// names served at the size it claims.
func TestManifestIsServedAndValid(t *testing.T) {
	t.Parallel()
	h := console.Handler(console.Tiles{})
	resp, body := get(t, h, console.Prefix+console.Manifest)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, "application/manifest+json", resp.Header.Get("Content-Type"))

	var m struct {
		Name       string `json:"name"`
		ShortName  string `json:"short_name"`
		StartURL   string `json:"start_url"`
		Scope      string `json:"scope"`
		Display    string `json:"display"`
		Lang       string `json:"lang"`
		ThemeColor string `json:"theme_color"`
		Icons      []struct{ Src, Sizes, Type, Purpose string }
	}
	require.NoError(t, json.Unmarshal([]byte(body), &m))
	require.Contains(t, m.Name, "吹哨报到", "Chinese name")
	require.NotEmpty(t, m.ShortName)
	require.Equal(t, "/", m.StartURL, "the page every role starts at")
	require.Equal(t, "/", m.Scope)
	require.Equal(t, "standalone", m.Display)
	require.Equal(t, "zh-CN", m.Lang)
	require.NotEmpty(t, m.ThemeColor)

	sizes := map[string]bool{}
	for _, icon := range m.Icons {
		r, b := get(t, h, icon.Src)
		require.Equal(t, http.StatusOK, r.StatusCode, icon.Src)
		require.Equal(t, icon.Type, r.Header.Get("Content-Type"), icon.Src)
		if icon.Type == "image/png" {
			cfg, err := png.DecodeConfig(bytes.NewReader([]byte(b)))
			require.NoError(t, err, icon.Src)
			require.Equal(t, icon.Sizes, fmt.Sprintf("%dx%d", cfg.Width, cfg.Height), icon.Src)
			sizes[icon.Sizes+" "+icon.Purpose] = true
		}
	}
	// What Chrome asks of an installable app, and a maskable icon for Android's launchers.
	require.True(t, sizes["192x192 any"] && sizes["512x512 any"] && sizes["512x512 maskable"], "icons: %v", sizes)

	_, page := get(t, h, "/")
	require.Contains(t, page, `rel="manifest" href="/console/manifest.webmanifest"`)
	require.Contains(t, page, `src="/console/pwa.js"`, "the page registers the service worker")
}

// The service worker is served from under Prefix yet allowed to control the
// whole origin, is always revalidated (a new console replaces it at once),
// and keeps every file the console needs to start offline.
func TestServiceWorkerIsServedAndKeepsTheShell(t *testing.T) {
	t.Parallel()
	h := console.Handler(console.Tiles{})
	resp, body := get(t, h, console.Prefix+console.ServiceWorker)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Contains(t, resp.Header.Get("Content-Type"), "javascript")
	require.Equal(t, "/", resp.Header.Get("Service-Worker-Allowed"))
	require.Equal(t, "no-cache", resp.Header.Get("Cache-Control"))

	list := regexp.MustCompile(`(?s)const SHELL_FILES = \[(.*?)\];`).FindStringSubmatch(body)
	require.NotNil(t, list, "sw.js lists its shell in SHELL_FILES")
	kept := map[string]bool{}
	for _, m := range regexp.MustCompile(`'([^']+)'`).FindAllStringSubmatch(list[1], -1) {
		kept[m[1]] = true
		r, _ := get(t, h, m[1])
		require.Equal(t, http.StatusOK, r.StatusCode, "the shell names %s", m[1])
	}
	require.True(t, kept["/"], "the page itself")
	err := fs.WalkDir(console.Static(), ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.HasPrefix(path, "vendor/") || path == "index.html" || path == console.ServiceWorker {
			return err
		}
		require.True(t, kept[console.Prefix+path], "sw.js's SHELL_FILES misses %s", path)
		return nil
	})
	require.NoError(t, err)
}
