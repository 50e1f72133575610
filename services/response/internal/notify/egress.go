package notify

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"regexp"
	"strings"
	"syscall"
	"time"
)

// ErrDestinationNotAllowed is a webhook whose address the egress policy refuses.
var ErrDestinationNotAllowed = errors.New("destination not allowed")

// Egress is where webhooks may go. Loopback, link-local, private, CGNAT,
// unspecified, multicast and reserved addresses are refused unless the
// allow-list names them (a department's real intranet); the deny-list (the
// cluster's own ranges) is refused whatever the allow-list says. The check is
// made on the address actually dialled, after DNS, so a name that resolves
// (or later re-resolves) to an internal address cannot get around it.
type Egress struct {
	allowNets  []netip.Prefix
	allowHosts map[string]bool
	denyNets   []netip.Prefix
}

// hostname is a DNS name as the allow-list accepts it.
var hostname = regexp.MustCompile(`^(?i)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$`)

// ParseEgress reads the allow-list (WHISTLE_WEBHOOK_ALLOW: comma-separated
// CIDRs, IP addresses and hostnames) and the deny-list (WHISTLE_WEBHOOK_DENY:
// comma-separated CIDRs and IP addresses).
func ParseEgress(allow, deny string) (Egress, error) {
	e := Egress{allowHosts: map[string]bool{}}
	for _, entry := range splitList(allow) {
		if p, ok := parsePrefix(entry); ok {
			e.allowNets = append(e.allowNets, p)
			continue
		}
		if !hostname.MatchString(entry) || len(entry) > 253 {
			return Egress{}, fmt.Errorf("WHISTLE_WEBHOOK_ALLOW: %q is not a CIDR, an IP address or a hostname", entry)
		}
		e.allowHosts[strings.ToLower(entry)] = true
	}
	for _, entry := range splitList(deny) {
		p, ok := parsePrefix(entry)
		if !ok {
			return Egress{}, fmt.Errorf("WHISTLE_WEBHOOK_DENY: %q is not a CIDR or an IP address", entry)
		}
		e.denyNets = append(e.denyNets, p)
	}
	return e, nil
}

func splitList(s string) []string {
	var out []string
	for _, v := range strings.Split(s, ",") {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}

// parsePrefix reads a CIDR or a single address (a /32 or /128).
func parsePrefix(s string) (netip.Prefix, bool) {
	if p, err := netip.ParsePrefix(s); err == nil {
		if p.Addr().Is4In6() {
			p = netip.PrefixFrom(p.Addr().Unmap(), max(p.Bits()-96, 0))
		}
		return p.Masked(), true
	}
	if a, err := netip.ParseAddr(s); err == nil {
		a = a.Unmap()
		return netip.PrefixFrom(a, a.BitLen()), true
	}
	return netip.Prefix{}, false
}

// Special-purpose ranges that netip's predicates do not cover.
var reserved = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),      // "this network"
	netip.MustParsePrefix("100.64.0.0/10"),  // carrier-grade NAT
	netip.MustParsePrefix("192.0.0.0/24"),   // IETF protocol assignments
	netip.MustParsePrefix("198.18.0.0/15"),  // benchmarking
	netip.MustParsePrefix("240.0.0.0/4"),    // reserved, and the broadcast address
	netip.MustParsePrefix("::/96"),          // IPv4-compatible (deprecated)
	netip.MustParsePrefix("64:ff9b:1::/48"), // local-use NAT64
	netip.MustParsePrefix("fec0::/10"),      // site-local (deprecated)
}

// nat64 is the well-known NAT64 prefix: its addresses reach the IPv4
// address in their last four bytes, which is checked instead.
var nat64 = netip.MustParsePrefix("64:ff9b::/96")

// internal reports whether a is not a public unicast address.
func internal(a netip.Addr) bool {
	if nat64.Contains(a) {
		b := a.As16()
		return internal(netip.AddrFrom4([4]byte(b[12:])))
	}
	if a.IsLoopback() || a.IsPrivate() || a.IsUnspecified() || a.IsLinkLocalUnicast() ||
		a.IsMulticast() || a.IsLinkLocalMulticast() || a.IsInterfaceLocalMulticast() {
		return true
	}
	for _, p := range reserved {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

func containsAny(nets []netip.Prefix, a netip.Addr) bool {
	for _, p := range nets {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// permits decides one dialled address; hostAllowed says whether the URL's
// host is on the allow-list by name.
func (e Egress) permits(a netip.Addr, hostAllowed bool) error {
	a = a.WithZone("").Unmap()
	switch {
	case containsAny(e.denyNets, a):
		return fmt.Errorf("%w: %s is in WHISTLE_WEBHOOK_DENY", ErrDestinationNotAllowed, a)
	case hostAllowed || containsAny(e.allowNets, a):
		return nil
	case internal(a):
		return fmt.Errorf("%w: %s is not a public address", ErrDestinationNotAllowed, a)
	}
	return nil
}

// CheckURL refuses at once a URL whose host is an address, or localhost, that
// no delivery could reach; names are checked when a delivery is dialled.
func (e Egress) CheckURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("parse URL: %w", err)
	}
	host := strings.ToLower(u.Hostname())
	if e.allowHosts[host] {
		return nil
	}
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return e.permits(netip.IPv6Loopback(), false)
	}
	if a, err := netip.ParseAddr(host); err == nil {
		return e.permits(a, false)
	}
	return nil
}

type hostAllowedKey struct{}

// Client is the HTTP client that posts webhooks: every connection is checked
// against the policy once its address is resolved, no proxy is used (it would
// dial on our behalf, unchecked), and redirects are not followed (a 3xx is
// the answer, and a failed attempt).
func (e Egress) Client(timeout time.Duration) *http.Client {
	dialer := &net.Dialer{
		Timeout: timeout,
		ControlContext: func(ctx context.Context, _, address string, _ syscall.RawConn) error {
			host, _, err := net.SplitHostPort(address)
			if err != nil {
				return fmt.Errorf("%w: %s", ErrDestinationNotAllowed, address)
			}
			a, err := netip.ParseAddr(host)
			if err != nil {
				return fmt.Errorf("%w: %s", ErrDestinationNotAllowed, address)
			}
			allowed, _ := ctx.Value(hostAllowedKey{}).(bool)
			return e.permits(a, allowed)
		},
	}
	transport := &http.Transport{
		Proxy: nil,
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			if host, _, err := net.SplitHostPort(addr); err == nil && e.allowHosts[strings.ToLower(host)] {
				ctx = context.WithValue(ctx, hostAllowedKey{}, true)
			}
			return dialer.DialContext(ctx, network, addr)
		},
		ForceAttemptHTTP2:   true,
		MaxIdleConns:        100,
		IdleConnTimeout:     90 * time.Second,
		TLSHandshakeTimeout: timeout,
	}
	return &http.Client{
		Timeout:       timeout,
		Transport:     transport,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// outcome is what the delivery log records of one attempt: coarse enough that
// the log cannot be used to probe which hosts and ports answer, and never the
// receiver's body. The details go to the service's own log.
func outcome(code int, err error) string {
	var netErr net.Error
	switch {
	case code >= 200 && code <= 299:
		return ""
	case code >= 300 && code <= 399:
		return fmt.Sprintf("HTTP %d: redirects are not followed", code)
	case code != 0:
		return fmt.Sprintf("HTTP %d", code)
	case err == nil:
		return ""
	case errors.Is(err, ErrDestinationNotAllowed):
		return "refused: " + ErrDestinationNotAllowed.Error()
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &netErr) && netErr.Timeout():
		return "timeout"
	}
	return "connect failed"
}
