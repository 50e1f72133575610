package ctl_test

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestEveryRoleActionCallsItsRoute: the commands added for the street's,
// the desk's, the supervisor's and the admin's remaining console actions send
// their route and body; bad input names the flag before any call.
func TestEveryRoleActionCallsItsRoute(t *testing.T) {
	t.Parallel()
	fake, url := startFake(t, http.StatusOK, `{}`)
	env := map[string]string{"WHISTLE_URL": url, "WHISTLE_TOKEN": "t"}
	for _, tc := range []struct {
		args   []string
		method string
		path   string
		query  map[string][]string
		body   map[string]any
	}{
		{[]string{"merge", "w-2", "--into", "w-1"}, http.MethodPost, "/v1/whistles/w-2:merge", nil, map[string]any{"into_whistle_id": "w-1"}},
		{[]string{"keep", "w-2"}, http.MethodPost, "/v1/whistles/w-2:keep", nil, map[string]any{}},
		{[]string{"confirm-location", "w-1", "--note", "两街交界"}, http.MethodPost, "/v1/whistles/w-1:confirmLocation", nil, map[string]any{"note": "两街交界"}},
		{[]string{"add-department", "w-1", "--department", "transport", "--reason", "占用机动车道"}, http.MethodPost, "/v1/whistles/w-1:addDepartment", nil,
			map[string]any{"department": "transport", "reason": "占用机动车道"}},
		{[]string{"routing", "w-1"}, http.MethodGet, "/v1/whistles/w-1/routing", nil, nil},
		{[]string{"extension", "request", "d-1", "--clock", "resolve", "--until", "2026-11-28 18:00", "--reason", "需协调"}, http.MethodPost,
			"/v1/dispatches/d-1:requestExtension", nil, map[string]any{"clock": "resolve", "until": "2026-11-28T10:00:00Z", "reason": "需协调"}},
		{[]string{"extension", "list", "--page-size", "5"}, http.MethodGet, "/v1/extensions/pending", map[string][]string{"page_size": {"5"}}, nil},
		{[]string{"extension", "decide", "d-1", "x-1", "--reject", "--note", "不同意"}, http.MethodPost, "/v1/dispatches/d-1:decideExtension", nil,
			map[string]any{"extension_id": "x-1", "note": "不同意"}},
		{[]string{"appeal", "file", "d-1", "--clock", "arrive", "--code", "force_majeure", "--reason", "暴雨封路"}, http.MethodPost, "/v1/appeals", nil,
			map[string]any{"dispatch_id": "d-1", "clock": "arrive", "reason_code": "force_majeure", "reason": "暴雨封路"}},
		{[]string{"appeal", "list", "--status", "pending"}, http.MethodGet, "/v1/appeals", map[string][]string{"status": {"PENDING"}}, nil},
		{[]string{"appeal", "decide", "a-1", "--accept"}, http.MethodPost, "/v1/appeals/a-1:decide", nil, map[string]any{"accept": true}},
		{[]string{"report", "scorecards", "--district", "110101", "--from", "2026-11-01T00:00:00Z", "--to", "2026-12-01T00:00:00Z", "--by", "street"},
			http.MethodGet, "/v1/reports/scorecards", map[string][]string{"district": {"110101"}, "from": {"2026-11-01T00:00:00Z"},
				"to": {"2026-12-01T00:00:00Z"}, "group_by": {"STREET"}}, nil},
		{[]string{"report", "hotspots", "--district", "110101", "--from", "2026-07", "--to", "2026-12", "--order", "rising", "--min-total", "3", "--limit", "10"},
			http.MethodGet, "/v1/reports/hotspots:analyze", map[string][]string{"district": {"110101"}, "from_month": {"2026-07"},
				"to_month": {"2026-12"}, "order_by": {"RISING"}, "min_total": {"3"}, "limit": {"10"}}, nil},
		{[]string{"report", "monthly", "--month", "2026-11", "--district", "110101"}, http.MethodGet, "/v1/reports/monthly",
			map[string][]string{"district": {"110101"}, "month": {"2026-11"}}, nil},
		{[]string{"report", "monthly", "--month", "2026-11", "--format", "pdf", "--department", "police"}, http.MethodGet, "/v1/reports/monthly.pdf",
			map[string][]string{"month": {"2026-11"}, "department": {"police"}}, nil},
		{[]string{"sla", "policies", "set", "--category", "noise", "--district", "110101", "--arrive", "20m", "--resolve-working-days", "3"},
			http.MethodPost, "/v1/sla/policies", nil, map[string]any{"category": "noise", "district_id": "110101", "arrive_within": "1200s", "resolve_working_days": float64(3)}},
		{[]string{"sla", "calendar", "set", "2027-02-06", "--kind", "holiday", "--name", "春节"}, http.MethodPut,
			"/v1/sla/calendar/days/2027-02-06", nil, map[string]any{"date": "2027-02-06", "kind": "HOLIDAY", "name": "春节"}},
		{[]string{"sla", "calendar", "delete", "2027-02-06"}, http.MethodDelete, "/v1/sla/calendar/days/2027-02-06", nil, nil},
		{[]string{"departments", "save", "water-affairs", "--name", "区水务局"}, http.MethodPut, "/v1/departments/water-affairs", nil,
			map[string]any{"code": "water-affairs", "name": "区水务局"}},
		{[]string{"board", "show", "w-1"}, http.MethodGet, "/v1/whistles/w-1/board", nil, nil},
		{[]string{"board", "note", "w-1", "--text", "已到场"}, http.MethodPost, "/v1/whistles/w-1/board/notes", nil, map[string]any{"text": "已到场"}},
		{[]string{"board", "complete", "w-1"}, http.MethodPost, "/v1/whistles/w-1/board:complete", nil, map[string]any{}},
		{[]string{"risk", "--within", "15", "--department", "police"}, http.MethodGet, "/v1/risk/dispatches",
			map[string][]string{"within_minutes": {"15"}, "department": {"police"}}, nil},
		{[]string{"form", "order", "d-1"}, http.MethodGet, "/v1/dispatches/d-1/order.pdf", nil, nil},
		{[]string{"form", "notice", "d-1"}, http.MethodGet, "/v1/dispatches/d-1/supervision-notice.pdf", nil, nil},
		{[]string{"form", "order", "d-1", "--whistle", "w-1"}, http.MethodGet, "/v1/dispatches/d-1/order.pdf", map[string][]string{"whistle_id": {"w-1"}}, nil},
		{[]string{"eta", "show", "w-1", "w-2"}, http.MethodGet, "/v1/etas", map[string][]string{"whistle_ids": {"w-1", "w-2"}}, nil},
		{[]string{"eta", "set", "d-1", "--at", "2026-11-28 10:40", "--note", "约40分钟后到"}, http.MethodPost, "/v1/dispatches/d-1:setEta", nil,
			map[string]any{"arrive_at": "2026-11-28T02:40:00Z", "note": "约40分钟后到"}},
		{[]string{"streets", "rename", "110101001", "--name", "东华门街道"}, http.MethodPatch, "/v1/streets/110101001", nil,
			map[string]any{"id": "110101001", "name": "东华门街道"}},
		{[]string{"streets", "locate", "--street", "110101001", "--lat", "39.93", "--lng", "116.392"}, http.MethodPost, "/v1/streets/110101001:locate", nil,
			map[string]any{"street_id": "110101001", "location": map[string]any{"lat": 39.93, "lng": 116.392}}},
		{[]string{"reports", "file", "--street", "110101001", "--category", "garbage", "--description", "垃圾", "--lat", "39.9", "--lng", "116.4"},
			http.MethodPost, "/v1/discovery/reports", nil, map[string]any{"street_id": "110101001", "category": "garbage", "description": "垃圾",
				"location": map[string]any{"lat": 39.9, "lng": 116.4}}},
		{[]string{"channels", "list", "--district", "110101"}, http.MethodGet, "/v1/channels", map[string][]string{"district_id": {"110101"}}, nil},
		{[]string{"channels", "add", "--department", "police", "--district", "110101", "--kind", "tencent-sms"}, http.MethodPost, "/v1/channels", nil,
			map[string]any{"department": "police", "district_id": "110101", "kind": "tencent-sms"}},
		{[]string{"channels", "update", "7", "--disable"}, http.MethodPatch, "/v1/channels/7", nil, map[string]any{"enabled": false}},
		{[]string{"channels", "delete", "7"}, http.MethodDelete, "/v1/channels/7", nil, nil},
		{[]string{"grants", "list"}, http.MethodGet, "/v1/admin/grants", nil, nil},
		{[]string{"report", "whistle", "w-1"}, http.MethodGet, "/v1/whistles/w-1/report", nil, nil},
		{[]string{"report", "weights", "set", "2026-12", "--arrival", "0.5", "--resolution", "0.5"}, http.MethodPut, "/v1/reports/weights/2026-12", nil,
			map[string]any{"arrival": 0.5, "resolution": 0.5}},
		{[]string{"grants", "set", "u-1", "--role", "desk", "--department", "police", "--district", "110101"}, http.MethodPut, "/v1/admin/grants/u-1", nil,
			map[string]any{"role": "desk", "department": "police", "district_id": "110101"}},
		{[]string{"grants", "revoke", "u-1"}, http.MethodDelete, "/v1/admin/grants/u-1", nil, nil},
	} {
		code, _, errOut := run(t, env, tc.args...)
		require.Equal(t, 0, code, "%v: %s", tc.args, errOut)
		req := fake.last(t)
		require.Equal(t, tc.method, req.Method, tc.args)
		require.Equal(t, tc.path, req.Path, tc.args)
		for k, v := range tc.query {
			require.Equal(t, v, req.Query[k], "%v: query %s", tc.args, k)
		}
		require.Equal(t, tc.body, req.Body, tc.args)
	}
	calls := len(fake.seen)

	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"merge", "w-1"}, `"into" not set`},
		{[]string{"merge", "w-1", "--into", "w-1"}, "--into must name another whistle"},
		{[]string{"add-department", "w-1"}, `"department" not set`},
		{[]string{"extension", "request", "d-1", "--clock", "lunch", "--until", "2026-11-28 18:00", "--reason", "x"}, `--clock "lunch": must be ack, arrive or resolve`},
		{[]string{"extension", "request", "d-1", "--clock", "ack", "--until", "tomorrow", "--reason", "x"}, `--until "tomorrow"`},
		{[]string{"extension", "decide", "d-1", "x-1"}, "one of --approve or --reject"},
		{[]string{"extension", "decide", "d-1", "x-1", "--approve", "--reject"}, "[approve reject] were all set"},
		{[]string{"appeal", "file", "d-1", "--clock", "ack", "--code", "busy", "--reason", "x"}, `--code "busy": must be force_majeure`},
		{[]string{"appeal", "list", "--status", "lost"}, "--status \"lost\": must be one of ACCEPTED, PENDING, REJECTED"},
		{[]string{"appeal", "decide", "a-1"}, "one of --accept or --reject"},
		{[]string{"report", "scorecards", "--by", "colour"}, "--by \"colour\": must be one of DEPARTMENT, STREET"},
		{[]string{"report", "scorecards", "--to", "soon"}, `--to "soon"`},
		{[]string{"report", "hotspots", "--from", "July"}, `--from "July": use a month`},
		{[]string{"report", "hotspots", "--order", "loudest"}, `--order "loudest": must be one of total, rising`},
		{[]string{"report", "monthly", "--month", "November"}, `--month "November": use a month`},
		{[]string{"report", "monthly", "--month", "2026-11", "--format", "doc"}, `--format "doc": must be html or pdf`},
		{[]string{"report", "monthly", "--month", "2026-11", "--department", "police"}, "--department and --street need --format pdf"},
		{[]string{"sla", "policies", "set", "--arrive", "30m"}, `"category" not set`},
		{[]string{"sla", "policies", "set", "--category", "noise", "--arrive", "half an hour"}, `invalid argument "half an hour" for "--arrive"`},
		{[]string{"sla", "policies", "set", "--category", "noise", "--ack", "-5m"}, "--ack -5m0s: must not be negative"},
		{[]string{"sla", "calendar", "set", "2027-02-30", "--kind", "holiday"}, `DATE "2027-02-30": use a date`},
		{[]string{"sla", "calendar", "set", "2027-02-06", "--kind", "festival"}, "--kind \"festival\": must be one of HOLIDAY, WORKDAY"},
		{[]string{"sla", "calendar", "delete", "someday"}, `DATE "someday"`},
		{[]string{"departments", "save", "water-affairs"}, `"name" not set`},
		{[]string{"board", "note", "w-1"}, `"text" not set`},
		{[]string{"channels", "add", "--department", "police", "--district", "110101", "--kind", "pager"}, `--kind "pager": must be aliyun-sms`},
		{[]string{"channels", "update", "seven", "--enable"}, `CHANNEL_ID "seven": must be a number`},
		{[]string{"channels", "update", "7"}, "nothing to change"},
		{[]string{"grants", "set", "u-1"}, `"role" not set`},
		{[]string{"report", "weights", "set", "December", "--arrival", "1"}, `MONTH "December": use a month`},
		{[]string{"report", "weights", "set", "2026-12", "--arrival", "-1"}, "--arrival -1: must not be negative"},
		{[]string{"risk", "--within", "-5"}, "--within and --limit must not be negative"},
		{[]string{"eta", "show"}, "requires at least 1 arg"},
		{[]string{"eta", "set", "d-1"}, `"at" not set`},
		{[]string{"eta", "set", "d-1", "--at", "soon"}, `--at "soon": use "2026-11-27 08:00" (Asia/Shanghai)`},
		{[]string{"attach", "w-1", "photo.jpg", "--stage", "later"}, `--stage "later": must be raise, arrival or resolution`},
		{[]string{"attach", "w-1", "no-such-photo.jpg", "--stage", "raise"}, "no-such-photo.jpg"},
		{[]string{"streets", "locate", "--lat", "39.9", "--lng", "116.4"}, "--street is required"},
		{[]string{"streets", "rename", "110101001"}, `"name" not set`},
		{[]string{"reports", "file", "--street", "110101001", "--category", "garbage", "--description", "d", "--lat", "1", "--lng", "2", "--photo", "nope.jpg"}, "--photo: open nope.jpg"},
	} {
		code, _, errOut := run(t, env, tc.args...)
		require.Equal(t, 1, code, tc.args)
		require.Contains(t, errOut, tc.want, tc.args)
	}
	fake.mu.Lock()
	defer fake.mu.Unlock()
	require.Len(t, fake.seen, calls, "bad input never reaches the gateway")
}
