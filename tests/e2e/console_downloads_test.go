package e2e_test

import (
	"encoding/csv"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// getRaw is a GET whose answer need not be JSON.
func getRaw(t *testing.T, s *system, path, token string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, s.url+path, nil)
	require.NoError(t, err)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	checkAnswer(t, req, resp.StatusCode, resp.Header, body)
	return resp, string(body)
}

// The SLA report CSV and the monthly scorecard are served as documents (a
// file to save, a page to print) with the caller's access checks; errors keep
// the contract's JSON shape.
func TestReportsDownloadAsFiles(t *testing.T) {
	t.Parallel()
	s := startSystem(t, options{})
	raise(t, s, donghuamen, "joint-enforcement", 3)
	sup := supervisorToken(t, s, dongcheng)
	q := url.Values{"district": {dongcheng}, "from": {t0.Add(-time.Hour).UTC().Format(time.RFC3339)}, "to": {t0.Add(24 * time.Hour).UTC().Format(time.RFC3339)}}

	var wrapped map[string]any
	eventually(t, "the report counts the three dispatches", func() bool {
		r := s.do(t, http.MethodGet, "/v1/reports/sla:csv?"+q.Encode(), sup, nil)
		wrapped = r.body
		return r.status == http.StatusOK && strings.Count(str(r.body["csv"]), "\n") >= 4
	})
	resp, body := getRaw(t, s, "/v1/reports/sla.csv?"+q.Encode(), sup)
	require.Equal(t, http.StatusOK, resp.StatusCode, body)
	require.Equal(t, "text/csv; charset=utf-8", resp.Header.Get("Content-Type"))
	require.Equal(t, `attachment; filename=`+str(wrapped["filename"]), resp.Header.Get("Content-Disposition"))
	require.Equal(t, "private, no-store", resp.Header.Get("Cache-Control"))
	require.True(t, strings.HasPrefix(body, "\ufeff"), "a BOM, so spreadsheet programs read UTF-8")
	require.Equal(t, str(wrapped["csv"]), strings.TrimPrefix(body, "\ufeff"), "the same document as the JSON-wrapped route")
	records, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(body, "\ufeff"))).ReadAll()
	require.NoError(t, err)
	require.Equal(t, []string{"district", "from", "to", "department"}, records[0][:4])

	month := t0.Format("2006-01")
	resp, body = getRaw(t, s, "/v1/reports/monthly.html?district="+dongcheng+"&month="+month, sup)
	require.Equal(t, http.StatusOK, resp.StatusCode, body)
	require.Equal(t, "text/html; charset=utf-8", resp.Header.Get("Content-Type"))
	require.Equal(t, "inline; filename=scorecard-"+dongcheng+"-"+month+".html", resp.Header.Get("Content-Disposition"))
	require.Contains(t, resp.Header.Get("Content-Security-Policy"), "default-src 'none'")
	require.Contains(t, body, "东城区 治理成绩单")

	for _, tc := range []struct {
		name, path, token string
		status            int
		code              string
	}{
		{"no token", "/v1/reports/sla.csv?" + q.Encode(), "", http.StatusUnauthorized, "UNAUTHENTICATED"},
		{"another district's supervisor", "/v1/reports/sla.csv?" + q.Encode(), supervisorToken(t, s, chaoyang), http.StatusForbidden, "PERMISSION_DENIED"},
		{"a desk", "/v1/reports/monthly.html?district=" + dongcheng + "&month=" + month, deskToken(t, s, dongcheng, "police"), http.StatusForbidden, "PERMISSION_DENIED"},
		{"a malformed period", "/v1/reports/sla.csv?district=" + dongcheng + "&from=yesterday", sup, http.StatusBadRequest, "INVALID_ARGUMENT"},
	} {
		resp, body := getRaw(t, s, tc.path, tc.token)
		require.Equal(t, tc.status, resp.StatusCode, "%s: %s", tc.name, body)
		var e struct {
			Error struct{ Code string } `json:"error"`
		}
		require.NoError(t, json.Unmarshal([]byte(body), &e), "%s: the contract's error shape: %s", tc.name, body)
		require.Equal(t, tc.code, e.Error.Code, tc.name)
	}
}
