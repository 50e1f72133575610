package e2e_test

import (
	"context"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/dynamicpb"

	"github.com/chuishao/whistle/platform/auth"
	intakev1 "github.com/chuishao/whistle/proto/gen/whistle/intake/v1"
)

// TestAResidentTokenOnlyAnswersAFollowUp: the token discovery signs with its
// follow-up key for a resident's answer closes or reopens a whistle at
// intake, and every other method of every service refuses it outright; a
// resident token from any other key is refused at the door.
func TestAResidentTokenOnlyAnswersAFollowUp(t *testing.T) {
	t.Parallel()
	s := startSystem(t, options{})
	id, w := raise(t, s, donghuamen, "garbage", 2)
	resolveAll(t, s, w, "已清运")
	c := dialBackends(t, s)
	resident := auth.Identity{Role: auth.RoleResident, Subject: "resident:follow-up-1"}
	tok, err := s.residentSigner.Sign(resident, s.clock.Now(), time.Minute)
	require.NoError(t, err)
	eventually(t, "resolved", func() bool {
		got, err := c.intake.GetWhistle(withBearer(t.Context(), streetToken(t, s, donghuamen)), &intakev1.GetWhistleRequest{Id: id})
		return err == nil && got.GetStatus() == intakev1.Whistle_RESOLVED
	})

	// A resident token of the main key's signer, or of the Open311 key, is no resident's answer.
	forged, err := s.open311Signer.Sign(resident, s.clock.Now(), time.Minute)
	require.NoError(t, err)
	_, err = c.intake.ReopenWhistle(withBearer(t.Context(), forged), &intakev1.ReopenWhistleRequest{Id: id, Reason: "没修好"})
	require.Equal(t, codes.Unauthenticated, status.Code(err), "%v", err)

	_, err = c.intake.SubmitFeedback(withBearer(t.Context(), tok), &intakev1.SubmitFeedbackRequest{Id: id, Satisfaction: 4, Comment: "好"})
	require.NoError(t, err)
	closed := s.do(t, http.MethodGet, "/v1/whistles/"+id, streetToken(t, s, donghuamen), nil)
	require.Equal(t, "CLOSED", closed.body["status"], closed.raw)

	// Every other method of every service refuses it.
	allowed := []string{intakev1.IntakeService_SubmitFeedback_FullMethodName, intakev1.IntakeService_ReopenWhistle_FullMethodName}
	connOf := connFor(t, s)
	for _, m := range whistleMethods() {
		name := fullMethod(m)
		if slices.Contains(allowed, name) || m.IsStreamingServer() || m.IsStreamingClient() {
			continue
		}
		ctx, cancel := context.WithTimeout(withBearer(context.Background(), tok), 10*time.Second)
		err := connOf(m).Invoke(ctx, name, dynamicpb.NewMessage(m.Input()), dynamicpb.NewMessage(m.Output()))
		cancel()
		require.Equal(t, codes.PermissionDenied, status.Code(err), "%s: %v", name, err)
	}
}
