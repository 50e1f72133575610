// Package console serves the web console: a single page for street
// committees, duty desks, supervisors and admins, embedded in the gateway so
// that `make run` needs neither npm nor a CDN. The page talks to the same
// REST API as every other client, with the signed-in user's bearer token.
package console

import (
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"html"
	"io/fs"
	"net/http"
	"strings"
)

// Prefix is the path the console's assets are served under; the page itself
// is served at "/".
const Prefix = "/console/"

// The web app manifest and the service worker, under Prefix: they make the
// console installable on a phone (docs/duty-desks.md).
const (
	Manifest      = "manifest.webmanifest"
	ServiceWorker = "sw.js"
)

//go:embed static
var files embed.FS

// Static is the console's files (index.html, the ES modules, styles and the
// vendored libraries), rooted at the static directory.
func Static() fs.FS {
	sub, err := fs.Sub(files, "static")
	if err != nil { // the directory is embedded above, so this cannot happen
		panic(err)
	}
	return sub
}

// Handler serves the page at "/" and "/console/", and the assets under
// Prefix. Mount it on "GET /{$}" and "GET /console/". tiles are the
// deployment's base-map tiles (none: the maps draw without a base map);
// validate them first (Tiles.Validate).
//
// Every file carries an ETag (a hash of its content), so a browser that has
// it revalidates with a 304 instead of downloading it again. The console's
// own modules are revalidated at every load (a new gateway's console is
// picked up at once); the vendored libraries, which change only with `make
// console`, are cached for a day.
func Handler(tiles Tiles) http.Handler {
	static := Static()
	index, err := fs.ReadFile(static, "index.html")
	if err != nil {
		panic(err)
	}
	index = tiles.inject(index)
	csp := tiles.csp()
	etags := contentTags(static)
	assets := http.StripPrefix(strings.TrimSuffix(Prefix, "/"), http.FileServerFS(static))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		if r.URL.Path == "/" || r.URL.Path == Prefix || r.URL.Path == Prefix+"index.html" {
			h.Set("Content-Type", "text/html; charset=utf-8")
			h.Set("Cache-Control", "no-cache")
			h.Set("Content-Security-Policy", csp)
			_, _ = w.Write(index)
			return
		}
		name, ok := strings.CutPrefix(r.URL.Path, Prefix)
		if !ok {
			http.NotFound(w, r)
			return
		}
		if tag, ok := etags[name]; ok {
			h.Set("Etag", tag) // http.ServeContent answers If-None-Match with 304
		}
		if strings.HasPrefix(name, "vendor/") {
			h.Set("Cache-Control", "public, max-age=86400")
		} else {
			h.Set("Cache-Control", "no-cache")
		}
		switch name {
		case ServiceWorker:
			// Served under Prefix, it may still control the page at "/".
			h.Set("Service-Worker-Allowed", "/")
			h.Set("Content-Type", "text/javascript; charset=utf-8")
		case Manifest:
			// Not in every system's MIME table.
			h.Set("Content-Type", "application/manifest+json")
		}
		assets.ServeHTTP(w, r)
	})
}

// contentTags is a strong ETag for every file of static, by path.
func contentTags(static fs.FS) map[string]string {
	tags := map[string]string{}
	err := fs.WalkDir(static, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(static, path)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		tags[path] = `"` + base64.RawURLEncoding.EncodeToString(sum[:12]) + `"`
		return nil
	})
	if err != nil { // the files are embedded, so this cannot happen
		panic(err)
	}
	return tags
}

// csp keeps the page to its own origin: no CDN, no inline script; blob:
// images are the local preview of a photo chosen for upload, and images come
// from the tile server too when one is configured.
func (t Tiles) csp() string {
	img := "'self' data: blob:"
	if o := t.origin(); o != "" {
		img += " " + o
	}
	return "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src " + img +
		"; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
}

// inject writes the tile settings into the page's meta elements, where the
// map module reads them.
func (t Tiles) inject(index []byte) []byte {
	page := strings.Replace(string(index), `<meta name="whistle-map-tiles" content="">`,
		`<meta name="whistle-map-tiles" content="`+html.EscapeString(t.URL)+`">`, 1)
	page = strings.Replace(page, `<meta name="whistle-map-attribution" content="">`,
		`<meta name="whistle-map-attribution" content="`+html.EscapeString(t.Attribution)+`">`, 1)
	return []byte(page)
}
