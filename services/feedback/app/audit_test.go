package app_test

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/chuishao/whistle/platform/auth"
	feedbackv1 "github.com/chuishao/whistle/proto/gen/whistle/feedback/v1"
)

// tamper rewrites one timeline row behind the service's back, as someone with
// the database owner's privileges could: the append-only trigger is switched
// off for the edit. The hash chain is what still gives it away.
func (h *harness) tamper(whistleID string, seq int64, data string) {
	h.t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, h.dbURL)
	require.NoError(h.t, err)
	defer func() { _ = conn.Close(ctx) }()
	err = pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "ALTER TABLE feedback.timeline_entries DISABLE TRIGGER timeline_entries_no_update_delete"); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, "UPDATE feedback.timeline_entries SET data = $3::jsonb WHERE whistle_id = $1 AND seq = $2", whistleID, seq, data); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, "ALTER TABLE feedback.timeline_entries ENABLE TRIGGER timeline_entries_no_update_delete")
		return err
	})
	require.NoError(h.t, err)
}

func TestAuditVerifyNamesTheEditedEntry(t *testing.T) {
	t.Parallel()
	h := start(t)
	a := scenario{clk: h.clk, whistle: "w-audited", street: donghuamen, district: dongcheng}
	b := scenario{clk: h.clk, whistle: "w-untouched", street: donghuamen, district: dongcheng}
	for _, ev := range lifecycle(a) {
		h.publish(ev, ev.GetId())
	}
	for _, ev := range lifecycle(b) {
		h.publish(ev, ev.GetId())
	}
	entries := h.waitForTimeline("w-audited", 8)
	h.waitForTimeline("w-untouched", 8)

	admin := h.as(auth.Identity{Role: auth.RoleAdmin})
	clean, err := h.client.VerifyAudit(admin, &feedbackv1.VerifyAuditRequest{})
	require.NoError(t, err)
	require.True(t, clean.GetOk())
	require.Equal(t, int64(2), clean.GetWhistlesChecked())
	require.Equal(t, int64(16), clean.GetEntriesChecked())

	// Someone rewrites what the routing decision said.
	h.tamper("w-audited", 2, `{"rule": "category:forged", "departments": []}`)

	one, err := h.client.VerifyAudit(h.as(auth.Identity{Role: auth.RoleSupervisor, DistrictID: dongcheng}), &feedbackv1.VerifyAuditRequest{WhistleId: "w-audited"})
	require.NoError(t, err)
	require.False(t, one.GetOk())
	require.Len(t, one.GetBroken(), 1)
	require.Equal(t, "w-audited", one.GetBroken()[0].GetWhistleId())
	require.Equal(t, int64(2), one.GetBroken()[0].GetSeq())
	require.Equal(t, entries[1].GetEventId(), one.GetBroken()[0].GetEventId())

	all, err := h.client.VerifyAudit(admin, &feedbackv1.VerifyAuditRequest{})
	require.NoError(t, err)
	require.False(t, all.GetOk())
	require.Len(t, all.GetBroken(), 1, "the other whistle's chain is intact")
	require.Equal(t, int64(2), all.GetWhistlesChecked())

	// Access: a desk may not audit; another district cannot see the whistle.
	_, err = h.client.VerifyAudit(h.as(auth.Identity{Role: auth.RoleDesk, DistrictID: dongcheng, Department: "police"}), &feedbackv1.VerifyAuditRequest{})
	require.Equal(t, codes.PermissionDenied, status.Code(err))
	_, err = h.client.VerifyAudit(h.as(auth.Identity{Role: auth.RoleSupervisor, DistrictID: xicheng}), &feedbackv1.VerifyAuditRequest{WhistleId: "w-audited"})
	require.Equal(t, codes.NotFound, status.Code(err))
}
