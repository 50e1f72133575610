// Package routes is the shape of the gateway's hand-written routes: one
// Route per method and path, saying who may call it and what the gateway
// bounds before its handler runs, and the mux built from a table of them.
// Everything no route matches is the REST API generated from the protos.
// The table itself is the gateway's (app/routes.go): packages expose
// handlers, the table says where they are served.
package routes

import (
	"fmt"
	"mime"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/chuishao/whistle/platform/telemetry"
	"github.com/chuishao/whistle/services/gateway/internal/compression"
	"github.com/chuishao/whistle/services/gateway/internal/httpapi"
)

// Access says who may call a route. It documents the route; the handler, or
// the backend it calls with the caller's token, enforces it.
type Access string

const (
	// Public routes need no token.
	Public Access = "public"
	// DevAuth routes are open to anyone, and exist only with WHISTLE_DEV_AUTH.
	DevAuth Access = "anyone (dev auth only)"
	// APIKey routes need an Open311 api_key bound to a street.
	APIKey Access = "Open311 api_key"
	// Token routes pass the caller's bearer token on to a backend, which
	// checks it (the gateway only turns away a missing one).
	Token Access = "token (backend checks)"
	// GatewayToken routes check the caller's token in the gateway: there is
	// no backend behind them.
	GatewayToken Access = "token (gateway checks)"
	// Admin routes are for admins only, checked in the gateway.
	Admin Access = "admin token (gateway checks)"
	// Session routes act on the caller's browser session cookie.
	Session Access = "session cookie"
)

// Limits is what the gateway bounds before a route's handler runs.
type Limits int

const (
	// Standard: a body of at most httpapi.MaxBodyBytes (1 MiB), the request
	// timeout, and compressed answers, as for the generated REST API.
	Standard Limits = iota
	// OwnBody: the handler reads a file body with its own bound (Route.MaxBody)
	// and applies the request timeout itself; answers are not compressed
	// (uploads, imports, streamed objects).
	OwnBody
	// LongLived: no timeout and no compression (the event stream, flushed
	// event by event, open for hours).
	LongLived
)

func (l Limits) String() string {
	switch l {
	case Standard:
		return "1 MiB, timeout, compressed"
	case OwnBody:
		return "own body limit"
	case LongLived:
		return "long-lived, no timeout"
	}
	return fmt.Sprintf("Limits(%d)", int(l))
}

// Route is one hand-written route.
type Route struct {
	// Pattern is the method and path as net/http's ServeMux reads them
	// ("GET /v1/time"); without a method the route takes every method, and
	// its handler answers the ones it does not serve.
	Pattern string
	// Media, when set, limits the route to bodies of these media types
	// (Content-Type); any other body goes to the generated REST route of the
	// same path (a file import beside its JSON form).
	Media   []string
	Handler http.Handler
	Access  Access
	Limits  Limits
	// MaxBody is the largest body of an OwnBody route, in bytes.
	MaxBody int
	// Off is true when the route's feature is not configured: it is not
	// served, and its path falls through to the generated REST API (404).
	Off bool
	// Note says what the route serves.
	Note string
}

// Path is the pattern's path, without its method.
func (r Route) Path() string {
	if i := strings.IndexByte(r.Pattern, '/'); i >= 0 {
		return r.Pattern[i:]
	}
	return r.Pattern
}

// Method is the pattern's method; empty when the route takes every method.
func (r Route) Method() string {
	method, _, ok := strings.Cut(r.Pattern, " ")
	if !ok {
		return ""
	}
	return method
}

// Mux serves table's routes that are on, each within its limits and named
// for telemetry by its pattern, and everything else with rest (the generated
// REST API) within the Standard limits. timeout is the request timeout. A
// pattern listed twice is an error.
func Mux(table []Route, rest http.Handler, timeout time.Duration) (http.Handler, error) {
	seen := map[string]bool{}
	for _, r := range table {
		if seen[r.Pattern] {
			return nil, fmt.Errorf("route %q is listed twice", r.Pattern)
		}
		seen[r.Pattern] = true
		if !r.Off && r.Handler == nil {
			return nil, fmt.Errorf("route %q has no handler", r.Pattern)
		}
	}
	standard := func(h http.Handler) http.Handler { return httpapi.WithLimits(compression.Wrap(h), timeout) }
	limitedRest := standard(rest)
	mux := http.NewServeMux()
	for _, r := range table {
		if r.Off {
			continue
		}
		h := r.Handler
		if r.Limits == Standard {
			h = standard(h)
		}
		if len(r.Media) > 0 {
			h = byMedia(r.Media, h, limitedRest)
		}
		mux.Handle(r.Pattern, named(r.Path(), h))
	}
	mux.Handle("/", limitedRest)
	// The mux sets Request.Pattern, which otelhttp would take as the route
	// ("/" for the whole REST API): it serves a copy, and SetRoute names
	// the route (above, or grpc-gateway's template for the REST API).
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mux.ServeHTTP(w, r.WithContext(r.Context()))
	}), nil
}

// named names the request's span and metrics by the route's path template
// before the route serves (a stream's span lives as long as the stream).
func named(path string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		telemetry.SetRoute(r.Context(), r.Method, path)
		next.ServeHTTP(w, r)
	})
}

// byMedia serves bodies of one of media with h and every other with rest.
func byMedia(media []string, h, rest http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if m, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); slices.Contains(media, m) {
			h.ServeHTTP(w, r)
			return
		}
		rest.ServeHTTP(w, r)
	})
}
