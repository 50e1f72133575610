package e2e_test

import (
	"bytes"
	"crypto/ed25519"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/chuishao/whistle/platform/auth"
)

// lockedBuffer collects the log lines of every service; their handlers write
// from many goroutines.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// TestLogsHoldNoSecrets runs a whole scenario — dev sign-in, a whistle raised
// over REST and one over Open311, every desk action, feedback, and requests
// with rejected tokens, a webhook endpoint whose secret is rotated — and scans
// every service's log for the bearer tokens, the Open311 api key, the webhook
// secrets and the NATS passwords, and for the dev-auth warning.
func TestLogsHoldNoSecrets(t *testing.T) {
	t.Parallel()
	logs := &lockedBuffer{}
	s := startSystem(t, options{logs: logs})
	var secrets []string

	// Dev sign-in mints the street's token.
	dev := s.do(t, http.MethodPost, "/v1/dev/tokens", "", map[string]any{
		"role": "street", "street_id": donghuamen, "district_id": dongcheng})
	require.Equal(t, http.StatusOK, dev.status, dev.raw)
	devTok := str(dev.body["token"])
	require.NotEmpty(t, devTok)
	secrets = append(secrets, devTok)
	require.Equal(t, http.StatusOK, s.do(t, http.MethodGet, "/v1/whistles?street_id="+donghuamen, devTok, nil).status)

	// A webhook endpoint for the police desk, its secret set and then rotated:
	// the deliveries of the scenario are signed with it (and fail to connect).
	admin := adminToken(t, s)
	hook := s.do(t, http.MethodPost, "/v1/webhooks/endpoints", admin, map[string]any{
		"department": "police", "district_id": dongcheng, "url": "https://police.invalid/whistle",
		"secret": "webhook-secret-first-5e1d7a"})
	require.Equal(t, http.StatusOK, hook.status, hook.raw)
	rotated := s.do(t, http.MethodPatch, "/v1/webhooks/endpoints/"+str(hook.body["id"]), admin,
		map[string]any{"secret": "webhook-secret-second-93c0b4"})
	require.Equal(t, http.StatusOK, rotated.status, rotated.raw)
	secrets = append(secrets, "webhook-secret-first-5e1d7a", "webhook-secret-second-93c0b4", admin)
	// Every service's NATS password.
	secrets = append(secrets, s.nats.Passwords()...)

	id, w := raise(t, s, donghuamen, "joint-enforcement", 3)
	streetTok := streetToken(t, s, donghuamen)
	secrets = append(secrets, streetTok)
	for _, dept := range []string{"police", "urban-management", "environment"} {
		tok := deskToken(t, s, dongcheng, dept)
		secrets = append(secrets, tok)
		did := str(dispatchOf(t, w, dept)["id"])
		work(t, s, tok, did, 39.9146, 116.4036, "处理完毕")
	}
	eventually(t, "whistle resolved", func() bool {
		return s.do(t, http.MethodGet, "/v1/whistles/"+id, streetTok, nil).body["status"] == "RESOLVED"
	})
	fb := s.do(t, http.MethodPost, "/v1/whistles/"+id+":feedback", streetTok, map[string]any{"satisfaction": 5, "comment": "响应迅速"})
	require.Equal(t, http.StatusOK, fb.status, fb.raw)
	supTok := s.token(t, authIdentity(auth.RoleSupervisor, "", dongcheng, ""))
	secrets = append(secrets, supTok)
	require.Equal(t, http.StatusOK, s.do(t, http.MethodGet, "/v1/whistles/"+id+"/timeline", supTok, nil).status)

	// Open311 with its api key.
	code, raw, _ := s.open311(t, http.MethodPost, "requests.json", url.Values{
		"api_key": {open311Key}, "service_code": {"noise"},
		"lat": {"39.9146"}, "long": {"116.4036"}, "description": {"夜间噪声扰民"},
	})
	require.Equal(t, http.StatusOK, code, raw)
	secrets = append(secrets, open311Key)

	// Rejected tokens are the likeliest to end up in an error line.
	street := authIdentity(auth.RoleStreet, donghuamen, dongcheng, "")
	street.Subject = "street-" + donghuamen
	expired, err := s.signer.Sign(street, s.clock.Now().Add(-48*time.Hour), time.Hour)
	require.NoError(t, err)
	_, otherKey, err := ed25519.GenerateKey(nil)
	require.NoError(t, err)
	foreign, err := auth.NewSigner(otherKey).Sign(street, s.clock.Now(), time.Hour)
	require.NoError(t, err)
	for _, tok := range []string{expired, foreign, "not-a-jwt-but-secret-0123456789"} {
		require.Equal(t, http.StatusUnauthorized, s.do(t, http.MethodGet, "/v1/whistles/"+id, tok, nil).status)
		secrets = append(secrets, tok)
	}
	require.Equal(t, http.StatusUnauthorized,
		s.do(t, http.MethodGet, "/v1/whistles/"+id, "", nil, "Authorization", "Basic c2VjcmV0OnBhc3N3b3Jk").status)
	secrets = append(secrets, "c2VjcmV0OnBhc3N3b3Jk")

	text := logs.String()
	require.Contains(t, text, "svc=gateway", "the logs were captured")
	require.Contains(t, text, "svc=intake")
	require.Regexp(t, `level=WARN msg="DEV AUTH IS ON`, text, "dev auth says so at start")
	for _, secret := range secrets {
		require.NotContains(t, text, secret, "a secret in the logs")
		// A token's signature alone is enough to replay nothing, but its
		// payload names the caller: neither part may appear.
		for part := range strings.SplitSeq(secret, ".") {
			if len(part) >= 16 {
				require.NotContains(t, text, part, "part of a secret in the logs")
			}
		}
	}
	require.NotContains(t, text, "Bearer ")
	require.NotContains(t, text, "eyJ", "something that looks like a JWT in the logs")
}
