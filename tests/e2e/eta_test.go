package e2e_test

import (
	"context"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/types/known/timestamppb"

	feedbackv1 "github.com/chuishao/whistle/proto/gen/whistle/feedback/v1"
	responsev1 "github.com/chuishao/whistle/proto/gen/whistle/response/v1"
)

// The honest ETA in the authorisation matrix: whoever may see the
// whistle reads its ETA (the others find it left out of the answer); only
// the dispatch's own desk states its ETA.
func init() {
	authzMatrix = append(authzMatrix, matrixRoute{
		name: "ListWhistleEtas", method: http.MethodGet,
		path: func(f matrixFixture) string { return "/v1/etas?whistle_ids=" + f.whistleID },
		rpc: func(ctx context.Context, c *backendClients, f matrixFixture) (bool, error) {
			r, err := c.feedback.ListWhistleEtas(ctx, &feedbackv1.ListWhistleEtasRequest{WhistleIds: []string{f.whistleID}})
			return slices.ContainsFunc(r.GetEtas(), func(e *feedbackv1.WhistleEta) bool { return e.GetWhistleId() == f.whistleID }), err
		},
		seen: func(b map[string]any, f matrixFixture) bool {
			return slices.ContainsFunc(list(b["etas"]), func(e any) bool { return str(obj(e)["whistle_id"]) == f.whistleID })
		},
		//     own dSt oSt desk dDk oDk sup oSup city adm none exp key aud nbf
		want: "A   H   H   A    H   H   A   H    A    F   U    U   U   U   U",
	}, matrixRoute{
		name: "SetDispatchEta", method: http.MethodPost,
		body: map[string]any{"arrive_at": "2099-01-01T00:00:00Z"},
		path: func(f matrixFixture) string { return "/v1/dispatches/" + f.dispatchID + ":setEta" },
		rpc: func(ctx context.Context, c *backendClients, f matrixFixture) (bool, error) {
			_, err := c.response.SetDispatchEta(ctx, &responsev1.SetDispatchEtaRequest{Id: f.dispatchID, ArriveAt: timestamppb.New(time.Date(2099, 1, 1, 0, 0, 0, 0, time.UTC))})
			return true, err
		},
		//     own dSt oSt desk dDk oDk sup oSup city adm none exp key aud nbf
		want: "F   F   F   A    N   N   F   F    F    F   U    U   U   U   U",
	})
}

