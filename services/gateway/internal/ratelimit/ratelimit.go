// Package ratelimit answers 429 Too Many Requests, with Retry-After, to a
// client that sends more than its share: per bearer token and per client IP,
// each a token bucket (golang.org/x/time/rate) read on the injected clock.
package ratelimit

import (
	"crypto/sha256"
	"math"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/chuishao/whistle/platform/clock"
	"github.com/chuishao/whistle/services/gateway/internal/apierror"
)

// CodeRateLimited is the error code of a 429 answer.
const CodeRateLimited = "RESOURCE_EXHAUSTED"

// Limit is a sustained rate with a burst; a zero Rate disables the limit.
type Limit struct {
	// Rate is requests per second.
	Rate float64
	// Burst is how many requests may come at once; at least 1.
	Burst int
}

// idleAfter is how long an untouched bucket is kept; a full bucket after
// that long is the same as a new one, so dropping it changes nothing.
const idleAfter = 10 * time.Minute

// sweepEvery bounds memory: every so many new keys, idle buckets go.
const sweepEvery = 1024

// Limiter keeps one bucket per key.
type Limiter struct {
	limit Limit
	clk   clock.Clock

	mu      sync.Mutex
	buckets map[string]*bucket
	added   int
}

type bucket struct {
	lim  *rate.Limiter
	seen time.Time
}

// New returns a limiter of l on clk, or nil when l is disabled.
func New(l Limit, clk clock.Clock) *Limiter {
	if l.Rate <= 0 {
		return nil
	}
	if l.Burst < 1 {
		l.Burst = max(1, int(math.Ceil(l.Rate)))
	}
	return &Limiter{limit: l, clk: clk, buckets: map[string]*bucket{}}
}

// Take spends one request of key's bucket; when it is empty it returns how
// long until the next request would be allowed.
func (l *Limiter) Take(key string) (ok bool, retryAfter time.Duration) {
	now := l.clk.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.buckets[key]
	if b == nil {
		l.added++
		if l.added%sweepEvery == 0 {
			for k, old := range l.buckets {
				if now.Sub(old.seen) > idleAfter {
					delete(l.buckets, k)
				}
			}
		}
		b = &bucket{lim: rate.NewLimiter(rate.Limit(l.limit.Rate), l.limit.Burst)}
		l.buckets[key] = b
	}
	b.seen = now
	r := b.lim.ReserveN(now, 1)
	if delay := r.DelayFrom(now); delay > 0 {
		r.CancelAt(now) // a refused request spends nothing
		return false, delay
	}
	return true, 0
}

// Middleware limits next per token (when the request carries one) and per IP.
// Either limiter may be nil.
func Middleware(next http.Handler, perToken, perIP *Limiter) http.Handler {
	if perToken == nil && perIP == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if perIP != nil {
			if ok, wait := perIP.Take(clientIP(r)); !ok {
				refuse(w, wait, "too many requests from this address")
				return
			}
		}
		if perToken != nil {
			if tok := token(r); tok != "" {
				// The hash keys the bucket: only the token's holder can spend it.
				sum := sha256.Sum256([]byte(tok))
				if ok, wait := perToken.Take(string(sum[:])); !ok {
					refuse(w, wait, "too many requests with this token")
					return
				}
			}
		}
		next.ServeHTTP(w, r)
	})
}

func refuse(w http.ResponseWriter, wait time.Duration, msg string) {
	secs := int(math.Ceil(wait.Seconds()))
	w.Header().Set("Retry-After", strconv.Itoa(max(secs, 1)))
	apierror.Write(w, http.StatusTooManyRequests, CodeRateLimited, msg+"; retry after "+strconv.Itoa(max(secs, 1))+" s")
}

// clientIP is the peer address. Forwarded headers are not trusted: anyone
// could set them to spread their requests over made-up addresses.
func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// token is the bearer token of the request: the Authorization header, the
// stream's access_token, or an Open311 api_key.
func token(r *http.Request) string {
	if h := r.Header.Get("Authorization"); h != "" {
		if scheme, tok, ok := strings.Cut(h, " "); ok && strings.EqualFold(scheme, "Bearer") {
			return tok
		}
		return h
	}
	if t := r.URL.Query().Get("access_token"); t != "" {
		return t
	}
	return r.URL.Query().Get("api_key")
}
