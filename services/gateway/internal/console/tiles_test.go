package console_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/chuishao/whistle/services/gateway/internal/console"
)

// Without tiles the page admits images from its own origin only and tells
// the map there are none; with tiles, their origin is admitted and the map
// module finds the template and credit line in the page.
func TestTilesReachThePageAndItsPolicy(t *testing.T) {
	t.Parallel()
	resp, body := get(t, console.Handler(console.Tiles{}), "/")
	require.Contains(t, resp.Header.Get("Content-Security-Policy"), "img-src 'self' data: blob:;")
	require.Contains(t, body, `<meta name="whistle-map-tiles" content="">`)

	tiles := console.Tiles{URL: "https://tiles.example.gov.cn:8443/base/{z}/{x}/{y}.png?style=grey&v=2", Attribution: `© 测绘 <"局">`}
	require.NoError(t, tiles.Validate())
	resp, body = get(t, console.Handler(tiles), "/")
	require.Contains(t, resp.Header.Get("Content-Security-Policy"), "img-src 'self' data: blob: https://tiles.example.gov.cn:8443;")
	require.Contains(t, body, `<meta name="whistle-map-tiles" content="https://tiles.example.gov.cn:8443/base/{z}/{x}/{y}.png?style=grey&amp;v=2">`)
	require.Contains(t, body, `<meta name="whistle-map-attribution" content="© 测绘 &lt;&#34;局&#34;&gt;">`)
}

func TestTileSettingsAreChecked(t *testing.T) {
	t.Parallel()
	for _, bad := range []console.Tiles{
		{URL: "https://t.example/{z}/{x}.png"},                    // no {y}
		{URL: "https://{s}.t.example/{z}/{x}/{y}.png"},            // several hosts
		{URL: "ftp://t.example/{z}/{x}/{y}.png"},                  // not http
		{URL: "/tiles/{z}/{x}/{y}.png"},                           // no host
		{URL: "https://t.example/{z}/{x}/{y}.png; script-src *"},  // ends the directive
		{URL: "https://t.example/{z}/{x}/{y}.png\" onload=\"x()"}, // ends the attribute
		{URL: "https://u:p@t.example/{z}/{x}/{y}.png"},            // credentials
		{Attribution: "© someone"},                                // credit without tiles
		{URL: "https://t.example/{z}/{x}/{y}.png", Attribution: "a\nb"},
	} {
		require.Error(t, bad.Validate(), "%+v", bad)
	}
	require.NoError(t, console.Tiles{}.Validate())
	require.NoError(t, console.Tiles{URL: "http://10.1.2.3:8080/{z}/{y}/{x}"}.Validate())
}
