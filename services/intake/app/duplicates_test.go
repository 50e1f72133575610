package app_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	intakev1 "github.com/chuishao/whistle/proto/gen/whistle/intake/v1"
	typesv1 "github.com/chuishao/whistle/proto/gen/whistle/types/v1"
)

// metre is one metre of latitude in degrees.
const metre = 1 / 111195.0

func TestDuplicateCandidatesAreFoundNearbyInTheSameCategory(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	at := func(category string, northM float64) *intakev1.Whistle {
		req := raiseRequest(dongchengA, category)
		req.Location = &typesv1.LatLng{Lat: 39.914 + northM*metre, Lng: 116.404}
		w, err := e.client.RaiseWhistle(e.as(streetA), req)
		require.NoError(t, err)
		return w
	}
	first := at("noise", 0)
	require.Empty(t, first.GetDuplicateCandidates())

	near := at("noise", 40)
	require.Len(t, near.GetDuplicateCandidates(), 1)
	c := near.GetDuplicateCandidates()[0]
	require.Equal(t, first.GetId(), c.GetWhistleId())
	require.InDelta(t, 40, c.GetDistanceM(), 1)
	require.Equal(t, "candidate", c.GetState())
	linked := e.waitEvent("whistle.duplicate_candidate", near.GetId()).GetWhistleDuplicateCandidate()
	require.Equal(t, first.GetId(), linked.GetCandidateOf())

	require.Empty(t, at("noise", 150).GetDuplicateCandidates(), "150 m away is another problem")
	require.Empty(t, at("joint-enforcement", 40).GetDuplicateCandidates(), "another category is another problem")

	// A day later the first whistle no longer counts.
	e.clk.Advance(25 * time.Hour)
	require.Empty(t, at("noise", 10).GetDuplicateCandidates())
}

func TestMergeIsIdempotentAndKeepDismisses(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	first := e.raise(streetA, "noise")
	second := e.raise(streetA, "noise")
	third := e.raise(streetA, "noise")
	require.Len(t, second.GetDuplicateCandidates(), 1)
	require.Len(t, third.GetDuplicateCandidates(), 2)
	// One event per new whistle carries all of its candidates, oldest first.
	dup := e.waitEvents("whistle.duplicate_candidate", third.GetId(), 1)
	require.Len(t, dup, 1)
	links := dup[0].GetWhistleDuplicateCandidate().GetCandidates()
	require.Len(t, links, 2)
	require.Equal(t, []string{first.GetId(), second.GetId()}, []string{links[0].GetCandidateOf(), links[1].GetCandidateOf()})
	require.Equal(t, first.GetId(), dup[0].GetWhistleDuplicateCandidate().GetCandidateOf())

	// Only the raising street merges, and only into a candidate.
	_, err := e.client.MergeWhistle(e.as(streetB), &intakev1.MergeWhistleRequest{Id: second.GetId(), IntoWhistleId: first.GetId()})
	require.Equal(t, codes.NotFound, status.Code(err))
	_, err = e.client.MergeWhistle(e.as(supervisor), &intakev1.MergeWhistleRequest{Id: second.GetId(), IntoWhistleId: first.GetId()})
	require.Equal(t, codes.PermissionDenied, status.Code(err))
	_, err = e.client.MergeWhistle(e.as(streetA), &intakev1.MergeWhistleRequest{Id: second.GetId(), IntoWhistleId: third.GetId()})
	require.Equal(t, codes.InvalidArgument, status.Code(err))

	merged, err := e.client.MergeWhistle(e.as(streetA), &intakev1.MergeWhistleRequest{Id: second.GetId(), IntoWhistleId: first.GetId()})
	require.NoError(t, err)
	require.Equal(t, first.GetId(), merged.GetMergedInto())
	require.Equal(t, intakev1.Whistle_CANCELLED, merged.GetStatus())
	require.Equal(t, "merged", merged.GetDuplicateCandidates()[0].GetState())
	again, err := e.client.MergeWhistle(e.as(streetA), &intakev1.MergeWhistleRequest{Id: second.GetId(), IntoWhistleId: first.GetId()})
	require.NoError(t, err)
	require.Equal(t, first.GetId(), again.GetMergedInto())
	require.Len(t, e.waitEvents("whistle.merged", second.GetId(), 1), 1)
	onTarget := e.waitEvent("whistle.merged", first.GetId()).GetWhistleMerged()
	require.Equal(t, second.GetId(), onTarget.GetMergedWhistleId())
	require.Len(t, e.waitEvents("whistle.cancelled", second.GetId(), 1), 1)

	kept, err := e.client.KeepWhistle(e.as(streetA), &intakev1.KeepWhistleRequest{Id: third.GetId()})
	require.NoError(t, err)
	require.Empty(t, kept.GetMergedInto())
	for _, c := range kept.GetDuplicateCandidates() {
		require.Equal(t, "kept", c.GetState())
	}
	require.Equal(t, intakev1.Whistle_RAISED, kept.GetStatus())
}
