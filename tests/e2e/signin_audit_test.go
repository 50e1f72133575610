package e2e_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/chuishao/whistle/platform/auth"
	"github.com/chuishao/whistle/platform/service"
)

// TestGrantsAndRevocationsAreOnTheAdminAuditChain: an admin signed in
// through the provider grants a role and revokes it; both are on the city's
// admin audit chain beside the services' admin actions — who (the admin's
// subject), when, what (role and scope) and to whom — and the chain verifies.
func TestGrantsAndRevocationsAreOnTheAdminAuditChain(t *testing.T) {
	t.Parallel()
	s, _ := startSignInSystem(t)
	admin := newBrowser(t, s)
	admin.signIn("admin")
	code, body := admin.do(http.MethodPut, "/v1/admin/grants/u-newcomer", `{"name":"新同事","role":"desk","department":"police","district_id":"110101"}`)
	require.Equal(t, http.StatusOK, code, body)
	code, body = admin.do(http.MethodDelete, "/v1/admin/grants/u-newcomer", "")
	require.Equal(t, http.StatusOK, code, body)

	sup := s.token(t, auth.Identity{Role: auth.RoleSupervisor, Subject: "supervisor-city"})
	entries := cityAuditEntries(t, s, sup, 2) // the grant and the revocation
	for i, method := range []string{"PUT /v1/admin/grants/{subject}", "DELETE /v1/admin/grants/{subject}"} {
		e := obj(entries[i])
		require.Equal(t, "admin.gateway", str(e["type"]))
		require.Equal(t, auth.RoleAdmin, str(obj(e["actor"])["role"]))
		require.Equal(t, "oidc:u-admin", str(obj(e["actor"])["id"]), "who")
		require.Equal(t, t0.UTC(), parseTime(t, e["at"]).UTC(), "when")
		data := obj(e["data"])
		require.Equal(t, method, str(data["method"]))
		require.Equal(t, "u-newcomer", str(data["object_id"]), "to whom")
		if i == 0 {
			require.True(t, strings.Contains(str(data["request_json"]), `"role":"desk"`) &&
				strings.Contains(str(data["request_json"]), `"department":"police"`), "what: %v", data)
		} else {
			require.Contains(t, str(data["request_json"]), `"revoked":true`)
		}
	}
	v := s.do(t, http.MethodPost, "/v1/audit:verify", sup, map[string]any{"whistle_id": service.AuditChain("")})
	require.Equal(t, http.StatusOK, v.status, v.raw)
	require.Equal(t, true, v.body["ok"], v.raw)
}
