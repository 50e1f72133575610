// Package publicpages serves the pages residents and the public use without
// signing in: the public results (公开) of a street or district,
// a resident's report form, and the follow-up page where a reporter follows
// and rates the result with the token. They are static files that call the
// public REST routes (/v1/public/...); the signed-in console is elsewhere.
package publicpages

import (
	"embed"
	"io/fs"
	"net/http"
)

// Prefix is where the pages are served.
const Prefix = "/public/"

//go:embed static
var files embed.FS

// Handler serves the pages under Prefix with a strict Content-Security-Policy
// (scripts, styles and calls to the gateway's own origin only).
func Handler() http.Handler {
	sub, _ := fs.Sub(files, "static")
	fileServer := http.StripPrefix(Prefix, http.FileServer(http.FS(sub)))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.Header().Set("Referrer-Policy", "no-referrer") // follow-up tokens travel in the URL
		fileServer.ServeHTTP(w, r)
	})
}
