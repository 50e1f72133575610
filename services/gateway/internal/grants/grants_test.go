package grants_test

import (
	"context"
	"log/slog"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/chuishao/whistle/platform/auth"
	"github.com/chuishao/whistle/platform/bus"
	"github.com/chuishao/whistle/platform/bus/natstest"
	"github.com/chuishao/whistle/proto/topology"
	"github.com/chuishao/whistle/services/gateway/internal/grants"
)

const issuer = "https://sso.example.gov.cn"

// replica is one gateway's store, connected as the gateway's NATS user and watching.
func replica(t *testing.T, srv *natstest.Secured) *grants.Store {
	t.Helper()
	_, js, err := bus.Connect(srv.URL, "gateway", srv.Client(topology.Gateway).Options()...)
	require.NoError(t, err)
	s := &grants.Store{JS: js, Log: slog.New(slog.DiscardHandler)}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = s.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	return s
}

// ready waits for the store's first complete, current copy.
func ready(t *testing.T, s *grants.Store) {
	t.Helper()
	current(t, s)
}

func TestARevocationReachesEveryReplica(t *testing.T) {
	t.Parallel()
	srv := natstest.StartSecured(t)
	a, b := replica(t, srv), replica(t, srv)
	ready(t, a)
	ready(t, b)
	desk := grants.Grant{Issuer: issuer, Subject: "zhang.san", Name: "张三", Role: auth.RoleDesk, Department: "police", District: "110101", By: "oidc:admin"}
	changed := b.Changed()
	require.NoError(t, a.Put(context.Background(), desk))
	<-changed
	g, ok, err := b.Lookup(issuer, "zhang.san")
	require.NoError(t, err)
	require.True(t, ok)
	require.Equal(t, "police", g.Department)

	id := desk.Identity()
	require.Equal(t, "oidc:zhang.san", id.Subject)
	require.NoError(t, b.Check(issuer)(id), "the grant's own identity passes")
	other := id
	other.Department = "urban-management"
	require.ErrorIs(t, b.Check(issuer)(other), grants.ErrRevoked, "a token for a scope no longer granted is refused")

	changed = b.Changed()
	require.NoError(t, a.Put(context.Background(), grants.Grant{Issuer: issuer, Subject: "zhang.san", Revoked: true, By: "oidc:admin"}))
	<-changed
	require.ErrorIs(t, b.Check(issuer)(id), grants.ErrRevoked, "the other replica refuses the revoked person")
	require.NoError(t, b.Check(issuer)(auth.Identity{Subject: "dev-desk", Role: auth.RoleDesk}), "other subjects are not the grants' business")
	// Another provider's person of the same sub is another person.
	_, ok, err = b.Lookup("https://other.example", "zhang.san")
	require.NoError(t, err)
	require.False(t, ok)
}

func TestAGatewayThatStartsLaterLoadsTheGrants(t *testing.T) {
	t.Parallel()
	srv := natstest.StartSecured(t)
	a := replica(t, srv)
	ready(t, a)
	require.NoError(t, a.Put(context.Background(), grants.Grant{Issuer: issuer, Subject: "li.si", Role: auth.RoleAdmin, By: "bootstrap"}))
	b := replica(t, srv)
	ready(t, b)
	list, err := b.List()
	require.NoError(t, err)
	require.Len(t, list, 1)
	require.Equal(t, "li.si", list[0].Subject)
}
