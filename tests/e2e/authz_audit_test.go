package e2e_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/chuishao/whistle/platform/auth"
	"github.com/chuishao/whistle/platform/service"
)

// TestAdminActionsAreAuditedInAChainedTimeline: a supervisor's changes to a
// webhook endpoint (creation, secret rotation) are recorded by the feedback
// service in the district's audit chain — actor, time, method and request,
// secret redacted — which that district's and the city's supervisors read
// and `audit verify` checks; other districts and the desks cannot read it.
func TestAdminActionsAreAuditedInAChainedTimeline(t *testing.T) {
	t.Parallel()
	s := startSystem(t, options{})
	sup := supervisorToken(t, s, dongcheng)
	const secret, rotated = "audit-test-secret-4f1c2b", "audit-test-secret-rotated-77ad"

	created := s.do(t, http.MethodPost, "/v1/webhooks/endpoints", sup, map[string]any{
		"department": "police", "district_id": dongcheng, "url": "https://police.invalid/whistle", "secret": secret})
	require.Equal(t, http.StatusOK, created.status, created.raw)
	endpointID := str(created.body["id"])
	r := s.do(t, http.MethodPatch, "/v1/webhooks/endpoints/"+endpointID, sup, map[string]any{"secret": rotated})
	require.Equal(t, http.StatusOK, r.status, r.raw)
	// A refused action is no admin action: nothing is recorded for it.
	r = s.do(t, http.MethodPost, "/v1/webhooks/endpoints", sup, map[string]any{
		"department": "police", "district_id": dongcheng, "url": "ftp://x", "secret": "short"})
	require.Equal(t, http.StatusBadRequest, r.status, r.raw)

	chain := "/v1/whistles/" + service.AuditChain(dongcheng) + "/timeline"
	var entries []any
	eventually(t, "two audited admin actions", func() bool {
		tl := s.do(t, http.MethodGet, chain, sup, nil)
		entries = list(tl.body["entries"])
		return tl.status == http.StatusOK && len(entries) == 2
	})
	for i, method := range []string{"CreateWebhookEndpoint", "UpdateWebhookEndpoint"} {
		e := obj(entries[i])
		require.Equal(t, "admin.response", str(e["type"]))
		require.Equal(t, auth.RoleSupervisor, str(obj(e["actor"])["role"]))
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

	// The city's supervisor reads it too; another district's supervisor and
	// the district's desks do not even learn that it exists.
	city := s.token(t, auth.Identity{Role: auth.RoleSupervisor, Subject: "supervisor-city"})
	require.Equal(t, http.StatusOK, s.do(t, http.MethodGet, chain, city, nil).status)
	for _, tok := range []string{supervisorToken(t, s, chaoyang), deskToken(t, s, dongcheng, "police")} {
		require.Equal(t, http.StatusNotFound, s.do(t, http.MethodGet, chain, tok, nil).status)
	}

	// The audit chain is verified with the whistles' timelines.
	v := s.do(t, http.MethodPost, "/v1/audit:verify", sup, map[string]any{"whistle_id": service.AuditChain(dongcheng)})
	require.Equal(t, http.StatusOK, v.status, v.raw)
	require.Equal(t, true, v.body["ok"], v.raw)
	require.Equal(t, "2", v.body["entries_checked"], v.raw) // int64 in JSON is a string
	all := s.do(t, http.MethodPost, "/v1/audit:verify", sup, map[string]any{})
	require.Equal(t, http.StatusOK, all.status, all.raw)
	require.Equal(t, "2", all.body["entries_checked"], "verifying the whole scope covers the audit chain: %s", all.raw)
}
