package app_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"

	"github.com/chuishao/whistle/platform/auth"
	intakev1 "github.com/chuishao/whistle/proto/gen/whistle/intake/v1"
)

func TestListWhistles(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	var mine []string // street A's whistles, oldest first
	for range 5 {
		mine = append(mine, e.raise(streetA, "noise").GetId())
		e.clk.Advance(time.Minute)
	}
	// Two raised in the same instant still page in a stable order.
	mine = append(mine, e.raise(streetA, "noise").GetId())
	mine = append(mine, e.raise(streetA, "noise").GetId())
	neighbour := e.raise(streetB, "noise").GetId()
	elsewhere := e.raise(streetC, "noise").GetId()
	_, err := e.client.CancelWhistle(e.as(streetA), &intakev1.CancelWhistleRequest{Id: mine[1]})
	require.NoError(t, err)

	listAll := func(id auth.Identity, req *intakev1.ListWhistlesRequest) []string {
		t.Helper()
		var ids []string
		for page := 0; ; page++ {
			resp, err := e.client.ListWhistles(e.as(id), req)
			require.NoError(t, err)
			require.LessOrEqual(t, len(resp.GetWhistles()), int(max(req.GetPageSize(), 20)))
			for i, w := range resp.GetWhistles() {
				ids = append(ids, w.GetId())
				if i > 0 {
					prev := resp.GetWhistles()[i-1]
					require.False(t, w.GetRaisedAt().AsTime().After(prev.GetRaisedAt().AsTime()), "newest first")
				}
			}
			if resp.GetNextPageToken() == "" {
				return ids
			}
			require.Less(t, page, 10, "pagination must end")
			req.PageToken = resp.GetNextPageToken()
		}
	}

	got := listAll(streetA, &intakev1.ListWhistlesRequest{PageSize: 2})
	require.Len(t, got, 7, "every whistle once, none twice")
	require.ElementsMatch(t, mine, got)
	require.Equal(t, mine[0], got[6], "the oldest comes last")
	require.Equal(t, mine[4], got[2])

	require.Equal(t, []string{mine[1]}, listAll(streetA, &intakev1.ListWhistlesRequest{Status: intakev1.Whistle_CANCELLED}))
	require.Len(t, listAll(streetA, &intakev1.ListWhistlesRequest{Status: intakev1.Whistle_RAISED, PageSize: 3}), 6)

	require.Len(t, listAll(supervisor, &intakev1.ListWhistlesRequest{PageSize: 100}), 8, "the district's streets")
	require.Equal(t, []string{neighbour}, listAll(supervisor, &intakev1.ListWhistlesRequest{StreetId: dongchengB}))
	require.Empty(t, listAll(supervisor, &intakev1.ListWhistlesRequest{StreetId: chaoyangA}), "a street outside the district shows nothing")
	city := listAll(citySup, &intakev1.ListWhistlesRequest{PageSize: 4})
	require.Len(t, city, 9)
	require.Contains(t, city, elsewhere)

	_, err = e.client.ListWhistles(e.as(streetA), &intakev1.ListWhistlesRequest{StreetId: dongchengB})
	requireCode(t, err, codes.PermissionDenied)
	_, err = e.client.ListWhistles(e.as(policeDesk), &intakev1.ListWhistlesRequest{})
	requireCode(t, err, codes.PermissionDenied)
	_, err = e.client.ListWhistles(e.as(adminUser), &intakev1.ListWhistlesRequest{})
	requireCode(t, err, codes.PermissionDenied)
	_, err = e.client.ListWhistles(e.as(streetA), &intakev1.ListWhistlesRequest{PageSize: 101})
	requireCode(t, err, codes.InvalidArgument, "page_size")
	_, err = e.client.ListWhistles(e.as(streetA), &intakev1.ListWhistlesRequest{PageSize: -1})
	requireCode(t, err, codes.InvalidArgument, "page_size")
	_, err = e.client.ListWhistles(e.as(streetA), &intakev1.ListWhistlesRequest{PageToken: "not-a-token"})
	requireCode(t, err, codes.InvalidArgument, "page_token")
}
