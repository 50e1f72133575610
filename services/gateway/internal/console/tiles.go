package console

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// Tiles are the base-map tiles the console's maps draw under their vector
// layers: an XYZ tile URL template such as
// https://tiles.example.gov.cn/{z}/{x}/{y}.png on one host, and the credit
// line the tile provider asks for. The zero value draws no base map: the
// boundaries and markers need none, so a closed network needs no tile server.
type Tiles struct {
	URL         string
	Attribution string
}

// Validate checks the template: http or https, one host (the page's
// Content-Security-Policy admits images from that origin only), {z}, {x} and
// {y} present and no other placeholder, and nothing that could end a
// policy directive or an HTML attribute.
func (t Tiles) Validate() error {
	if t.URL == "" {
		if t.Attribution != "" {
			return errors.New("WHISTLE_MAP_TILE_ATTRIBUTION is set without WHISTLE_MAP_TILE_URL")
		}
		return nil
	}
	if strings.ContainsAny(t.URL, " \t\r\n;,'\"<>\\") {
		return fmt.Errorf("WHISTLE_MAP_TILE_URL %q: spaces, quotes, semicolons, commas and angle brackets are not allowed", t.URL)
	}
	rest := t.URL
	for _, p := range []string{"{z}", "{x}", "{y}"} {
		if !strings.Contains(rest, p) {
			return fmt.Errorf("WHISTLE_MAP_TILE_URL %q: needs %s", t.URL, p)
		}
		rest = strings.ReplaceAll(rest, p, "0")
	}
	if strings.ContainsAny(rest, "{}") {
		return fmt.Errorf("WHISTLE_MAP_TILE_URL %q: only {z}, {x} and {y} are filled in (one host, no {s})", t.URL)
	}
	u, err := url.Parse(rest)
	if err != nil {
		return fmt.Errorf("WHISTLE_MAP_TILE_URL %q: %w", t.URL, err)
	}
	if (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil {
		return fmt.Errorf("WHISTLE_MAP_TILE_URL %q: must be an http or https URL with a host and no user", t.URL)
	}
	if len(t.Attribution) > 300 || strings.ContainsAny(t.Attribution, "\r\n") {
		return errors.New("WHISTLE_MAP_TILE_ATTRIBUTION: one line of at most 300 bytes")
	}
	return nil
}

// origin is the tile server's scheme and host, as a policy source; empty
// without tiles.
func (t Tiles) origin() string {
	if t.URL == "" {
		return ""
	}
	u, err := url.Parse(strings.NewReplacer("{z}", "0", "{x}", "0", "{y}", "0").Replace(t.URL))
	if err != nil || u.Host == "" {
		return ""
	}
	return u.Scheme + "://" + u.Host
}
