package e2e_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// jingshan is 景山街道, Donghuamen's neighbour to the north-west.
const jingshan = "110101002"

// A neighbouring street informed by the map check (within 50 m of its
// boundary) follows the whistle on its live stream, read only: a stream open
// before the whistle learns it from whistle.jurisdiction_checked, one opened
// later from the street's list; both get the whistle's whistle.* events and
// none of its dispatch or SLA events. A street not informed sees nothing of it.
func TestStreamNeighbourStreetFollowsInformedWhistles(t *testing.T) {
	t.Parallel()
	s := startSystem(t, options{})
	streetTok := streetToken(t, s, donghuamen)
	nTok := streetToken(t, s, jingshan)
	outsider := "110101011"
	oTok := streetToken(t, s, outsider)
	before := openStream(t, s, nTok, "")
	other := openStream(t, s, oTok, "")

	id, _, j := raiseNearBoundary(t, s, streetTok)
	require.Contains(t, list(j["neighbour_street_ids"]), jingshan)
	require.NotContains(t, list(j["neighbour_street_ids"]), outsider)

	checked := before.until(t, 10*time.Second, func(ev sseEvent) bool {
		return ev.name == "whistle.jurisdiction_checked" && ev.data["whistle_id"] == id
	})
	require.Equal(t, donghuamen, checked[len(checked)-1].data["street_id"])

	// The street's inbox lists the whistle as a neighbour's (intake's record
	// of the informing), so a stream opened now learns it at connect.
	eventually(t, "the neighbour's list", func() bool {
		ws := list(s.do(t, http.MethodGet, "/v1/whistles", nTok, nil).body["whistles"])
		return len(ws) == 1 && str(obj(ws[0])["viewer_role"]) == "neighbour"
	})
	after := openStream(t, s, nTok, "")

	r := s.do(t, http.MethodPost, "/v1/whistles/"+id+":cancel", streetTok, map[string]any{"reason": "已自行处理"})
	require.Equal(t, http.StatusOK, r.status, r.raw)
	isCancelled := func(ev sseEvent) bool { return ev.name == "whistle.cancelled" && ev.data["whistle_id"] == id }

	seen := append(checked, before.until(t, 10*time.Second, isCancelled)...)
	seen = append(seen, after.until(t, 10*time.Second, isCancelled)...)
	for _, ev := range seen {
		require.Equal(t, id, ev.data["whistle_id"], "the neighbour saw %s of another whistle", ev.name)
		require.True(t, strings.HasPrefix(ev.name, "whistle."), "read only: the neighbour saw %s", ev.name)
	}

	// The outsider's stream: its own next whistle comes, nothing of the other before it.
	r = s.do(t, http.MethodPost, "/v1/whistles", oTok, map[string]any{
		"street_id": outsider, "category": "street-vending", "description": "占道经营",
		"location": map[string]any{"lat": 39.9146, "lng": 116.4036}})
	require.Equal(t, http.StatusCreated, r.status, r.raw)
	own := str(r.body["id"])
	for _, ev := range other.until(t, 10*time.Second, func(ev sseEvent) bool { return ev.data["whistle_id"] == own }) {
		require.NotEqual(t, id, ev.data["whistle_id"], "a street not informed saw %s", ev.name)
	}
}
