package decisions_test

import (
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/chuishao/whistle/proto/returncodes"
	"github.com/chuishao/whistle/services/routing/internal/routing"
)

func TestRerouteFollowsWhatAReturnSays(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	started := t0.Add(-10 * time.Minute)
	tests := []struct {
		name string
		// earlier returns of the whistle's other dispatches, before this one
		earlier    int
		code       routing.ReturnCode
		department string
		// want is the event that follows, and the department it goes to
		want, to   string
		newRequest bool
	}{
		{name: "naming a department not on the whistle re-dispatches to it, keeping the clock",
			code: returncodes.NeedsAnotherDepartment, department: "housing",
			want: "whistle.rerouted", to: "housing", newRequest: true},
		{name: "naming a department already on the whistle joins its dispatch",
			code: returncodes.NeedsAnotherDepartment, department: "environment",
			want: "whistle.rerouted", to: "environment"},
		{name: "naming an unknown department goes to arbitration",
			code: returncodes.NeedsAnotherDepartment, department: "nobody", want: "whistle.arbitration_requested"},
		{name: "any other reason goes to arbitration",
			code: returncodes.NotOurRemit, want: "whistle.arbitration_requested"},
		{name: "a return without a code goes to arbitration", want: "whistle.arbitration_requested"},
		{name: "the whistle's second return goes to arbitration whatever it says", earlier: 1,
			code: returncodes.NeedsAnotherDepartment, department: "housing", want: "whistle.arbitration_requested"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := whistle("joint-enforcement", insideLat, insideLng)
			f.route(t, w)
			dispatches := f.dispatches(t, w.ID)
			reroute := func(r routing.Returned) error {
				return f.tx(t, func(tx pgx.Tx) error { return f.svc.Reroute(t.Context(), tx, r) })
			}
			if tc.earlier > 0 {
				require.NoError(t, reroute(routing.Returned{DispatchID: dispatches["environment"], WhistleID: w.ID,
					Code: returncodes.NotOurRemit, Reason: "not ours"}))
			}
			r := routing.Returned{DispatchID: dispatches["police"], WhistleID: w.ID, Code: tc.code, Reason: "not ours",
				Department: tc.department, SLAStartedAt: started}
			require.NoError(t, reroute(r))
			before := len(f.events(t, w.ID))
			require.NoError(t, reroute(r), "the same return again")
			require.Len(t, f.events(t, w.ID), before, "changes nothing")

			ev := f.last(t, w.ID, tc.want)
			switch tc.want {
			case "whistle.rerouted":
				rr := ev.GetWhistleRerouted()
				require.Equal(t, "police", rr.GetFromDepartment())
				require.Equal(t, tc.to, rr.GetTo().GetDepartment())
				if tc.newRequest {
					require.Equal(t, "redirected", rr.GetTo().GetRole())
					require.Equal(t, started, rr.GetTo().GetRequest().GetSlaStartedAt().AsTime(), "the returned dispatch's clock runs on")
					require.Equal(t, rr.GetTo().GetDispatchId(), f.dispatches(t, w.ID)[tc.to])
				} else {
					require.Nil(t, rr.GetTo().GetRequest(), "no second dispatch")
					require.Equal(t, dispatches[tc.to], rr.GetTo().GetDispatchId())
				}
			default:
				ar := ev.GetWhistleArbitrationRequested()
				require.Equal(t, dispatches["police"], ar.GetReturnedDispatchId())
				require.EqualValues(t, tc.earlier+1, ar.GetReturnCount())
				require.Equal(t, tc.code.Legacy(), ar.GetReasonCode())
				if tc.code != "" {
					require.Equal(t, string(tc.code), ar.GetReturnCode().String())
				} else {
					require.Zero(t, ar.GetReturnCode())
				}
				require.Equal(t, 1, f.count(t, "SELECT count(*) FROM arbitrations WHERE whistle_id = $1 AND returned_dispatch_id = $2",
					w.ID, dispatches["police"]))
			}
		})
	}
}

func TestReopenSendsTheWhistleBackOncePerReopen(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	w := whistle("joint-enforcement", insideLat, insideLng)
	f.route(t, w)
	first := f.dispatches(t, w.ID)
	reopen := func(eventID string) {
		require.NoError(t, f.tx(t, func(tx pgx.Tx) error { return f.svc.Reopen(t.Context(), tx, eventID, w.ID, "not fixed") }))
	}
	reopen("reopen-1")
	reopen("reopen-1") // a copy of the same reopen
	require.Equal(t, []string{"whistle.routed", "whistle.redispatched"}, names(f.events(t, w.ID)))
	again := f.last(t, w.ID, "whistle.redispatched").GetWhistleRedispatched()
	require.Equal(t, "not fixed", again.GetReason())
	require.ElementsMatch(t, []string{"urban-management:lead", "police:cooperating", "environment:cooperating"}, asked(again.GetDepartments()))
	for _, to := range again.GetDepartments() {
		require.Equal(t, "reopen:"+first[to.GetDepartment()], to.GetRequest().GetRule(), "linked to the first round")
	}
	reopen("reopen-2")
	second := map[string]string{}
	for _, to := range again.GetDepartments() {
		second[to.GetDepartment()] = to.GetDispatchId()
	}
	third := f.last(t, w.ID, "whistle.redispatched").GetWhistleRedispatched()
	require.Len(t, third.GetDepartments(), 3)
	for _, to := range third.GetDepartments() {
		require.Equal(t, "reopen:"+second[to.GetDepartment()], to.GetRequest().GetRule(), "a third round follows the second")
	}
}
