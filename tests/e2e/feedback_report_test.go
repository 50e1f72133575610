package e2e_test

import (
	"encoding/csv"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/chuishao/whistle/platform/auth"
)

// TestSlaReportThroughTheGateway runs one joint-enforcement whistle through
// every service: police arrives in time, environment and urban management
// only after the 30-minute breach; the street rates it 4. The supervisor's
// GET /v1/reports/sla, the CSV export, the monthly page and the audit verify
// all reflect it.
func TestSlaReportThroughTheGateway(t *testing.T) {
	t.Parallel()
	s := startSystem(t, options{})
	streetTok := streetToken(t, s, donghuamen)
	id, w := raise(t, s, donghuamen, "joint-enforcement", 3)

	desks := map[string]string{}
	ids := map[string]string{}
	for _, dept := range []string{"police", "urban-management", "environment"} {
		desks[dept] = deskToken(t, s, dongcheng, dept)
		ids[dept] = str(dispatchOf(t, w, dept)["id"])
	}
	act := func(dept, action string, body map[string]any) {
		t.Helper()
		r := s.do(t, http.MethodPost, "/v1/dispatches/"+ids[dept]+":"+action, desks[dept], body)
		require.Equal(t, http.StatusOK, r.status, "%s %s: %s", dept, action, r.raw)
	}
	site := map[string]any{"location": map[string]any{"lat": 39.9146, "lng": 116.4036}}

	s.clock.Advance(3 * time.Minute)
	for dept := range desks {
		act(dept, "acknowledge", map[string]any{})
	}
	s.clock.Advance(26*time.Minute + 59*time.Second)
	act("police", "arrive", site)
	// 30:01: the others' arrival clocks have breached; wait for the breach
	// before they check in, so the order of events is certain.
	s.clock.Advance(2 * time.Second)
	eventually(t, "arrival breaches", func() bool {
		got := s.do(t, http.MethodGet, "/v1/whistles/"+id, streetTok, nil).body
		n := 0
		for _, d := range list(got["dispatches"]) {
			if slices.Contains(list(obj(d)["breaches"]), any("arrive")) {
				n++
			}
		}
		return n == 2
	})
	act("urban-management", "arrive", site)
	act("environment", "arrive", site)
	s.clock.Advance(time.Hour)
	for dept := range desks {
		act(dept, "resolve", map[string]any{"summary": "处理完毕"})
	}
	eventually(t, "whistle resolved", func() bool {
		return s.do(t, http.MethodGet, "/v1/whistles/"+id, streetTok, nil).body["status"] == "RESOLVED"
	})
	fb := s.do(t, http.MethodPost, "/v1/whistles/"+id+":feedback", streetTok, map[string]any{"satisfaction": 4, "comment": "基本满意"})
	require.Equal(t, http.StatusOK, fb.status, fb.raw)

	supervisorTok := s.token(t, auth.Identity{Role: auth.RoleSupervisor, DistrictID: dongcheng})
	q := url.Values{
		"district": {dongcheng},
		"from":     {t0.Add(-time.Hour).Format(time.RFC3339)},
		"to":       {t0.Add(24 * time.Hour).Format(time.RFC3339)},
	}
	var rep response
	eventually(t, "the rating in the report", func() bool {
		rep = s.do(t, http.MethodGet, "/v1/reports/sla?"+q.Encode(), supervisorTok, nil)
		return rep.status == http.StatusOK && obj(rep.body["total"])["rated"] == "3"
	})
	lines := map[string]map[string]any{}
	for _, l := range list(rep.body["departments"]) {
		lines[str(obj(l)["department"])] = obj(l)
	}
	require.Len(t, lines, 3)
	// int64 counts are strings in proto JSON.
	require.Equal(t, "1", lines["police"]["arrived_on_time"])
	require.Equal(t, 1.0, lines["police"]["arrival_rate"])
	require.Equal(t, "0", lines["police"]["breaches"])
	for _, dept := range []string{"urban-management", "environment"} {
		require.Equal(t, "0", lines[dept]["arrived_on_time"], dept)
		require.Equal(t, "1", lines[dept]["breaches"], dept)
		require.Equal(t, "1", lines[dept]["acked_on_time"], dept)
		require.Equal(t, 1.0, lines[dept]["resolution_rate"], dept)
		require.Equal(t, 1.0, lines[dept]["satisfaction_rate"], dept)
	}
	total := obj(rep.body["total"])
	require.Equal(t, "3", total["dispatched"])
	require.InDelta(t, 1.0/3, total["arrival_rate"], 1e-9)

	// The CSV export.
	exp := s.do(t, http.MethodGet, "/v1/reports/sla:csv?"+q.Encode(), supervisorTok, nil)
	require.Equal(t, http.StatusOK, exp.status, exp.raw)
	records, err := csv.NewReader(strings.NewReader(str(exp.body["csv"]))).ReadAll()
	require.NoError(t, err)
	require.Equal(t, "district", records[0][0])
	require.Len(t, records, 5, "header, three departments, total")

	// Other districts' supervisors and desks get 403.
	other := s.token(t, auth.Identity{Role: auth.RoleSupervisor, DistrictID: chaoyang})
	require.Equal(t, http.StatusForbidden, s.do(t, http.MethodGet, "/v1/reports/sla?"+q.Encode(), other, nil).status)
	require.Equal(t, http.StatusForbidden, s.do(t, http.MethodGet, "/v1/reports/sla?"+q.Encode(), desks["police"], nil).status)

	// An admin rebuilds the read model from the stream: the same report.
	admin := s.token(t, auth.Identity{Role: auth.RoleAdmin})
	rb := s.do(t, http.MethodPost, "/v1/feedback:rebuild", admin, map[string]any{})
	require.Equal(t, http.StatusOK, rb.status, rb.raw)
	require.Equal(t, "3", rb.body["dispatches"])
	again := s.do(t, http.MethodGet, "/v1/reports/sla?"+q.Encode(), supervisorTok, nil)
	require.Equal(t, rep.body, again.body)

	// The month's printable page and the audit of the hash chains.
	page := s.do(t, http.MethodGet, "/v1/reports/monthly?district="+dongcheng+"&month="+t0.Format("2006-01"), supervisorTok, nil)
	require.Equal(t, http.StatusOK, page.status, page.raw)
	require.Contains(t, str(page.body["html"]), "东城区 治理成绩单")
	// Streets by name, not code (routing names them).
	require.Contains(t, str(page.body["html"]), "东华门街道")
	require.NotContains(t, str(page.body["html"]), ">"+donghuamen+"<")

	// 未诉先办 over every channel: the whistle is this month's one appeal, named.
	hot := s.do(t, http.MethodGet, "/v1/reports/hotspots:analyze?district="+dongcheng, supervisorTok, nil)
	require.Equal(t, http.StatusOK, hot.status, hot.raw)
	pairs := list(hot.body["pairs"])
	require.Len(t, pairs, 1, hot.raw)
	require.Equal(t, "东华门街道", str(obj(pairs[0])["street_name"]))
	require.Equal(t, "联合执法", str(obj(pairs[0])["category_name"]))
	require.Equal(t, "1", str(obj(pairs[0])["whistles"]))
	bad := s.do(t, http.MethodGet, "/v1/reports/hotspots:analyze?to_month=May", supervisorTok, nil)
	require.Equal(t, http.StatusBadRequest, bad.status, bad.raw)
	require.Contains(t, bad.raw, "to_month")
	audit := s.do(t, http.MethodPost, "/v1/audit:verify", supervisorTok, map[string]any{"whistle_id": id})
	require.Equal(t, http.StatusOK, audit.status, audit.raw)
	require.Equal(t, true, audit.body["ok"])
}
