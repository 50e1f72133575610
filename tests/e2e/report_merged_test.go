package e2e_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// A merged whistle's upward report goes on with the whistle it was merged
// into, as its timeline does: its own (cancelled) dispatches, then the
// surviving whistle's, each naming its whistle, and the surviving whistle's
// progress; the whistle's own facts (street, raising) stay its own.
func TestReportOfMergedWhistleFollowsTheSurvivingWhistle(t *testing.T) {
	t.Parallel()
	s := startSystem(t, options{})
	streetTok := streetToken(t, s, donghuamen)
	first, fw := raise(t, s, donghuamen, "noise", 3)
	r := s.do(t, http.MethodPost, "/v1/whistles", streetTok, map[string]any{
		"street_id": donghuamen, "category": "noise", "title": "重复：夜间噪音", "description": "夜间噪音",
		"location": map[string]any{"lat": 39.9146 + 40/111195.0, "lng": 116.4036}})
	require.Equal(t, http.StatusCreated, r.status, r.raw)
	dup := str(r.body["id"])
	eventually(t, "the duplicate routed", func() bool {
		return len(list(s.do(t, http.MethodGet, "/v1/whistles/"+dup, streetTok, nil).body["dispatches"])) == 3
	})
	r = s.do(t, http.MethodPost, "/v1/whistles/"+dup+":merge", streetTok, map[string]any{"into_whistle_id": first})
	require.Equal(t, http.StatusOK, r.status, r.raw)
	police := str(dispatchOf(t, fw, "police")["id"])
	r = s.do(t, http.MethodPost, "/v1/dispatches/"+police+":acknowledge", deskToken(t, s, dongcheng, "police"), map[string]any{})
	require.Equal(t, http.StatusOK, r.status, r.raw)

	var rep map[string]any
	eventually(t, "the merged whistle's report", func() bool {
		got := s.do(t, http.MethodGet, "/v1/whistles/"+dup+"/report", streetTok, nil)
		if got.status != http.StatusOK {
			return false
		}
		rep = got.body
		cancelled, acked := 0, false
		for _, d := range list(rep["dispatches"]) {
			d := obj(d)
			switch str(d["whistle_id"]) {
			case dup:
				if str(d["status"]) == "CANCELLED" {
					cancelled++
				}
			case first:
				acked = acked || (str(d["dispatch_id"]) == police && str(d["acknowledged_at"]) != "")
			}
		}
		return cancelled == 3 && acked && len(list(rep["dispatches"])) == 6
	})
	require.Equal(t, first, str(rep["merged_into"]))
	require.Equal(t, "重复：夜间噪音", str(rep["title"]), "its own raising, not the surviving whistle's")
	require.Equal(t, donghuamen, str(rep["street_id"]))
	for i, d := range list(rep["dispatches"]) {
		want := dup
		if i >= 3 {
			want = first
		}
		require.Equal(t, want, str(obj(d)["whistle_id"]), "its own dispatches first, then the surviving whistle's")
	}
	require.Contains(t, str(rep["text"]), "已合并至吹哨 "+first)
	require.Equal(t, 1, strings.Count(str(rep["text"]), "签收"), "the surviving whistle's acknowledgement is in the story")

	// The surviving whistle's own report is its own.
	own := s.do(t, http.MethodGet, "/v1/whistles/"+first+"/report", streetTok, nil)
	require.Equal(t, http.StatusOK, own.status, own.raw)
	require.Empty(t, str(own.body["merged_into"]))
	require.Len(t, list(own.body["dispatches"]), 3)
	require.NotContains(t, str(own.body["text"]), "已合并")
}
