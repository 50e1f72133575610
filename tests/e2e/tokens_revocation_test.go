package e2e_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/chuishao/whistle/platform/auth"
)

// saRoute is a REST call a police service account of 东城区 may make.
type saRoute struct {
	name, method, path string
	body               any
}

// TestARevokedServiceAccountIsRefusedEverywhere: a service account's token
// reads the whistle, its timeline and report, lists and files appeals, works
// the queue and follows the live stream; once an admin revokes the account,
// every one of those routes answers 401 (not only response's), the open stream
// ends and a new one is refused.
func TestARevokedServiceAccountIsRefusedEverywhere(t *testing.T) {
	t.Parallel()
	s := startSystem(t, options{})
	accountID, token := serviceAccount(t, s, "110指挥系统", "police", dongcheng)
	whistleID, w := raise(t, s, donghuamen, "joint-enforcement", 3)
	police := dispatchOf(t, w, "police")
	appeal := map[string]any{"dispatch_id": str(police["id"]), "clock": "ack", "reason_code": "other", "reason": "系统故障未能及时签收"}
	routes := []saRoute{
		{"whistle", http.MethodGet, "/v1/whistles/" + whistleID, nil},
		{"timeline", http.MethodGet, "/v1/whistles/" + whistleID + "/timeline", nil},
		{"report", http.MethodGet, "/v1/whistles/" + whistleID + "/report", nil},
		{"appeals", http.MethodGet, "/v1/appeals", nil},
		{"file appeal", http.MethodPost, "/v1/appeals", appeal},
		{"queue", http.MethodGet, "/v1/dispatches", nil},
		{"heartbeat", http.MethodPost, "/v1/desk/heartbeat", map[string]any{}},
	}

	// Before: the acknowledgement clock breaches, so the account may appeal; every route answers.
	s.clock.Advance(parseTime(t, obj(police["deadlines"])["ack_by"]).Sub(s.clock.Now()))
	eventually(t, "the breach appealed by the service account", func() bool {
		s.clock.Advance(10 * time.Second) // small steps: a poller may have just gone to sleep
		return s.do(t, http.MethodPost, "/v1/appeals", token, appeal).status == http.StatusOK
	})
	for _, r := range routes {
		eventually(t, r.name+" answers the service account", func() bool {
			return s.do(t, r.method, r.path, token, r.body).status == http.StatusOK
		})
	}
	stream := openStream(t, s, token, "")

	r := s.do(t, http.MethodPost, "/v1/service-accounts/"+accountID+":revoke", adminToken(t, s), map[string]any{})
	require.Equal(t, http.StatusOK, r.status, r.raw)

	// The open stream ends at once (not at its next keepalive).
	stream.until(t, 10*time.Second, func(ev sseEvent) bool { return ev.name == "stream.expired" })
	for _, r := range routes {
		eventually(t, r.name+" refuses the revoked account", func() bool {
			return s.do(t, r.method, r.path, token, r.body).status == http.StatusUnauthorized
		})
	}
	refused, _, _ := streamStatus(t, s, token)
	require.Equal(t, http.StatusUnauthorized, refused)

	// Another account of the same desk is not affected.
	_, other := serviceAccount(t, s, "110指挥系统-备", "police", dongcheng)
	eventually(t, "another account still works", func() bool {
		return s.do(t, http.MethodGet, "/v1/whistles/"+whistleID, other, nil).status == http.StatusOK
	})
}

// TestSupervisorsAuditDesksButDoNotActAsThem: only an admin issues a desk's
// service account; a supervisor (of the district or the city) is refused, and
// a supervisor's own token cannot work a dispatch.
func TestSupervisorsAuditDesksButDoNotActAsThem(t *testing.T) {
	t.Parallel()
	s := startSystem(t, options{})
	_, w := raise(t, s, donghuamen, "joint-enforcement", 3)
	policeID := str(dispatchOf(t, w, "police")["id"])
	account := map[string]any{"name": "110指挥系统", "department": "police", "district_id": dongcheng}
	for _, sup := range []string{supervisorToken(t, s, dongcheng), s.token(t, auth.Identity{Role: auth.RoleSupervisor, Subject: "supervisor-city"})} {
		r := s.do(t, http.MethodPost, "/v1/service-accounts", sup, account)
		require.Equal(t, http.StatusForbidden, r.status, r.raw)
		require.NotContains(t, r.raw, "token\"")
		for action, body := range map[string]any{"acknowledge": map[string]any{}, "resolve": map[string]any{"summary": "已处理"}} {
			r = s.do(t, http.MethodPost, "/v1/dispatches/"+policeID+":"+action, sup, body)
			require.Equal(t, http.StatusForbidden, r.status, r.raw)
		}
		// Auditing stays theirs: they list the accounts of their scope.
		require.Equal(t, http.StatusOK, s.do(t, http.MethodGet, "/v1/service-accounts", sup, nil).status)
	}
	_, token := serviceAccount(t, s, "110指挥系统", "police", dongcheng) // the admin may
	r := s.do(t, http.MethodPost, "/v1/dispatches/"+policeID+":acknowledge", token, map[string]any{})
	require.Equal(t, http.StatusOK, r.status, r.raw)
}

