// Package console serves the web console: a single page for street
// committees, duty desks, supervisors and admins, embedded in the gateway so
// that `make run` needs neither npm nor a CDN. The page talks to the same
// REST API as every other client, with the signed-in user's bearer token.
package console

import (
	"embed"
	"io/fs"
	"net/http"
	"strings"
)

// Prefix is the path the console's assets are served under; the page itself
// is served at "/".
const Prefix = "/console/"

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
// Prefix. Mount it on "GET /{$}" and "GET /console/".
func Handler() http.Handler {
	static := Static()
	index, err := fs.ReadFile(static, "index.html")
	if err != nil {
		panic(err)
	}
	assets := http.StripPrefix(strings.TrimSuffix(Prefix, "/"), http.FileServerFS(static))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		if r.URL.Path == "/" || r.URL.Path == Prefix || r.URL.Path == Prefix+"index.html" {
			// The page is small and names its assets; always revalidate it
			// so a new gateway's console is picked up at the next load.
			h.Set("Content-Type", "text/html; charset=utf-8")
			h.Set("Cache-Control", "no-cache")
			h.Set("Content-Security-Policy", csp)
			_, _ = w.Write(index)
			return
		}
		if !strings.HasPrefix(r.URL.Path, Prefix) {
			http.NotFound(w, r)
			return
		}
		h.Set("Cache-Control", "no-cache")
		assets.ServeHTTP(w, r)
	})
}

// csp keeps the page to its own origin: no CDN, no inline script, no tiles.
const csp = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
