// Package servertime serves GET /v1/time: the services' clock as the gateway
// sees it. Drills run every service on a scaled clock (WHISTLE_TIME_SCALE,
// WHISTLE_TIME_ORIGIN), so a browser's own clock says nothing about how long
// a dispatch has left; the console computes its countdowns from this answer.
package servertime

import (
	"encoding/json"
	"net/http"
	"time"

	"github.com/chuishao/whistle/platform/clock"
)

// Path is where the handler is mounted.
const Path = "/v1/time"

// Response is the services' time now and how fast it runs against real time.
type Response struct {
	// Now is the services' clock, RFC 3339 with nanoseconds, UTC.
	Now string `json:"now"`
	// Scale is how many seconds of service time pass per real second (1 outside drills).
	Scale float64 `json:"scale"`
}

// Handler answers GET with the time of clk; scale is the clock's factor
// (values below or equal to 0 mean 1). Nothing in the answer is secret, so it
// needs no token: the sign-in page uses it too.
func Handler(clk clock.Clock, scale float64) http.Handler {
	if scale <= 0 {
		scale = 1
	}
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		h := w.Header()
		h.Set("Content-Type", "application/json")
		h.Set("Cache-Control", "no-store")
		_ = json.NewEncoder(w).Encode(Response{Now: clk.Now().UTC().Format(time.RFC3339Nano), Scale: scale})
	})
}
