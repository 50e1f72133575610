package e2e_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/chuishao/whistle/platform/auth"
	"github.com/chuishao/whistle/platform/service"
)

// TestAdminActionsAreAuditedInAChainedTimeline: an admin's changes to a
// webhook endpoint (creation, secret rotation) are recorded by the feedback
// service in the city's audit chain (the admin belongs to no district) —
// actor, time, method and request, secret redacted — which the city's
// supervisors read and `audit verify` checks; district supervisors and the
// desks cannot read it.
func TestAdminActionsAreAuditedInAChainedTimeline(t *testing.T) {
	t.Parallel()
	s := startSystem(t, options{})
	admin := adminToken(t, s)
	sup := s.token(t, auth.Identity{Role: auth.RoleSupervisor, Subject: "supervisor-city"})
	const secret, rotated = "audit-test-secret-4f1c2b", "audit-test-secret-rotated-77ad"

	created := s.do(t, http.MethodPost, "/v1/webhooks/endpoints", admin, map[string]any{
		"department": "police", "district_id": dongcheng, "url": "https://police.invalid/whistle", "secret": secret})
	require.Equal(t, http.StatusOK, created.status, created.raw)
	endpointID := str(created.body["id"])
	r := s.do(t, http.MethodPatch, "/v1/webhooks/endpoints/"+endpointID, admin, map[string]any{"secret": rotated})
	require.Equal(t, http.StatusOK, r.status, r.raw)
	// A refused action is no admin action: nothing is recorded for it.
	r = s.do(t, http.MethodPost, "/v1/webhooks/endpoints", admin, map[string]any{
		"department": "police", "district_id": dongcheng, "url": "ftp://x", "secret": "short"})
	require.Equal(t, http.StatusBadRequest, r.status, r.raw)

	chain := "/v1/whistles/" + service.AuditChain("") + "/timeline"
	entries := cityAuditEntries(t, s, sup, 2)
	for i, method := range []string{"CreateWebhookEndpoint", "UpdateWebhookEndpoint"} {
		e := obj(entries[i])
		require.Equal(t, "admin.response", str(e["type"]))
		require.Equal(t, auth.RoleAdmin, str(obj(e["actor"])["role"]))
		require.NotEmpty(t, str(obj(e["actor"])["id"]))
		require.Equal(t, t0.UTC(), parseTime(t, e["at"]).UTC())
		data := obj(e["data"])
		require.True(t, strings.HasSuffix(str(data["method"]), "/"+method), "%v", data)
		require.Equal(t, endpointID, str(data["object_id"]))
		require.Contains(t, str(data["request_json"]), `"secret":"[redacted]"`)
	}
	require.Contains(t, str(obj(obj(entries[0])["data"])["request_json"]), `"department":"police"`, "what was created")
	raw := s.do(t, http.MethodGet, chain, sup, nil).raw
	require.NotContains(t, raw, secret)
	require.NotContains(t, raw, rotated)

	// District supervisors and desks do not even learn that it exists.
	for _, tok := range []string{supervisorToken(t, s, dongcheng), supervisorToken(t, s, chaoyang), deskToken(t, s, dongcheng, "police")} {
		require.Equal(t, http.StatusNotFound, s.do(t, http.MethodGet, chain, tok, nil).status)
	}

	// The audit chain is verified with the whistles' timelines.
	v := s.do(t, http.MethodPost, "/v1/audit:verify", sup, map[string]any{"whistle_id": service.AuditChain("")})
	require.Equal(t, http.StatusOK, v.status, v.raw)
	require.Equal(t, true, v.body["ok"], v.raw)
	require.Equal(t, "2", v.body["entries_checked"], v.raw) // int64 in JSON is a string
	all := s.do(t, http.MethodPost, "/v1/audit:verify", sup, map[string]any{})
	require.Equal(t, http.StatusOK, all.status, all.raw)
	require.Equal(t, "2", all.body["entries_checked"], "verifying the whole scope covers the audit chain: %s", all.raw)
}

// cityAuditEntries waits until the city's audit chain, read with tok, has n
// entries, and returns them.
func cityAuditEntries(t *testing.T, s *system, tok string, n int) []any {
	t.Helper()
	chain := "/v1/whistles/" + service.AuditChain("") + "/timeline"
	var entries []any
	eventually(t, fmt.Sprintf("%d audited admin actions", n), func() bool {
		tl := s.do(t, http.MethodGet, chain, tok, nil)
		entries = list(tl.body["entries"])
		return tl.status == http.StatusOK && len(entries) == n
	})
	return entries
}
