package signin_test

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/chuishao/whistle/platform/auth"
	"github.com/chuishao/whistle/platform/bus"
	"github.com/chuishao/whistle/platform/bus/natstest"
	"github.com/chuishao/whistle/proto/topology"
	"github.com/chuishao/whistle/services/gateway/internal/grants"
	"github.com/chuishao/whistle/services/gateway/internal/signin"
)

const issuer = "https://sso.example.gov.cn"

func TestClaimMappingReadsTheConfiguredClaims(t *testing.T) {
	t.Parallel()
	m := signin.ClaimMapping{Role: "whistle/role", District: "dept_district", Department: "org"}
	got := m.Map(map[string]any{"whistle/role": "desk", "dept_district": "110101", "org": "police", "street": "110101001", "grid": 7})
	require.Equal(t, signin.Mapped{Role: "desk", District: "110101", Department: "police"}, got, "unmapped claims are ignored")
	require.Equal(t, signin.Mapped{}, signin.ClaimMapping{}.Map(map[string]any{"role": "admin"}), "no mapping, no role from claims")
}

func TestGrantsComeFirstThenAdminsThenClaims(t *testing.T) {
	t.Parallel()
	srv := natstest.StartSecured(t)
	_, js, err := bus.Connect(srv.URL, "gateway", srv.Client(topology.Gateway).Options()...)
	require.NoError(t, err)
	store := &grants.Store{JS: js, Log: slog.New(slog.DiscardHandler)}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = store.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	r := &signin.Resolver{Issuer: issuer, Grants: store, Admins: []string{"boss"}}

	_, err = r.Resolve("anyone", signin.Mapped{})
	require.ErrorIs(t, err, grants.ErrNotReady, "nobody is let in before the grants are loaded")
	for store.Ready() != nil {
		select {
		case <-store.Changed():
		case <-time.After(10 * time.Second):
			t.Fatal("the grants never loaded")
		}
	}

	deskClaims := signin.Mapped{Role: "desk", District: "110101", Department: "police"}
	id, err := r.Resolve("wang", deskClaims)
	require.NoError(t, err)
	require.Equal(t, auth.Identity{Subject: "oidc:wang", Role: "desk", DistrictID: "110101", Department: "police"}, id)

	_, err = r.Resolve("wang", signin.Mapped{Role: "desk", District: "110101"})
	require.ErrorIs(t, err, signin.ErrNoRole, "claims that make no valid scope give no role")
	_, err = r.Resolve("wang", signin.Mapped{Role: "public"})
	require.ErrorIs(t, err, signin.ErrNoRole)
	_, err = r.Resolve("nobody", signin.Mapped{})
	require.ErrorIs(t, err, signin.ErrNoRole)

	id, err = r.Resolve("boss", signin.Mapped{})
	require.NoError(t, err)
	require.Equal(t, auth.RoleAdmin, id.Role)

	require.NoError(t, store.Put(context.Background(), grants.Grant{Issuer: issuer, Subject: "wang", Role: "street", Street: "110101001", District: "110101", By: "oidc:boss"}))
	id, err = r.Resolve("wang", deskClaims)
	require.NoError(t, err)
	require.Equal(t, "street", id.Role, "the grant wins over the claims")

	require.NoError(t, store.Put(context.Background(), grants.Grant{Issuer: issuer, Subject: "wang", Revoked: true, By: "oidc:boss"}))
	_, err = r.Resolve("wang", deskClaims)
	require.ErrorIs(t, err, signin.ErrNoRole, "a revoked grant refuses the person whatever the claims say")
	require.NoError(t, store.Put(context.Background(), grants.Grant{Issuer: issuer, Subject: "boss", Revoked: true, By: "oidc:other"}))
	_, err = r.Resolve("boss", signin.Mapped{})
	require.ErrorIs(t, err, signin.ErrNoRole, "a bootstrap admin can be revoked too")
}
