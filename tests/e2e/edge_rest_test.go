package e2e_test

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/stretchr/testify/require"
)

// walkPages follows next_page_token from path until the last page and
// returns the ids in order.
func walkPages(t *testing.T, s *system, path, token, items string) (ids []string, pages int) {
	t.Helper()
	next := ""
	for {
		p := path
		if next != "" {
			p += "&page_token=" + url.QueryEscape(next)
		}
		r := s.do(t, http.MethodGet, p, token, nil)
		require.Equal(t, http.StatusOK, r.status, r.raw)
		pages++
		for _, it := range list(r.body[items]) {
			ids = append(ids, str(obj(it)["id"]))
		}
		if next = str(r.body["next_page_token"]); next == "" {
			return ids, pages
		}
		require.Less(t, pages, 20, "pagination does not end")
	}
}

func TestRESTPaginationWalksEveryItemOnce(t *testing.T) {
	t.Parallel()
	s := startSystem(t, options{})
	var raised []string
	for range 3 {
		id, _ := raise(t, s, donghuamen, "garbage", 2)
		raised = append(raised, id)
	}
	streetTok := streetToken(t, s, donghuamen)
	ids, pages := walkPages(t, s, "/v1/whistles?page_size=2", streetTok, "whistles")
	require.Equal(t, 2, pages)
	require.Equal(t, []string{raised[2], raised[1], raised[0]}, ids, "newest first, each once")

	r := s.do(t, http.MethodGet, "/v1/whistles?page_token=forged", streetTok, nil)
	require.Equal(t, http.StatusBadRequest, r.status, r.raw)
	require.Equal(t, "page_token", obj(list(obj(r.body["error"])["details"])[0])["field"])

	// The urban-management desk's queue pages the same way.
	desk := deskToken(t, s, dongcheng, "urban-management")
	all := s.do(t, http.MethodGet, "/v1/dispatches", desk, nil)
	require.Equal(t, http.StatusOK, all.status, all.raw)
	var want []string
	for _, d := range list(all.body["dispatches"]) {
		want = append(want, str(obj(d)["id"]))
	}
	require.Len(t, want, 3)
	got, pages := walkPages(t, s, "/v1/dispatches?page_size=1", desk, "dispatches")
	require.Equal(t, want, got)
	require.Equal(t, 3, pages)
}
