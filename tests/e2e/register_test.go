package e2e_test

import (
	"bytes"
	"encoding/csv"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/xuri/excelize/v2"
)

// A supervisor searches its district by keyword and downloads the register
// (台账) of what it found as .xlsx and CSV, with Chinese headers and names
// rather than codes; a street of another district finds nothing of it.
func TestSearchAndRegister(t *testing.T) {
	t.Parallel()
	s := startSystem(t, options{})
	id, w := raise(t, s, donghuamen, "joint-enforcement", 3)
	police := deskToken(t, s, dongcheng, "police")
	policeID := str(dispatchOf(t, w, "police")["id"])
	s.clock.Advance(3 * time.Minute)
	require.Equal(t, http.StatusOK, s.do(t, http.MethodPost, "/v1/dispatches/"+policeID+":acknowledge", police, map[string]any{}).status)
	s.clock.Advance(10 * time.Minute)
	arrived := s.do(t, http.MethodPost, "/v1/dispatches/"+policeID+":arrive", police,
		map[string]any{"location": map[string]any{"lat": 39.9147, "lng": 116.4035}})
	require.Equal(t, http.StatusOK, arrived.status, arrived.raw)
	arrivedAt := parseTime(t, arrived.body["arrived_at"]).In(time.FixedZone("CST", 8*3600)).Format("2006-01-02 15:04:05")

	sup := supervisorToken(t, s, dongcheng)
	q := url.Values{"keyword": {"占道"}, "raised_from": {t0.Add(-time.Hour).UTC().Format(time.RFC3339)}}
	eventually(t, "the search shows the arrival", func() bool {
		r := s.do(t, http.MethodGet, "/v1/search/whistles?"+q.Encode(), sup, nil)
		ws := list(r.body["whistles"])
		if r.status != http.StatusOK || len(ws) != 1 || str(obj(ws[0])["id"]) != id {
			return false
		}
		return str(dispatchOf(t, obj(ws[0]), "police")["status"]) == "ARRIVED"
	})
	other := s.do(t, http.MethodGet, "/v1/search/whistles?"+q.Encode(), streetToken(t, s, "110105001"), nil)
	require.Equal(t, http.StatusOK, other.status, other.raw)
	require.Empty(t, list(other.body["whistles"]), "another street finds nothing")

	wantHeader := []string{"编号", "标题", "区", "街道", "类别", "紧急程度", "状态", "承办部门",
		"发起时间", "签收时间", "到场时间", "办结时间", "超时环节", "满意度", "回访意见", "地址", "问题描述"}
	check := func(rows [][]string) {
		t.Helper()
		require.Len(t, rows, 2, "the header and the one whistle")
		require.Equal(t, wantHeader, rows[0])
		row := map[string]string{}
		for i, h := range wantHeader {
			if i < len(rows[1]) {
				row[h] = rows[1][i]
			}
		}
		require.Equal(t, id, row["编号"])
		require.Equal(t, "东华门大街占道施工扰民", row["标题"])
		require.Equal(t, "东城区", row["区"])
		require.Equal(t, "东华门街道", row["街道"])
		require.Equal(t, "联合执法", row["类别"])
		require.Equal(t, "紧急", row["紧急程度"])
		require.Equal(t, "处置中", row["状态"])
		require.Equal(t, "生态环境、公安、城管", row["承办部门"])
		require.Equal(t, arrivedAt, row["到场时间"])
		require.Empty(t, row["办结时间"])
	}

	resp, body := getRaw(t, s, "/v1/registers/whistles.xlsx?"+q.Encode(), sup)
	require.Equal(t, http.StatusOK, resp.StatusCode, body)
	require.Equal(t, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", resp.Header.Get("Content-Type"))
	require.Contains(t, resp.Header.Get("Content-Disposition"), "attachment; filename=whistle-register-")
	f, err := excelize.OpenReader(bytes.NewReader([]byte(body)))
	require.NoError(t, err)
	t.Cleanup(func() { _ = f.Close() })
	rows, err := f.GetRows("台账")
	require.NoError(t, err)
	check(rows)

	resp, body = getRaw(t, s, "/v1/registers/whistles.csv?"+q.Encode(), sup)
	require.Equal(t, http.StatusOK, resp.StatusCode, body)
	require.Equal(t, "text/csv; charset=utf-8", resp.Header.Get("Content-Type"))
	require.True(t, strings.HasPrefix(body, "\ufeff"), "a BOM, so spreadsheet programs read UTF-8")
	records, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(body, "\ufeff"))).ReadAll()
	require.NoError(t, err)
	check(records)

	// The same through whistlectl.
	env := map[string]string{"WHISTLE_URL": s.url, "WHISTLE_TOKEN": sup}
	require.Contains(t, cli(t, env, "whistles", "search", "--keyword", "占道", "--status", "responding"), id)
	require.Equal(t, body, cli(t, env, "whistles", "export", "--keyword", "占道", "--from", q.Get("raised_from"), "--format", "csv"))

	// Scope and bad input keep the contract's error shape.
	resp, body = getRaw(t, s, "/v1/registers/whistles.csv?"+q.Encode(), "")
	require.Equal(t, http.StatusUnauthorized, resp.StatusCode, body)
	resp, body = getRaw(t, s, "/v1/registers/whistles.xlsx?page_token=nonsense", sup)
	require.Equal(t, http.StatusOK, resp.StatusCode, "the register pages by itself: %s", body)
	resp, body = getRaw(t, s, "/v1/registers/whistles.xlsx?raised_from=yesterday", sup)
	require.Equal(t, http.StatusBadRequest, resp.StatusCode, body)
	require.Contains(t, body, "INVALID_ARGUMENT")
	resp, body = getRaw(t, s, "/v1/registers/whistles.csv?"+q.Encode(), streetToken(t, s, "110105001"))
	require.Equal(t, http.StatusOK, resp.StatusCode, body)
	require.Equal(t, "\ufeff"+strings.Join(wantHeader, ",")+"\n", body, "another street's register is empty")
}