// A whistle's Open311 expected_datetime is the SLA deadline without history,
// the history's median once the department × category has enough of it, and
// follows the desk's own ETA once it states one; the street reads the basis
// and the desk's note, and the ETA is on the timeline.
func TestEtaFollowsHistoryThenTheDesk(t *testing.T) {
	t.Parallel()
	s := startSystem(t, options{})
	streetTok := streetToken(t, s, donghuamen)
	expected := func(id string) time.Time {
		t.Helper()
		code, raw, _ := s.open311(t, http.MethodGet, "requests/"+id+".json", nil)
		require.Equal(t, http.StatusOK, code, raw)
		return parseTime(t, decodeJSONList(t, raw)[0]["expected_datetime"])
	}
	latestDeadline := func(w map[string]any) time.Time {
		var latest time.Time
		for _, d := range list(w["dispatches"]) {
			if by := parseTime(t, obj(obj(d)["deadlines"])["resolve_by"]); by.After(latest) {
				latest = by
			}
		}
		return latest
	}

	// The history: 20 garbage whistles, each department on site 10 minutes
	// after the dispatch and done 60 minutes after it.
	const n = 20
	var history []string
	var dispatches []map[string]any
	for i := range n {
		id, w := raise(t, s, donghuamen, "garbage", 2)
		history = append(history, id)
		for _, d := range list(w["dispatches"]) {
			dispatches = append(dispatches, obj(d))
		}
		if i == 0 {
			require.True(t, latestDeadline(w).Equal(expected(id)), "without history, the SLA deadline")
		}
	}
	act := func(verb string, body map[string]any) {
		for _, d := range dispatches {
			r := s.do(t, http.MethodPost, "/v1/dispatches/"+str(d["id"])+":"+verb, deskToken(t, s, dongcheng, str(d["department"])), body)
			require.Equal(t, http.StatusOK, r.status, r.raw)
		}
	}
	act("acknowledge", map[string]any{})
	s.clock.Advance(10 * time.Minute)
	act("arrive", map[string]any{"location": map[string]any{"lat": 39.9147, "lng": 116.4035}})
	s.clock.Advance(50 * time.Minute)
	act("resolve", map[string]any{"summary": "已清运"})
	supTok := s.token(t, authIdentity("supervisor", "", dongcheng, ""))
	eventually(t, "the history in feedback", func() bool {
		for _, id := range history {
			for _, d := range list(s.do(t, http.MethodGet, "/v1/whistles/"+id+"/report", supTok, nil).body["dispatches"]) {
				if obj(d)["resolved_at"] == nil {
					return false
				}
			}
		}
		return true
	})
	s.clock.Advance(2 * time.Minute)

	// A new garbage whistle: expected done at its dispatch + the median 60 minutes.
	id, w := raise(t, s, donghuamen, "garbage", 2)
	dispatched := parseTime(t, obj(list(w["dispatches"])[0])["dispatched_at"])
	eventually(t, "expected_datetime from history", func() bool {
		return expected(id).Equal(dispatched.Add(60 * time.Minute))
	})
	etas := s.do(t, http.MethodGet, "/v1/etas?whistle_ids="+id, streetTok, nil)
	require.Equal(t, http.StatusOK, etas.status, etas.raw)
	for _, d := range list(obj(list(etas.body["etas"])[0])["dispatches"]) {
		arrival := obj(obj(d)["arrival"])
		require.Contains(t, []string{"ETA_BASIS_HISTORY_HOUR", "ETA_BASIS_HISTORY_ANY_HOUR"}, arrival["basis"], etas.raw)
		require.EqualValues(t, "20", arrival["samples"])
		require.True(t, parseTime(t, arrival["expected_at"]).Equal(dispatched.Add(10*time.Minute)), etas.raw)
	}

	// The lead's desk states it will be on site in two hours: the estimate follows.
	lead := dispatchOf(t, w, "urban-management")
	leadTok := deskToken(t, s, dongcheng, "urban-management")
	at := s.clock.Now().Add(2 * time.Hour).UTC().Truncate(time.Second)
	other := s.do(t, http.MethodPost, "/v1/dispatches/"+str(lead["id"])+":setEta", deskToken(t, s, dongcheng, "police"),
		map[string]any{"arrive_at": at.Format(time.RFC3339)})
	require.Equal(t, http.StatusNotFound, other.status, "another department's desk: %s", other.raw)
	bad := s.do(t, http.MethodPost, "/v1/dispatches/"+str(lead["id"])+":setEta", leadTok,
		map[string]any{"arrive_at": s.clock.Now().Add(-time.Minute).UTC().Format(time.RFC3339)})
	require.Equal(t, http.StatusBadRequest, bad.status, bad.raw)
	require.Contains(t, bad.raw, "arrive_at")
	set := s.do(t, http.MethodPost, "/v1/dispatches/"+str(lead["id"])+":setEta", leadTok,
		map[string]any{"arrive_at": at.Format(time.RFC3339), "note": "车辆在另一处清运，约两小时到"})
	require.Equal(t, http.StatusOK, set.status, set.raw)
	eventually(t, "expected_datetime from the desk's ETA", func() bool { return expected(id).Equal(at) })
	etas = s.do(t, http.MethodGet, "/v1/etas?whistle_ids="+id, streetTok, nil)
	for _, d := range list(obj(list(etas.body["etas"])[0])["dispatches"]) {
		if str(obj(d)["dispatch_id"]) == str(lead["id"]) {
			arrival := obj(obj(d)["arrival"])
			require.Equal(t, "ETA_BASIS_DESK", arrival["basis"])
			require.Equal(t, "车辆在另一处清运，约两小时到", arrival["note"])
		}
	}
	tl := s.do(t, http.MethodGet, "/v1/whistles/"+id+"/timeline", streetTok, nil)
	require.True(t, slices.ContainsFunc(list(tl.body["entries"]), func(e any) bool { return obj(e)["type"] == "dispatch.eta_set" }), tl.raw)

	// On site, there is no ETA left to state.
	s.do(t, http.MethodPost, "/v1/dispatches/"+str(lead["id"])+":acknowledge", leadTok, map[string]any{})
	r := s.do(t, http.MethodPost, "/v1/dispatches/"+str(lead["id"])+":arrive", leadTok, map[string]any{"location": map[string]any{"lat": 39.9147, "lng": 116.4035}})
	require.Equal(t, http.StatusOK, r.status, r.raw)
	late := s.do(t, http.MethodPost, "/v1/dispatches/"+str(lead["id"])+":setEta", leadTok, map[string]any{"arrive_at": at.Format(time.RFC3339)})
	require.Equal(t, http.StatusBadRequest, late.status, late.raw)
}
