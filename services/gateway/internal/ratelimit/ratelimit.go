// Package ratelimit answers 429 Too Many Requests, with Retry-After, to a
// client that sends more than its share: per bearer token, per client IP,
// and per client IP on the public forms, each a token bucket
// (golang.org/x/time/rate) read on the injected clock. The client IP is the
// connection's peer, or, behind a trusted proxy, the address the proxies
// say they were connected from.
package ratelimit

import (
	"crypto/sha256"
	"fmt"
	"math"
	"net"
	"net/http"
	"net/netip"
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

// Limiters are the limits Middleware applies; any limiter may be nil.
type Limiters struct {
	// PerToken limits everything a bearer token (or api_key) sends.
	PerToken *Limiter
	// PerIP limits everything from one client address, signed in or not.
	PerIP *Limiter
	// PublicWrites limits, per client address, what the anonymous public
	// submits: the resident's report form and follow-up ratings. (Open311
	// requests carry an api_key, and its app posts for many residents.)
	PublicWrites *Limiter
	// Proxies are the trusted reverse proxies whose X-Forwarded-For names
	// the client.
	Proxies Proxies
}

// Middleware limits next per token (when the request carries one), per IP,
// and per IP on the public writes.
func Middleware(next http.Handler, l Limiters) http.Handler {
	if l.PerToken == nil && l.PerIP == nil && l.PublicWrites == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ip := l.Proxies.ClientIP(r)
		if l.PerIP != nil {
			if ok, wait := l.PerIP.Take(ip); !ok {
				refuse(w, wait, "too many requests from this address")
				return
			}
		}
		if l.PublicWrites != nil && IsPublicWrite(r) {
			if ok, wait := l.PublicWrites.Take(ip); !ok {
				refuse(w, wait, "too many reports from this address")
				return
			}
		}
		if l.PerToken != nil {
			if tok := token(r); tok != "" {
				// The hash keys the bucket: only the token's holder can spend it.
				sum := sha256.Sum256([]byte(tok))
				if ok, wait := l.PerToken.Take(string(sum[:])); !ok {
					refuse(w, wait, "too many requests with this token")
					return
				}
			}
		}
		next.ServeHTTP(w, r)
	})
}

// IsPublicWrite tells whether r submits something without signing in: a
// POST under /v1/public/ (the resident's report, a follow-up's rating).
func IsPublicWrite(r *http.Request) bool {
	return r.Method == http.MethodPost && strings.HasPrefix(r.URL.Path, "/v1/public/")
}

func refuse(w http.ResponseWriter, wait time.Duration, msg string) {
	secs := int(math.Ceil(wait.Seconds()))
	w.Header().Set("Retry-After", strconv.Itoa(max(secs, 1)))
	apierror.Write(w, http.StatusTooManyRequests, CodeRateLimited, msg+"; retry after "+strconv.Itoa(max(secs, 1))+" s")
}

// Proxies are trusted reverse proxies (an ingress, a load balancer), by
// address range. Empty trusts none: the peer address is the client.
type Proxies []netip.Prefix

// ParseProxies reads a comma- or space-separated list of CIDR ranges or
// single addresses ("10.0.0.0/8, 192.168.1.10").
func ParseProxies(s string) (Proxies, error) {
	var out Proxies
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' || r == '\n' }) {
		if p, err := netip.ParsePrefix(f); err == nil {
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(f)
		if err != nil {
			return nil, fmt.Errorf("%q is neither an address nor a CIDR range", f)
		}
		out = append(out, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
	}
	return out, nil
}

func (p Proxies) trusts(a netip.Addr) bool {
	a = a.Unmap()
	for _, pr := range p {
		if pr.Contains(a) {
			return true
		}
	}
	return false
}

// ClientIP is the address a request came from. A connection from a trusted
// proxy is taken at its word: X-Forwarded-For is read from the right (each
// proxy appends the address it was connected from), skipping the trusted
// proxies, and the first address that is not one is the client. Anything
// left of it could be made up by the client, so it is never used. A
// connection from anywhere else is its own client, whatever it sends.
func (p Proxies) ClientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	peer, err := netip.ParseAddr(host)
	if err != nil || !p.trusts(peer) {
		return host
	}
	client := peer.Unmap()
	hops := r.Header.Values("X-Forwarded-For")
	for i := len(hops) - 1; i >= 0; i-- {
		parts := strings.Split(hops[i], ",")
		for j := len(parts) - 1; j >= 0; j-- {
			a, ok := hopAddr(strings.TrimSpace(parts[j]))
			if !ok {
				return client.String() // a garbled hop: the last proxy that spoke for it
			}
			client = a.Unmap()
			if !p.trusts(client) {
				return client.String()
			}
		}
	}
	return client.String()
}

// hopAddr reads one X-Forwarded-For entry: an address, or an address with a
// port as some load balancers write it ("203.0.113.7:41234", "[2001:db8::1]:443").
func hopAddr(v string) (netip.Addr, bool) {
	if a, err := netip.ParseAddr(v); err == nil {
		return a, true
	}
	if ap, err := netip.ParseAddrPort(v); err == nil {
		return ap.Addr(), true
	}
	return netip.Addr{}, false
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
