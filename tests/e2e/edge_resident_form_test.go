package e2e_test

import (
	"fmt"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestPublicReportRefusesUnknownStreetAndCategory: the resident's form names
// a street and a category routing knows, or is answered 400 with the field.
func TestPublicReportRefusesUnknownStreetAndCategory(t *testing.T) {
	t.Parallel()
	s := startSystem(t, options{})
	good := map[string]any{
		"street_id": donghuamen, "category": "garbage", "description": "垃圾没人收",
		"location": map[string]any{"lat": spotLat, "lng": spotLng},
	}
	with := func(k, v string) map[string]any {
		out := map[string]any{}
		for key, val := range good {
			out[key] = val
		}
		out[k] = v
		return out
	}
	for field, body := range map[string]map[string]any{
		"street_id": with("street_id", "110101999"),
		"category":  with("category", "dragons"),
	} {
		r := s.do(t, http.MethodPost, "/v1/public/reports", "", body)
		require.Equal(t, http.StatusBadRequest, r.status, r.raw)
		d := obj(list(obj(r.body["error"])["details"])[0])
		require.Equal(t, field, d["field"], r.raw)
		require.Contains(t, str(d["reason"]), "unknown", r.raw)
	}
	r := s.do(t, http.MethodPost, "/v1/public/reports", "", good)
	require.Equal(t, http.StatusOK, r.status, r.raw)
	require.Equal(t, dongcheng, obj(r.body["report"])["district_id"])
}

// TestInboxShowsNewestFirstInPages: a flood of reports cannot hide the
// newest behind the oldest: the inbox leads with the newest, says how many
// wait, and pages through the older ones to the end.
func TestInboxShowsNewestFirstInPages(t *testing.T) {
	t.Parallel()
	s := startSystem(t, options{})
	var filed []string // oldest first
	for i := range 5 {
		r := s.do(t, http.MethodPost, "/v1/public/reports", "", map[string]any{
			"street_id": donghuamen, "category": "garbage", "description": fmt.Sprintf("第 %d 处垃圾", i),
			"location": map[string]any{"lat": northOf(spotLat, float64(300*i)), "lng": spotLng}, // each its own group
		})
		require.Equal(t, http.StatusOK, r.status, r.raw)
		filed = append(filed, str(obj(r.body["report"])["id"]))
		s.clock.Advance(time.Minute)
	}
	tok := streetToken(t, s, donghuamen)
	var seen []string
	query := url.Values{"page_size": {"2"}}
	for pages := 0; ; pages++ {
		require.Less(t, pages, 5, "the pages end")
		r := s.do(t, http.MethodGet, "/v1/streets/"+donghuamen+"/inbox?"+query.Encode(), tok, nil)
		require.Equal(t, http.StatusOK, r.status, r.raw)
		require.EqualValues(t, 5, r.body["waiting"])
		for _, g := range list(r.body["groups"]) {
			seen = append(seen, str(obj(g)["id"]))
		}
		next := str(r.body["next_page_token"])
		if next == "" {
			break
		}
		query.Set("page_token", next)
	}
	require.Equal(t, []string{filed[4], filed[3], filed[2], filed[1], filed[0]}, seen)

	bad := s.do(t, http.MethodGet, "/v1/streets/"+donghuamen+"/inbox?page_size=5000", tok, nil)
	require.Equal(t, http.StatusBadRequest, bad.status, bad.raw)
	require.Contains(t, bad.raw, "page_size")
}
