package app_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/chuishao/whistle/platform/auth"
	eventsv1 "github.com/chuishao/whistle/proto/gen/whistle/events/v1"
	intakev1 "github.com/chuishao/whistle/proto/gen/whistle/intake/v1"
)

// searchAll pages through a search and returns the ids found, newest first.
func (e *env) searchAll(id auth.Identity, req *intakev1.SearchWhistlesRequest) []string {
	e.t.Helper()
	var ids []string
	for page := 0; ; page++ {
		resp, err := e.client.SearchWhistles(e.as(id), req)
		require.NoError(e.t, err)
		for _, w := range resp.GetWhistles() {
			ids = append(ids, w.GetId())
		}
		if resp.GetNextPageToken() == "" {
			return ids
		}
		require.Less(e.t, page, 20, "pagination must end")
		req.PageToken = resp.GetNextPageToken()
	}
}

func (e *env) raiseText(id auth.Identity, category, title, description string) *intakev1.Whistle {
	e.t.Helper()
	req := raiseRequest(id.StreetID, category)
	req.Title, req.Description = title, description
	w, err := e.client.RaiseWhistle(e.as(id), req)
	require.NoError(e.t, err)
	return w
}

func TestSearchWhistlesByKeywordInScope(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	stall := e.raiseText(streetA, "joint-enforcement", "商贩占道经营", "早市摊位占用人行道")
	e.clk.Advance(time.Minute)
	noise := e.raiseText(streetA, "noise", "工地噪音", "夜间施工噪音扰民")
	e.clk.Advance(time.Minute)
	otherStall := e.raiseText(streetC, "joint-enforcement", "占道经营", "朝阳的摊位")
	e.clk.Advance(time.Minute)
	// A pattern's own characters match only themselves.
	percent := e.raiseText(streetA, "noise", "噪音 100%", "分贝超标")

	find := func(id auth.Identity, kw string) []string {
		return e.searchAll(id, &intakev1.SearchWhistlesRequest{Keyword: kw})
	}
	require.Equal(t, []string{stall.GetId()}, find(streetA, "占道"), "two characters find 占道经营")
	require.Equal(t, []string{stall.GetId()}, find(streetA, "占道经营"), "a street finds only its own")
	require.Equal(t, []string{otherStall.GetId()}, find(streetC, "占道经营"))
	require.Empty(t, e.searchAll(streetA, &intakev1.SearchWhistlesRequest{Keyword: "占道", StreetId: chaoyangA}),
		"naming another street finds nothing")
	require.Equal(t, []string{stall.GetId()}, find(supervisor, "占道"), "a district supervisor sees its district only")
	city := auth.Identity{Subject: "sup-city", Role: auth.RoleSupervisor}
	require.Equal(t, []string{otherStall.GetId(), stall.GetId()}, find(city, "占道"), "newest first")
	require.Equal(t, []string{percent.GetId()}, find(streetA, "100%"))
	require.Equal(t, []string{percent.GetId(), noise.GetId()}, find(streetA, "噪音"))
	require.Empty(t, find(streetA, "噪_"), "an underscore is no wildcard")
	require.Equal(t, []string{percent.GetId(), noise.GetId(), stall.GetId()}, find(streetA, "东华门大街"), "the address is searched too")
	require.Equal(t, []string{stall.GetId()}, e.searchAll(streetA, &intakev1.SearchWhistlesRequest{Category: "joint-enforcement"}))

	// A desk finds what was dispatched to its department, and only that.
	require.Empty(t, find(policeDesk, "噪音"))
	e.publish(routed(noise, "police"))
	e.publish(dispatchEvent(noise, "police", pending, 1))
	e.waitDispatch(noise.GetId(), dispatchID(noise, "police"), pending)
	require.Equal(t, []string{noise.GetId()}, find(policeDesk, "噪音"))
	require.Equal(t, []string{noise.GetId()}, e.searchAll(supervisor, &intakev1.SearchWhistlesRequest{Department: "police"}))

	// Breach: the flag comes from the SLA event's dispatch.
	require.Empty(t, e.searchAll(supervisor, &intakev1.SearchWhistlesRequest{Breached: true}))
	ev := dispatchEvent(noise, "police", pending, 2)
	d := ev.GetDispatchCreated().GetDispatch()
	d.Breaches = []string{"ack"}
	ev.Payload = &eventsv1.Event_SlaBreached{SlaBreached: &eventsv1.SlaBreached{Clock: "ack", EscalationLevel: 1, Dispatch: d}}
	e.publish(ev)
	require.Eventually(t, func() bool {
		return len(e.searchAll(supervisor, &intakev1.SearchWhistlesRequest{Breached: true})) == 1
	}, 10*time.Second, 10*time.Millisecond)
	require.Equal(t, []string{noise.GetId()}, e.searchAll(supervisor, &intakev1.SearchWhistlesRequest{Breached: true, Keyword: "施工"}))

	_, err := e.client.SearchWhistles(e.as(streetA), &intakev1.SearchWhistlesRequest{PageToken: "nonsense"})
	requireCode(t, err, codes.InvalidArgument)
	require.Contains(t, err.Error(), "page_token")
	_, err = e.client.SearchWhistles(e.as(auth.Identity{Subject: "p", Role: auth.RolePublic}), &intakev1.SearchWhistlesRequest{})
	requireCode(t, err, codes.PermissionDenied)
}

func TestSearchWhistlesPagesStablyByPeriod(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	var raised []string // oldest first
	for i := range 7 {
		raised = append(raised, e.raise(streetA, "noise").GetId())
		if i != 3 { // two whistles in one instant still page in a stable order
			e.clk.Advance(time.Minute)
		}
	}
	all := e.searchAll(streetA, &intakev1.SearchWhistlesRequest{PageSize: 2, Keyword: "噪音"})
	require.Len(t, all, 7, "every whistle once, none twice")
	require.ElementsMatch(t, raised, all)
	require.Equal(t, raised[0], all[6])

	// A whistle raised between two pages appears on no later page, and no
	// whistle is skipped or repeated.
	first, err := e.client.SearchWhistles(e.as(streetA), &intakev1.SearchWhistlesRequest{PageSize: 3})
	require.NoError(t, err)
	newer := e.raise(streetA, "noise").GetId()
	rest := e.searchAll(streetA, &intakev1.SearchWhistlesRequest{PageSize: 3, PageToken: first.GetNextPageToken()})
	var got []string
	for _, w := range first.GetWhistles() {
		got = append(got, w.GetId())
	}
	got = append(got, rest...)
	require.Equal(t, all, got)
	require.NotContains(t, got, newer)

	// The period: raised at or after from, before to.
	from := timestamppb.New(t0.Add(time.Minute))
	to := timestamppb.New(t0.Add(3 * time.Minute))
	require.Equal(t, []string{raised[2], raised[1]}, e.searchAll(streetA, &intakev1.SearchWhistlesRequest{RaisedFrom: from, RaisedTo: to}))
	_, err = e.client.SearchWhistles(e.as(streetA), &intakev1.SearchWhistlesRequest{RaisedFrom: to, RaisedTo: from})
	requireCode(t, err, codes.InvalidArgument)
	require.Contains(t, err.Error(), "raised_to")
}
