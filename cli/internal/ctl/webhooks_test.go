package ctl_test

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestDispatchShowsReturnCodeAndOnDuty(t *testing.T) {
	t.Parallel()
	_, url := startFake(t, http.StatusOK, `{"id": "d-1", "whistle_id": "w-1", "district_id": "110101", "department": "police",
		"status": "RETURNED", "returned_at": "2026-03-02T01:10:00Z", "return_reason": "违建属住建",
		"return_code": "NEEDS_ANOTHER_DEPARTMENT", "return_department": "housing",
		"on_duty": [{"id": "s-1", "seat": "值班长", "person": "张三", "phone": "13800000000"}, {"id": "s-2", "seat": "desk-1", "person": "李四"}]}`)
	env := map[string]string{"WHISTLE_URL": url, "WHISTLE_TOKEN": "desk"}
	code, out, errOut := run(t, env, "return", "d-1", "--reason", "违建属住建", "--code", "needs_another_department", "--department", "housing")
	require.Equal(t, 0, code, errOut)
	require.Regexp(t, `RETURN CODE\s+NEEDS_ANOTHER_DEPARTMENT 需其他部门 → housing`, out)
	require.Regexp(t, `ON DUTY\s+值班长 张三 13800000000; desk-1 李四`, out)

	_, url = startFake(t, http.StatusOK, dispatchJSON)
	code, out, errOut = run(t, map[string]string{"WHISTLE_URL": url, "WHISTLE_TOKEN": "desk"}, "ack", "d-1")
	require.Equal(t, 0, code, errOut)
	require.Regexp(t, `ON DUTY\s+无人值班`, out, "an empty roster says so")
	require.NotContains(t, out, "RETURN CODE", "not returned")
}

func TestDeadLettersAndDeliveries(t *testing.T) {
	t.Parallel()
	fake, url := startFake(t, http.StatusOK, `{"dead_letters": [{"id": "dl-1", "event_name": "dispatch.created",
		"dispatch_id": "d-1", "department": "police", "district_id": "110101", "url": "https://110.example/whistle",
		"attempts": 8, "last_status_code": 503, "last_error": "503 Service Unavailable", "created_at": "2026-11-27T01:00:00Z"}],
		"attempts": [{"delivery_id": "dl-1", "event_name": "dispatch.created", "url": "https://110.example/whistle",
		"status": "dead", "attempt": 8, "attempted_at": "2026-11-27T01:02:03Z", "status_code": 0, "error": "connection refused"}]}`)
	env := map[string]string{"WHISTLE_URL": url, "WHISTLE_TOKEN": "supervisor"}

	code, out, errOut := run(t, env, "deadletters", "list", "--district", "110101", "--limit", "5")
	require.Equal(t, 0, code, errOut)
	req := fake.last(t)
	require.Equal(t, http.MethodGet, req.Method)
	require.Equal(t, "/v1/webhooks/dead-letters", req.Path)
	require.Equal(t, []string{"110101"}, req.Query["district_id"])
	require.Equal(t, []string{"5"}, req.Query["page_size"])
	require.Regexp(t, `dl-1\s+dispatch.created\s+d-1\s+police\s+110101\s+https://110.example/whistle\s+8\s+503\s+503 Service Unavailable\s+2026-11-27 09:00`, out)

	code, out, errOut = run(t, env, "dead-letters", "replay", "dl-1")
	require.Equal(t, 0, code, errOut)
	req = fake.last(t)
	require.Equal(t, http.MethodPost, req.Method)
	require.Equal(t, "/v1/webhooks/dead-letters/dl-1:replay", req.Path)
	require.Contains(t, out, "queued again: dl-1")

	code, out, errOut = run(t, env, "deliveries", "d-1")
	require.Equal(t, 0, code, errOut)
	req = fake.last(t)
	require.Equal(t, http.MethodGet, req.Method)
	require.Equal(t, "/v1/dispatches/d-1/webhook-attempts", req.Path)
	require.Regexp(t, `dl-1\s+dispatch.created\s+https://110.example/whistle\s+dead\s+8\s+2026-11-27 09:02:03\s+-\s+connection refused`, out,
		"Beijing time to the second; no answer is -")

	code, _, errOut = run(t, env, "deliveries")
	require.Equal(t, 1, code)
	require.Contains(t, errOut, "accepts 1 arg")
}
