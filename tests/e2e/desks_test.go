package e2e_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// serviceAccount issues a service account over REST as the admin and returns its id and token.
func serviceAccount(t *testing.T, s *system, name, department, district string) (string, string) {
	t.Helper()
	r := s.do(t, http.MethodPost, "/v1/service-accounts", adminToken(t, s), map[string]any{
		"name": name, "department": department, "district_id": district,
	})
	require.Equal(t, http.StatusOK, r.status, r.raw)
	require.NotEmpty(t, r.body["token"])
	return str(obj(r.body["account"])["id"]), str(r.body["token"])
}

// TestAnIntegrationWorksItsDispatchesWithAServiceAccount: a department's own
// system acknowledges, arrives and resolves through the desks' REST contract
// with a token scoped to its department and district; it sees nothing else,
// and once revoked the token stops working at once.
func TestAnIntegrationWorksItsDispatchesWithAServiceAccount(t *testing.T) {
	t.Parallel()
	s := startSystem(t, options{})
	accountID, token := serviceAccount(t, s, "110指挥系统", "police", dongcheng)
	_, chaoyangToken := serviceAccount(t, s, "朝阳110", "police", chaoyang)

	_, w := raise(t, s, donghuamen, "joint-enforcement", 3)
	policeID := str(dispatchOf(t, w, "police")["id"])
	cityID := str(dispatchOf(t, w, "urban-management")["id"])

	q := s.do(t, http.MethodGet, "/v1/dispatches", token, nil)
	require.Equal(t, http.StatusOK, q.status, q.raw)
	require.Len(t, list(q.body["dispatches"]), 1)
	require.Equal(t, policeID, obj(list(q.body["dispatches"])[0])["id"])

	for _, step := range []struct{ action, status string }{{"acknowledge", "ACKNOWLEDGED"}, {"arrive", "ARRIVED"}, {"resolve", "RESOLVED"}} {
		body := map[string]any{}
		switch step.action {
		case "arrive":
			body["location"] = map[string]any{"lat": 39.9146, "lng": 116.4036}
		case "resolve":
			body["summary"] = "已联合执法，施工停止"
		}
		r := s.do(t, http.MethodPost, "/v1/dispatches/"+policeID+":"+step.action, token, body)
		require.Equal(t, http.StatusOK, r.status, r.raw)
		require.Equal(t, step.status, r.body["status"])
	}

	// Another department's dispatch, and the police of another district: not found.
	require.Equal(t, http.StatusNotFound, s.do(t, http.MethodPost, "/v1/dispatches/"+cityID+":acknowledge", token, map[string]any{}).status)
	require.Equal(t, http.StatusNotFound, s.do(t, http.MethodGet, "/v1/dispatches/"+policeID, chaoyangToken, nil).status)

	// The admin lists the accounts (never their tokens) and revokes one: its token is refused at once.
	listed := s.do(t, http.MethodGet, "/v1/service-accounts", adminToken(t, s), nil)
	require.Equal(t, http.StatusOK, listed.status, listed.raw)
	require.Len(t, list(listed.body["accounts"]), 2)
	require.NotContains(t, listed.raw, token)
	r := s.do(t, http.MethodPost, "/v1/service-accounts/"+accountID+":revoke", adminToken(t, s), map[string]any{})
	require.Equal(t, http.StatusOK, r.status, r.raw)
	require.NotEmpty(t, r.body["revoked_at"])
	require.Equal(t, http.StatusUnauthorized, s.do(t, http.MethodGet, "/v1/dispatches/"+policeID, token, nil).status)
	require.Equal(t, http.StatusUnauthorized, s.do(t, http.MethodPost, "/v1/desk/heartbeat", token, map[string]any{}).status)

	// Desks and other districts' supervisors cannot issue or revoke accounts.
	desk := deskToken(t, s, dongcheng, "police")
	require.Equal(t, http.StatusForbidden, s.do(t, http.MethodPost, "/v1/service-accounts", desk,
		map[string]any{"name": "x", "department": "police", "district_id": dongcheng}).status)
	require.Equal(t, http.StatusNotFound, s.do(t, http.MethodPost, "/v1/service-accounts/"+accountID+":revoke",
		supervisorToken(t, s, chaoyang), map[string]any{}).status)
}

