package app_test

import (
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/chuishao/whistle/platform/auth"
	eventsv1 "github.com/chuishao/whistle/proto/gen/whistle/events/v1"
	feedbackv1 "github.com/chuishao/whistle/proto/gen/whistle/feedback/v1"
)

// TestARebuildCommitsOnlyWithItsAuditRecord: a read-model rebuild whose
// audit record cannot be written is refused and leaves the model as it was;
// with the audit writable it goes through and its record names the admin.
func TestARebuildCommitsOnlyWithItsAuditRecord(t *testing.T) {
	t.Parallel()
	h := start(t)
	s := scenario{clk: h.clk, whistle: "w-rebuild-audit", street: donghuamen, district: dongcheng}
	h.play(s)
	audit := h.w.Watch("admin.v1.>")

	conn, err := pgx.Connect(t.Context(), h.dbURL)
	require.NoError(t, err)
	t.Cleanup(func() { _ = conn.Close(t.Context()) })
	facts := func() (n int) {
		require.NoError(t, conn.QueryRow(t.Context(), `SELECT count(*) FROM feedback.dispatch_facts`).Scan(&n))
		return n
	}
	require.Positive(t, facts())
	// The read model has drifted (lost its facts); a rebuild would restore them.
	_, err = conn.Exec(t.Context(), `DELETE FROM feedback.dispatch_facts`)
	require.NoError(t, err)

	admin := h.as(auth.Identity{Subject: "admin-1", Role: auth.RoleAdmin})
	_, err = conn.Exec(t.Context(), `ALTER TABLE feedback.outbox ADD CONSTRAINT no_audit CHECK (subject NOT LIKE 'admin.%') NOT VALID`)
	require.NoError(t, err)
	_, err = h.client.RebuildReadModel(admin, &feedbackv1.RebuildReadModelRequest{})
	require.Equal(t, codes.Unavailable, status.Code(err), "%v", err)
	require.Contains(t, status.Convert(err).Message(), "audit record")
	require.Zero(t, facts(), "the unaudited rebuild was not applied")

	_, err = conn.Exec(t.Context(), `ALTER TABLE feedback.outbox DROP CONSTRAINT no_audit`)
	require.NoError(t, err)
	rebuilt, err := h.client.RebuildReadModel(admin, &feedbackv1.RebuildReadModelRequest{})
	require.NoError(t, err)
	require.Positive(t, rebuilt.GetDispatches())
	require.EqualValues(t, rebuilt.GetDispatches(), facts())
	ev := audit.Await(func(ev *eventsv1.Event) bool {
		return ev.GetAdminFeedback().GetMethod() == feedbackv1.FeedbackService_RebuildReadModel_FullMethodName
	})
	require.Equal(t, "admin-1", ev.GetActor().GetId())
}

// TestScorecardWeightsRecordsNameTheMonth: an admin's change of a month's
// scorecard weights is recorded with the month as its object.
func TestScorecardWeightsRecordsNameTheMonth(t *testing.T) {
	t.Parallel()
	h := start(t)
	audit := h.w.Watch("admin.v1.>")
	admin := h.as(auth.Identity{Subject: "admin-1", Role: auth.RoleAdmin})
	_, err := h.client.SetScorecardWeights(admin, &feedbackv1.SetScorecardWeightsRequest{Month: "2026-05",
		Weights: &feedbackv1.Weights{Response: 10, Arrival: 30, Resolution: 30, Satisfaction: 30}})
	require.NoError(t, err)
	ev := audit.Await(func(ev *eventsv1.Event) bool {
		return ev.GetAdminFeedback().GetMethod() == feedbackv1.FeedbackService_SetScorecardWeights_FullMethodName
	})
	require.Equal(t, "2026-05", ev.GetAdminFeedback().GetObjectId())
}
