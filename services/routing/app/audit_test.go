package app_test

import (
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/chuishao/whistle/platform/auth"
	eventsv1 "github.com/chuishao/whistle/proto/gen/whistle/events/v1"
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

// TestReferenceEditsAreAudited: adding a department and renaming a street
// each leave an admin.routing record naming the method, the admin and what was
// edited (the department by its code, the street by its id), and neither edit stands without its record.
func TestReferenceEditsAreAudited(t *testing.T) {
	t.Parallel()
	h := start(t, options{seed: true})
	admin := h.as(t, auth.Identity{Subject: "admin-1", Role: auth.RoleAdmin})
	audit := h.w.Watch("admin.v1.>")
	conn, err := pgx.Connect(t.Context(), h.dbURL)
	require.NoError(t, err)
	t.Cleanup(func() { _ = conn.Close(t.Context()) })

	for _, c := range []struct {
		name, method, named string
		edit                func(name string) error
		current             func() string
	}{
		{
			name: "save department", method: routingv1.RoutingService_SaveDepartment_FullMethodName, named: "housing",
			edit: func(name string) error {
				_, err := h.client.SaveDepartment(admin, &routingv1.SaveDepartmentRequest{Code: "housing", Name: name, NameEn: "Housing"})
				return err
			},
			current: func() string {
				list, err := h.client.ListDepartments(admin, &routingv1.ListDepartmentsRequest{})
				require.NoError(t, err)
				for _, d := range list.GetDepartments() {
					if d.GetCode() == "housing" {
						return d.GetName()
					}
				}
				return ""
			},
		},
		{
			name: "rename street", method: routingv1.RoutingService_RenameStreet_FullMethodName, named: "110101001",
			edit: func(name string) error {
				_, err := h.client.RenameStreet(admin, &routingv1.RenameStreetRequest{Id: "110101001", Name: name, NameEn: "Donghuamen"})
				return err
			},
			current: func() string {
				st, err := h.client.GetStreet(admin, &routingv1.GetStreetRequest{Id: "110101001"})
				require.NoError(t, err)
				return st.GetName()
			},
		},
	} {
		t.Run(c.name, func(t *testing.T) {
			require.NoError(t, c.edit("留痕的名字"))
			ev := audit.Await(func(ev *eventsv1.Event) bool { return ev.GetAdminRouting().GetMethod() == c.method })
			require.Equal(t, "admin-1", ev.GetActor().GetId(), "the record names the admin")
			require.Equal(t, c.named, ev.GetAdminRouting().GetObjectId(), "the record names what was edited")
			require.Contains(t, ev.GetAdminRouting().GetRequestJson(), `"`+c.named+`"`)
			require.Contains(t, ev.GetAdminRouting().GetRequestJson(), "留痕的名字")

			// With the audit write failing, the edit is refused and not applied.
			_, err := conn.Exec(t.Context(), `ALTER TABLE routing.outbox ADD CONSTRAINT no_audit CHECK (subject NOT LIKE 'admin.%') NOT VALID`)
			require.NoError(t, err)
			err = c.edit("未留痕的名字")
			_, derr := conn.Exec(t.Context(), `ALTER TABLE routing.outbox DROP CONSTRAINT no_audit`)
			require.NoError(t, derr)
			require.Equal(t, codes.Unavailable, status.Code(err), "%v", err)
			require.Equal(t, "留痕的名字", c.current(), "the unaudited edit was not applied")
		})
	}
}
