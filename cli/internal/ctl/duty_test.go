package ctl_test

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestRosterAddReadsBeijingTimes(t *testing.T) {
	t.Parallel()
	fake, url := startFake(t, http.StatusOK, `{"id": "s-1", "department": "police", "district_id": "110101", "seat": "值班长",
		"person": "张三", "starts_at": "2026-11-27T00:00:00Z", "ends_at": "2026-11-27T12:00:00Z"}`)
	env := map[string]string{"WHISTLE_URL": url, "WHISTLE_TOKEN": "admin"}
	code, out, errOut := run(t, env, "roster", "add", "--department", "police", "--district", "110101", "--seat", "值班长",
		"--person", "张三", "--from", "2026-11-27 08:00", "--to", "2026-11-27 20:00")
	require.Equal(t, 0, code, errOut)
	req := fake.last(t)
	require.Equal(t, "/v1/roster/shifts", req.Path)
	require.Equal(t, "2026-11-27T00:00:00Z", req.Body["starts_at"], "08:00 in Beijing")
	require.Equal(t, "2026-11-27T12:00:00Z", req.Body["ends_at"])
	require.Contains(t, out, "2026-11-27 08:00", "shown in Beijing time")

	code, _, errOut = run(t, env, "roster", "add", "--person", "张三", "--from", "tomorrow")
	require.Equal(t, 1, code)
	require.Contains(t, errOut, "Asia/Shanghai")
}

func TestServiceAccountsAndEndpointsCallTheirRoutes(t *testing.T) {
	t.Parallel()
	fake, url := startFake(t, http.StatusOK, `{}`)
	env := map[string]string{"WHISTLE_URL": url, "WHISTLE_TOKEN": "admin"}
	for _, tc := range []struct {
		args         []string
		method, path string
	}{
		{[]string{"service-accounts", "create", "--name", "110指挥系统", "--department", "police", "--district", "110101", "--ttl", "720h"}, http.MethodPost, "/v1/service-accounts"},
		{[]string{"tokens", "revoke", "sa-1"}, http.MethodPost, "/v1/service-accounts/sa-1:revoke"},
		{[]string{"service-accounts", "list"}, http.MethodGet, "/v1/service-accounts"},
		{[]string{"endpoints", "list", "--district", "110101"}, http.MethodGet, "/v1/webhooks/endpoints"},
		{[]string{"endpoints", "update", "7", "--enabled", "false"}, http.MethodPatch, "/v1/webhooks/endpoints/7"},
		{[]string{"endpoints", "delete", "7"}, http.MethodDelete, "/v1/webhooks/endpoints/7"},
		{[]string{"roster", "heartbeat", "--desk", "console"}, http.MethodPost, "/v1/desk/heartbeat"},
		{[]string{"roster", "desks"}, http.MethodGet, "/v1/desk/heartbeats"},
	} {
		code, _, errOut := run(t, env, tc.args...)
		require.Equal(t, 0, code, "%v: %s", tc.args, errOut)
		req := fake.last(t)
		require.Equal(t, tc.method, req.Method, tc.args)
		require.Equal(t, tc.path, req.Path, tc.args)
	}
	fake.mu.Lock()
	defer fake.mu.Unlock()
	require.Equal(t, map[string]any{"enabled": false}, fake.seen[4].Body)
	require.Equal(t, "2592000s", fake.seen[0].Body["ttl"])
}
