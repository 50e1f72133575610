package grants_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/chuishao/whistle/platform/auth"
	"github.com/chuishao/whistle/platform/bus/natstest"
	"github.com/chuishao/whistle/platform/clock"
	eventsv1 "github.com/chuishao/whistle/proto/gen/whistle/events/v1"
	"github.com/chuishao/whistle/services/gateway/internal/grants"
)

// auditLog keeps the audit events it is given, or refuses them while failing.
type auditLog struct {
	mu      sync.Mutex
	events  []*eventsv1.Event
	failing bool
}

func (l *auditLog) Audit(_ context.Context, ev *eventsv1.Event) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.failing {
		return errors.New("the event stream is unavailable")
	}
	l.events = append(l.events, ev)
	return nil
}

func (l *auditLog) setFailing(f bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.failing = f
}

// TestEveryGrantAndRevocationIsAudited: who granted what to whom and when
// is an admin.gateway event; a grant whose record cannot be written is
// refused and undone, a revocation stays in force whatever its record does.
func TestEveryGrantAndRevocationIsAudited(t *testing.T) {
	t.Parallel()
	srv := natstest.StartSecured(t)
	store := replica(t, srv)
	ready(t, store)
	_, key, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	signer := auth.NewSigner(key)
	at := time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC)
	log := &auditLog{}
	a := &grants.API{Store: store, Issuer: issuer, Verifier: auth.NewVerifier(signer.PublicKey()), Clock: clock.NewFake(at),
		Log: slog.New(slog.DiscardHandler), Audit: log}
	mux := http.NewServeMux()
	mux.HandleFunc(grants.ListPattern, a.List)
	mux.HandleFunc(grants.GrantPattern, a.Grant)
	mux.HandleFunc(grants.RevokePattern, a.Revoke)
	api := httptest.NewServer(mux)
	t.Cleanup(api.Close)
	admin := auth.Identity{Subject: "oidc:chief", Role: auth.RoleAdmin}
	tok, err := signer.Sign(admin, at, time.Hour)
	require.NoError(t, err)
	call := func(method, subject, body string) int {
		req, err := http.NewRequest(method, api.URL+grants.Path+"/"+subject, strings.NewReader(body))
		require.NoError(t, err)
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		_ = resp.Body.Close()
		return resp.StatusCode
	}

	require.Equal(t, http.StatusOK, call(http.MethodPut, "zhao.liu", `{"name":"赵六","role":"desk","department":"police","district_id":"110101"}`))
	require.Equal(t, http.StatusOK, call(http.MethodDelete, "zhao.liu", ""))
	require.Len(t, log.events, 2)
	for i, method := range []string{grants.MethodGrant, grants.MethodRevoke} {
		ev := log.events[i]
		require.Equal(t, "oidc:chief", ev.GetActor().GetId(), "who")
		require.Equal(t, auth.RoleAdmin, ev.GetActor().GetRole())
		require.True(t, ev.GetOccurredAt().AsTime().Equal(at), "when")
		require.Equal(t, "audit-city", ev.GetWhistleId(), "the admin's audit chain")
		a := ev.GetAdminGateway()
		require.NotNil(t, a, "an admin.gateway event")
		require.Equal(t, method, a.GetMethod())
		require.Equal(t, "zhao.liu", a.GetObjectId(), "to whom")
		var g grants.Grant
		require.NoError(t, json.Unmarshal([]byte(a.GetRequestJson()), &g))
		require.Equal(t, "oidc:chief", g.By)
		if i == 0 {
			require.Equal(t, auth.RoleDesk, g.Role, "what")
			require.Equal(t, "police", g.Department)
			require.Equal(t, "110101", g.District)
		} else {
			require.True(t, g.Revoked)
			require.Equal(t, "赵六", g.Name)
		}
	}

	// Without a record, no role is given: the grant is refused and undone.
	log.setFailing(true)
	require.Equal(t, http.StatusServiceUnavailable, call(http.MethodPut, "zhao.liu", `{"role":"admin"}`))
	g, ok, err := store.Lookup(issuer, "zhao.liu")
	require.NoError(t, err)
	require.True(t, ok)
	require.True(t, g.Revoked, "the revocation before it is back in force")
	require.Equal(t, http.StatusServiceUnavailable, call(http.MethodPut, "sun.qi", `{"role":"admin"}`))
	_, ok, err = store.Lookup(issuer, "sun.qi")
	require.NoError(t, err)
	require.False(t, ok, "a first grant without a record leaves nobody granted")
	// A revocation is never held back by its record.
	log.setFailing(false)
	require.Equal(t, http.StatusOK, call(http.MethodPut, "sun.qi", `{"role":"supervisor"}`))
	log.setFailing(true)
	require.Equal(t, http.StatusOK, call(http.MethodDelete, "sun.qi", ""))
	g, _, err = store.Lookup(issuer, "sun.qi")
	require.NoError(t, err)
	require.True(t, g.Revoked)
}
