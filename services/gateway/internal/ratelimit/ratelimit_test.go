package ratelimit_test

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/chuishao/whistle/platform/clock"
	"github.com/chuishao/whistle/services/gateway/internal/ratelimit"
)

func TestBucketRefillsOnTheClock(t *testing.T) {
	t.Parallel()
	clk := clock.NewFake(time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC))
	l := ratelimit.New(ratelimit.Limit{Rate: 2, Burst: 2}, clk)
	for range 2 {
		ok, _ := l.Take("k")
		require.True(t, ok)
	}
	ok, wait := l.Take("k")
	require.False(t, ok)
	require.Equal(t, 500*time.Millisecond, wait, "two per second: the next token in half a second")

	ok, _ = l.Take("other")
	require.True(t, ok, "keys have their own buckets")

	clk.Advance(500 * time.Millisecond)
	ok, _ = l.Take("k")
	require.True(t, ok, "a refused request spent nothing, so the refill is whole")
}

func TestZeroRateDisables(t *testing.T) {
	t.Parallel()
	require.Nil(t, ratelimit.New(ratelimit.Limit{}, clock.NewFake(time.Now())))
}

func TestClientIPTrustsOnlyConfiguredProxies(t *testing.T) {
	t.Parallel()
	proxies, err := ratelimit.ParseProxies("10.0.0.0/8, 192.168.1.10")
	require.NoError(t, err)
	req := func(peer string, xff ...string) *http.Request {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.RemoteAddr = peer
		for _, v := range xff {
			r.Header.Add("X-Forwarded-For", v)
		}
		return r
	}
	for _, c := range []struct {
		name    string
		proxies ratelimit.Proxies
		r       *http.Request
		want    string
	}{
		{"no proxies trusted: the peer, whatever it claims", nil, req("10.1.2.3:5000", "203.0.113.7"), "10.1.2.3"},
		{"an untrusted peer's claim is ignored", proxies, req("198.51.100.1:5000", "203.0.113.7"), "198.51.100.1"},
		{"a trusted proxy names the client", proxies, req("10.1.2.3:5000", "203.0.113.7"), "203.0.113.7"},
		{"a single trusted address", proxies, req("192.168.1.10:5000", "203.0.113.7"), "203.0.113.7"},
		{"the rightmost untrusted hop, not what the client wrote", proxies, req("10.1.2.3:5000", "1.2.3.4, 203.0.113.7, 10.9.9.9"), "203.0.113.7"},
		{"several header lines read as one list", proxies, req("10.1.2.3:5000", "1.2.3.4", "203.0.113.7"), "203.0.113.7"},
		{"no header: the proxy itself", proxies, req("10.1.2.3:5000"), "10.1.2.3"},
		{"a hop with a port", proxies, req("10.1.2.3:5000", "203.0.113.7:41234"), "203.0.113.7"},
		{"an IPv6 hop with a port", proxies, req("10.1.2.3:5000", "[2001:db8::1]:443"), "2001:db8::1"},
		{"a garbled hop: the last proxy", proxies, req("10.1.2.3:5000", "203.0.113.7, not-an-ip"), "10.1.2.3"},
		{"only proxies in the chain: the leftmost", proxies, req("10.1.2.3:5000", "10.4.4.4"), "10.4.4.4"},
	} {
		require.Equal(t, c.want, c.proxies.ClientIP(c.r), c.name)
	}
	_, err = ratelimit.ParseProxies("10.0.0.0/8, ingress")
	require.ErrorContains(t, err, "ingress")
}