// TestTheTimelineSaysWhyAnUnstaffedDeskWasEscalated: the police desk of
// 东城区 has a roster but no live console; the whistle's police dispatch goes
// straight to 督办 when it is created, and the timeline says why.
func TestTheTimelineSaysWhyAnUnstaffedDeskWasEscalated(t *testing.T) {
	t.Parallel()
	s := startSystem(t, options{})
	admin := adminToken(t, s)
	r := s.do(t, http.MethodPost, "/v1/roster/shifts", admin, map[string]any{
		"department": "police", "district_id": dongcheng, "seat": "值班长", "person": "张三",
		"starts_at": s.clock.Now().Add(-time.Hour).Format(time.RFC3339), "ends_at": s.clock.Now().Add(7 * time.Hour).Format(time.RFC3339),
	})
	require.Equal(t, http.StatusOK, r.status, r.raw)
	// The environment desk keeps its console open.
	envDesk := deskToken(t, s, dongcheng, "environment")
	require.Equal(t, http.StatusOK, s.do(t, http.MethodPost, "/v1/desk/heartbeat", envDesk, map[string]any{"desk": "console"}).status)

	id, w := raise(t, s, donghuamen, "joint-enforcement", 3)
	police := dispatchOf(t, w, "police")
	require.Equal(t, "张三", str(obj(list(s.do(t, http.MethodGet, "/v1/dispatches/"+str(police["id"]), deskToken(t, s, dongcheng, "police"), nil).body["on_duty"])[0])["person"]))

	var escalations []map[string]any
	eventually(t, "the escalation on the timeline", func() bool {
		escalations = nil
		for _, e := range list(s.do(t, http.MethodGet, "/v1/whistles/"+id+"/timeline", streetToken(t, s, donghuamen), nil).body["entries"]) {
			if e := obj(e); str(e["type"]) == "sla.escalated" {
				escalations = append(escalations, e)
			}
		}
		return len(escalations) > 0
	})
	require.Len(t, escalations, 1, "only the unstaffed police desk")
	e := escalations[0]
	require.Equal(t, "police", e["department"])
	data := obj(e["data"])
	require.EqualValues(t, 2, data["escalation_level"], "督办")
	require.True(t, strings.Contains(str(data["reason"]), "unstaffed"), "reason: %v", data["reason"])
	require.Equal(t, parseTime(t, police["dispatched_at"]), parseTime(t, e["at"]), "no wait on the fake clock")
}

// TestWebhookEndpointsAreManagedWithWriteOnlySecrets covers the endpoint admin API.
func TestWebhookEndpointsAreManagedWithWriteOnlySecrets(t *testing.T) {
	t.Parallel()
	s := startSystem(t, options{})
	admin := adminToken(t, s)
	const secret = "a-very-secret-webhook-key"

	r := s.do(t, http.MethodPost, "/v1/webhooks/endpoints", admin, map[string]any{
		"department": "police", "district_id": dongcheng, "url": "https://police.example/whistle", "secret": secret,
	})
	require.Equal(t, http.StatusOK, r.status, r.raw)
	require.NotContains(t, r.raw, secret)
	require.Equal(t, "api", r.body["source"])
	id := str(r.body["id"])
	require.Equal(t, http.StatusConflict, s.do(t, http.MethodPost, "/v1/webhooks/endpoints", admin, map[string]any{
		"department": "police", "district_id": dongcheng, "url": "https://police.example/whistle", "secret": secret,
	}).status)

	bad := s.do(t, http.MethodPost, "/v1/webhooks/endpoints", admin, map[string]any{
		"department": "police", "district_id": dongcheng, "url": "ftp://x", "secret": "short",
	})
	require.Equal(t, http.StatusBadRequest, bad.status, bad.raw)
	require.Contains(t, bad.raw, "secret")
	require.Contains(t, bad.raw, "url")

	listed := s.do(t, http.MethodGet, "/v1/webhooks/endpoints", admin, nil)
	require.Equal(t, http.StatusOK, listed.status, listed.raw)
	require.Len(t, list(listed.body["endpoints"]), 1)
	require.NotContains(t, listed.raw, secret)

	r = s.do(t, http.MethodPatch, "/v1/webhooks/endpoints/"+id, admin, map[string]any{"enabled": false, "secret": secret + "-2"})
	require.Equal(t, http.StatusOK, r.status, r.raw)
	require.NotEqual(t, true, r.body["enabled"])
	require.NotContains(t, r.raw, secret)

	// Supervisors read their district's endpoints but do not manage them; desks do neither.
	district := supervisorToken(t, s, dongcheng)
	require.Len(t, list(s.do(t, http.MethodGet, "/v1/webhooks/endpoints", district, nil).body["endpoints"]), 1)
	require.Equal(t, http.StatusForbidden, s.do(t, http.MethodDelete, "/v1/webhooks/endpoints/"+id, district, nil).status)
	require.Equal(t, http.StatusForbidden, s.do(t, http.MethodPatch, "/v1/webhooks/endpoints/"+id, district,
		map[string]any{"url": "http://169.254.169.254/latest/meta-data/"}).status)
	require.Equal(t, http.StatusForbidden, s.do(t, http.MethodGet, "/v1/webhooks/endpoints", deskToken(t, s, dongcheng, "police"), nil).status)
	internal := s.do(t, http.MethodPatch, "/v1/webhooks/endpoints/"+id, admin, map[string]any{"url": "http://169.254.169.254/latest/meta-data/"})
	require.Equal(t, http.StatusBadRequest, internal.status, internal.raw)
	require.Contains(t, internal.raw, "destination not allowed")
	require.Equal(t, http.StatusOK, s.do(t, http.MethodDelete, "/v1/webhooks/endpoints/"+id, admin, nil).status)
	require.Empty(t, list(s.do(t, http.MethodGet, "/v1/webhooks/endpoints", admin, nil).body["endpoints"]))
}
