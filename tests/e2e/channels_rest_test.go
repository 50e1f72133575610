package e2e_test

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/chuishao/whistle/platform/auth"
	"github.com/chuishao/whistle/platform/service"
)

// TestChannelsAreManagedInTheProductWithTheirKeysWriteOnly: through the
// REST API an admin adds a desk's 企业微信 robot and the supervisors' SMS,
// turns the robot off; no answer carries the robot's key, a supervisor's
// change is refused, and every change is on the admin audit chain with the
// robot URL redacted.
func TestChannelsAreManagedInTheProductWithTheirKeysWriteOnly(t *testing.T) {
	t.Parallel()
	s := startSystem(t, options{})
	admin := adminToken(t, s)
	const key = "wecom-robot-key-3b9f1e"
	robotURL := "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=" + key

	robot := s.do(t, http.MethodPost, "/v1/channels", admin, map[string]any{
		"department": "police", "district_id": dongcheng, "kind": "wecom", "robot_url": robotURL})
	require.Equal(t, http.StatusOK, robot.status, robot.raw)
	require.Equal(t, "https://qyapi.weixin.qq.com/cgi-bin/webhook/send", str(robot.body["target"]))
	require.NotContains(t, robot.raw, key)
	sms := s.do(t, http.MethodPost, "/v1/channels", admin, map[string]any{"department": "supervisor", "district_id": dongcheng, "kind": "tencent-sms"})
	require.Equal(t, http.StatusOK, sms.status, sms.raw)
	bad := s.do(t, http.MethodPost, "/v1/channels", admin, map[string]any{"department": "police", "district_id": dongcheng, "kind": "pager"})
	require.Equal(t, http.StatusBadRequest, bad.status, bad.raw)
	require.Contains(t, bad.raw, `"field":"kind"`)

	off := s.do(t, http.MethodPatch, "/v1/channels/"+str(robot.body["id"]), admin, map[string]any{"enabled": false})
	require.Equal(t, http.StatusOK, off.status, off.raw)
	require.NotEqual(t, true, off.body["enabled"], "disabled")
	sup := supervisorToken(t, s, dongcheng)
	refused := s.do(t, http.MethodPatch, "/v1/channels/"+str(robot.body["id"]), sup, map[string]any{"enabled": true})
	require.Equal(t, http.StatusForbidden, refused.status, refused.raw)
	listed := s.do(t, http.MethodGet, "/v1/channels", sup, nil)
	require.Equal(t, http.StatusOK, listed.status, listed.raw)
	require.Len(t, list(listed.body["channels"]), 2)
	require.NotContains(t, listed.raw, key, "the robot URL is write-only")

	city := s.token(t, auth.Identity{Role: auth.RoleSupervisor, Subject: "supervisor-city"})
	entries := cityAuditEntries(t, s, city, 3) // two creations and the change
	require.Contains(t, str(obj(obj(entries[0])["data"])["method"]), "/CreateChannel")
	require.Contains(t, str(obj(obj(entries[0])["data"])["request_json"]), `"robot_url":"[redacted]"`)
	require.Contains(t, str(obj(obj(entries[2])["data"])["method"]), "/UpdateChannel")
	require.NotContains(t, s.do(t, http.MethodGet, "/v1/whistles/"+service.AuditChain("")+"/timeline", city, nil).raw, key)
}