// TestSigningKeysSignOnlyWhatTheyMay: the Open311 key signs street
// identities and its public reader, never an admin or a desk; the
// service-account key signs only service accounts' desk tokens; a token for
// another issuer is refused (every backend method: TestEveryGRPCMethodRefusesBadTokens).
func TestSigningKeysSignOnlyWhatTheyMay(t *testing.T) {
	t.Parallel()
	s := startSystem(t, options{})
	sign := func(signer *auth.Signer, id auth.Identity) string {
		tok, err := signer.Sign(id, s.clock.Now(), time.Hour)
		require.NoError(t, err)
		return tok
	}
	admin := auth.Identity{Role: auth.RoleAdmin, Subject: "admin"}
	open311Admin := sign(s.open311Signer, admin)
	r := s.do(t, http.MethodGet, "/v1/service-accounts", open311Admin, nil)
	require.Equal(t, http.StatusUnauthorized, r.status, r.raw)
	require.Contains(t, r.raw, "may not sign")
	open311Desk := sign(s.open311Signer, auth.Identity{Role: auth.RoleDesk, Subject: "sa:x", Department: "police", DistrictID: dongcheng})
	require.Equal(t, http.StatusUnauthorized, s.do(t, http.MethodGet, "/v1/dispatches", open311Desk, nil).status)
	refused, _, _ := streamStatus(t, s, open311Admin)
	require.Equal(t, http.StatusUnauthorized, refused)
	// Its street identities still work (Open311 raises whistles as the bound street).
	street := sign(s.open311Signer, auth.Identity{Role: auth.RoleStreet, Subject: "open311-client", StreetID: donghuamen, DistrictID: dongcheng})
	require.Equal(t, http.StatusOK, s.do(t, http.MethodGet, "/v1/whistles?street_id="+donghuamen, street, nil).status)

	wrongIssuer := signClaims(t, s, admin, func(c *auth.Claims) { c.Issuer = "https://somebody-else.example" })
	require.Equal(t, http.StatusUnauthorized, s.do(t, http.MethodGet, "/v1/service-accounts", wrongIssuer, nil).status)

}

// TestAConfiguredIssuerIsWhatEverySignerWrites: with WHISTLE_JWT_ISSUER set
// to a production issuer, the tokens Whistle signs itself — dev sign-in,
// service accounts, Open311's — name it and are accepted, while a token for
// the dev issuer is refused.
func TestAConfiguredIssuerIsWhatEverySignerWrites(t *testing.T) {
	t.Parallel()
	const issuer = "https://id.beijing.example.gov.cn"
	s := startSystem(t, options{issuer: issuer})
	_, token := serviceAccount(t, s, "110指挥系统", "police", dongcheng)
	eventually(t, "the service account works", func() bool {
		return s.do(t, http.MethodGet, "/v1/dispatches", token, nil).status == http.StatusOK
	})
	open311, err := http.Get(s.url + "/open311/v2/requests.json") // read with the Open311 key's reader token
	require.NoError(t, err)
	_ = open311.Body.Close()
	require.Equal(t, http.StatusOK, open311.StatusCode)
	dev := s.do(t, http.MethodPost, "/v1/dev/tokens", "", map[string]any{"role": "supervisor", "district_id": dongcheng})
	require.Equal(t, http.StatusOK, dev.status, dev.raw)
	require.Equal(t, http.StatusOK, s.do(t, http.MethodGet, "/v1/dispatches", str(dev.body["token"]), nil).status)

	devIssuer, err := s.signer.WithIssuer(auth.Issuer).Sign(auth.Identity{Role: auth.RoleAdmin, Subject: "admin"}, s.clock.Now(), time.Hour)
	require.NoError(t, err)
	require.Equal(t, http.StatusUnauthorized, s.do(t, http.MethodGet, "/v1/service-accounts", devIssuer, nil).status)
}

// refusedTokens are the tokens every gRPC method of every service must refuse
// beside matrixTokens' bad ones: a revoked service account's, an admin's
// signed by the Open311 key, and one for another issuer.
func refusedTokens(t *testing.T, s *system) map[string]string {
	t.Helper()
	accountID, revoked := serviceAccount(t, s, "110指挥系统", "police", dongcheng)
	r := s.do(t, http.MethodPost, "/v1/service-accounts/"+accountID+":revoke", adminToken(t, s), map[string]any{})
	require.Equal(t, http.StatusOK, r.status, r.raw)
	// Each backend learns of the revocation on its own: wait for all of them
	// (a route of each: intake, response, feedback, routing).
	for _, path := range []string{"/v1/whistles?street_id=" + donghuamen, "/v1/dispatches", "/v1/appeals", "/v1/catalogue"} {
		eventually(t, "the revocation reaches the backend of "+path, func() bool {
			return s.do(t, http.MethodGet, path, revoked, nil).status == http.StatusUnauthorized
		})
	}
	open311Admin, err := s.open311Signer.Sign(auth.Identity{Role: auth.RoleAdmin, Subject: "admin"}, s.clock.Now(), time.Hour)
	require.NoError(t, err)
	return map[string]string{
		"revoked-service-account": revoked,
		"open311-key-admin":       open311Admin,
		"wrong-issuer": signClaims(t, s, auth.Identity{Role: auth.RoleAdmin, Subject: "admin"},
			func(c *auth.Claims) { c.Issuer = "https://somebody-else.example" }),
	}
}
