package app_test

import (
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/chuishao/whistle/platform/auth"
	routingv1 "github.com/chuishao/whistle/proto/gen/whistle/routing/v1"
)

// TestAnAdminActionCommitsOnlyWithItsAuditRecord: when the audit record of
// an admin's catalogue change cannot be written, the change is refused and
// not applied — an admin action never stands without its record.
func TestAnAdminActionCommitsOnlyWithItsAuditRecord(t *testing.T) {
	t.Parallel()
	h := start(t, options{seed: true})
	dbURL := h.dbURL
	admin := h.as(t, auth.Identity{Subject: "admin-1", Role: auth.RoleAdmin})
	draft, err := h.client.GetCatalogue(admin, &routingv1.GetCatalogueRequest{Version: "draft"})
	require.NoError(t, err)

	// The outbox refuses audit events from now on (a full disk, a lost
	// privilege: any failure of the audit write).
	conn, err := pgx.Connect(t.Context(), dbURL)
	require.NoError(t, err)
	t.Cleanup(func() { _ = conn.Close(t.Context()) })
	_, err = conn.Exec(t.Context(), `ALTER TABLE routing.outbox ADD CONSTRAINT no_audit CHECK (subject NOT LIKE 'admin.%') NOT VALID`)
	require.NoError(t, err)

	_, err = h.client.UpdateCatalogueDraft(admin, &routingv1.UpdateCatalogueDraftRequest{Rules: draft.GetRules(), Description: "未留痕的修改"})
	require.Equal(t, codes.Unavailable, status.Code(err), "%v", err)
	require.Contains(t, status.Convert(err).Message(), "audit record")
	after, err := h.client.GetCatalogue(admin, &routingv1.GetCatalogueRequest{Version: "draft"})
	require.NoError(t, err)
	require.NotEqual(t, "未留痕的修改", after.GetDescription(), "the change was not applied")

	// With the audit writable again, the same change goes through.
	_, err = conn.Exec(t.Context(), `ALTER TABLE routing.outbox DROP CONSTRAINT no_audit`)
	require.NoError(t, err)
	_, err = h.client.UpdateCatalogueDraft(admin, &routingv1.UpdateCatalogueDraftRequest{Rules: draft.GetRules(), Description: "留痕的修改"})
	require.NoError(t, err)
	after, err = h.client.GetCatalogue(admin, &routingv1.GetCatalogueRequest{Version: "draft"})
	require.NoError(t, err)
	require.Equal(t, "留痕的修改", after.GetDescription())
}
