package e2e_test

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/chuishao/whistle/platform/auth"
)

// TestWebhookDeadLettersOverREST checks the REST routes of the dead-letter
// list (the delivery itself is tested in services/response): supervisors may
// list and replay and read a dispatch's delivery log, desks may not, and an unknown id looks unknown.
func TestWebhookDeadLettersOverREST(t *testing.T) {
	t.Parallel()
	s := startSystem(t, options{})
	sup := s.token(t, authIdentity(auth.RoleSupervisor, "", "110101", ""))
	desk := s.token(t, authIdentity(auth.RoleDesk, "", "110101", "police"))

	got := s.do(t, http.MethodGet, "/v1/webhooks/dead-letters", sup, nil)
	require.Equal(t, http.StatusOK, got.status, got.raw)
	require.Empty(t, got.body["dead_letters"])
	require.Equal(t, http.StatusForbidden, s.do(t, http.MethodGet, "/v1/webhooks/dead-letters", desk, nil).status)
	got = s.do(t, http.MethodPost, "/v1/webhooks/dead-letters/no-such-delivery:replay", sup, map[string]any{})
	require.Equal(t, http.StatusNotFound, got.status, got.raw)
	got = s.do(t, http.MethodGet, "/v1/dispatches/no-such-dispatch/webhook-attempts", sup, nil)
	require.Equal(t, http.StatusOK, got.status, got.raw)
	require.Empty(t, got.body["attempts"])
}
