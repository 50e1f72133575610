package decisions_test

import (
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/chuishao/whistle/platform/auth"
	eventsv1 "github.com/chuishao/whistle/proto/gen/whistle/events/v1"
	"github.com/chuishao/whistle/proto/returncodes"
	"github.com/chuishao/whistle/services/routing/internal/decisions"
	"github.com/chuishao/whistle/services/routing/internal/routing"
)

var (
	ownStreet      = auth.Identity{Role: auth.RoleStreet, Subject: "s1", StreetID: street, DistrictID: district}
	otherStreet    = auth.Identity{Role: auth.RoleStreet, Subject: "s2", StreetID: "110101002", DistrictID: district}
	supervisor     = auth.Identity{Role: auth.RoleSupervisor, Subject: "sup", DistrictID: district}
	citySupervisor = auth.Identity{Role: auth.RoleSupervisor, Subject: "city"}
	otherDistrict  = auth.Identity{Role: auth.RoleSupervisor, Subject: "sup2", DistrictID: "110102"}
	policeDesk     = auth.Identity{Role: auth.RoleDesk, Subject: "d1", DistrictID: district, Department: "police"}
	housingDesk    = auth.Identity{Role: auth.RoleDesk, Subject: "d2", DistrictID: district, Department: "housing"}
	admin          = auth.Identity{Role: auth.RoleAdmin, Subject: "a1"}
)

// field is the one invalid field of err.
func field(t *testing.T, err error) string {
	t.Helper()
	var invalid routing.InvalidError
	require.ErrorAs(t, err, &invalid)
	require.Len(t, invalid, 1)
	return invalid[0].Field
}

func TestExplainShowsAWhistleOnlyInTheCallersScope(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	w := whistle("joint-enforcement", insideLat, insideLng)
	f.route(t, w)
	for _, tc := range []struct {
		name   string
		caller auth.Identity
		sees   bool
	}{
		{"the raising street", ownStreet, true},
		{"another street", otherStreet, false},
		{"the district's supervisor", supervisor, true},
		{"a city supervisor", citySupervisor, true},
		{"another district's supervisor", otherDistrict, false},
		{"a desk the whistle was dispatched to", policeDesk, true},
		{"a desk it was not", housingDesk, false},
		{"an admin", admin, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e, err := f.svc.Explain(t.Context(), tc.caller, w.ID)
			if !tc.sees {
				require.ErrorIs(t, err, routing.ErrNotFound, "hidden as if unknown")
				return
			}
			require.NoError(t, err)
			require.Equal(t, "category:joint-enforcement", e.Decision.Rule)
			require.Len(t, e.Assignments, 3)
		})
	}
	_, err := f.svc.Explain(t.Context(), admin, "no-such-whistle")
	require.ErrorIs(t, err, routing.ErrNotFound)
}

func TestAddDepartmentIsAManualWhistle(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	for _, tc := range []struct {
		name       string
		caller     auth.Identity
		department string
		closed     bool
		// err is the error wanted, field the invalid field; neither: added is how many dispatches were added
		err   error
		field string
		added int
	}{
		{name: "the raising street adds a department", caller: ownStreet, department: "housing", added: 1},
		{name: "a supervisor adds one", caller: supervisor, department: "water", added: 1},
		{name: "a department already on the whistle is not asked twice", caller: ownStreet, department: "police"},
		{name: "another street cannot see the whistle", caller: otherStreet, department: "housing", err: routing.ErrNotFound},
		{name: "nor another district's supervisor", caller: otherDistrict, department: "housing", err: routing.ErrNotFound},
		{name: "a department is required", caller: ownStreet, field: "department"},
		{name: "an unknown department is refused", caller: ownStreet, department: "nobody", field: "department"},
		{name: "a closed whistle takes no one more", caller: ownStreet, department: "housing", closed: true, err: routing.ErrConflict},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := whistle("joint-enforcement", insideLat, insideLng)
			f.route(t, w)
			if tc.closed {
				require.NoError(t, f.tx(t, func(tx pgx.Tx) error { return f.svc.Close(t.Context(), tx, w.ID) }))
			}
			e, err := f.svc.AddDepartment(t.Context(), tc.caller, w.ID, tc.department, "needs a hand")
			switch {
			case tc.field != "":
				require.Equal(t, tc.field, field(t, err))
			case tc.err != nil:
				require.ErrorIs(t, err, tc.err)
			default:
				require.NoError(t, err)
				require.Len(t, e.Assignments, 3+tc.added)
			}
			events := names(f.events(t, w.ID))
			require.Equal(t, 1+tc.added, len(events), "%v", events)
			if tc.added > 0 {
				ev := f.last(t, w.ID, "whistle.department_added")
				added := ev.GetWhistleDepartmentAdded()
				require.Equal(t, []string{tc.department + ":added"}, asked([]*eventsv1.RoutedDepartment{added.GetDepartment()}))
				require.Equal(t, "needs a hand", added.GetReason())
				require.Equal(t, tc.caller.Subject, ev.GetActor().GetId())
			}
		})
	}
}

// queued routes a whistle and returns its police dispatch for arbitration.
func (f *fixture) queued(t *testing.T) (routing.Raised, string) {
	t.Helper()
	w := whistle("joint-enforcement", insideLat, insideLng)
	f.route(t, w)
	r := routing.Returned{DispatchID: f.dispatches(t, w.ID)["police"], WhistleID: w.ID, Code: returncodes.NotOurRemit, Reason: "not ours",
		SLAStartedAt: t0}
	require.NoError(t, f.tx(t, func(tx pgx.Tx) error { return f.svc.Reroute(t.Context(), tx, r) }))
	return w, f.last(t, w.ID, "whistle.arbitration_requested").GetWhistleArbitrationRequested().GetArbitrationId()
}

func TestArbitrateIsBinding(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	for _, tc := range []struct {
		name   string
		caller auth.Identity
		// decided is the department an earlier decision chose ("" for none)
		decided string
		a       decisions.Arbitration
		err     error
		field   string
		// dispatched reports whether this decision dispatched its department
		dispatched bool
	}{
		{name: "the district's supervisor decides", caller: supervisor,
			a: decisions.Arbitration{Department: "housing", Note: "theirs"}, dispatched: true},
		{name: "resetting the clock with a reason", caller: citySupervisor,
			a: decisions.Arbitration{Department: "housing", ResetSLA: true, Reason: "wrong desk"}, dispatched: true},
		{name: "the same decision again changes nothing", caller: supervisor, decided: "housing",
			a: decisions.Arbitration{Department: "housing"}},
		{name: "another department after the decision is a conflict", caller: supervisor, decided: "housing",
			a: decisions.Arbitration{Department: "water"}, err: routing.ErrConflict},
		{name: "another district's supervisor cannot see it", caller: otherDistrict,
			a: decisions.Arbitration{Department: "housing"}, err: routing.ErrNotFound},
		{name: "an unknown department is refused", caller: supervisor,
			a: decisions.Arbitration{Department: "nobody"}, field: "department"},
		{name: "resetting the clock needs a reason", caller: supervisor,
			a: decisions.Arbitration{Department: "housing", ResetSLA: true}, field: "reset_reason"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w, id := f.queued(t)
			tc.a.ID = id
			if tc.decided != "" {
				_, err := f.svc.Arbitrate(t.Context(), supervisor, decisions.Arbitration{ID: id, Department: tc.decided})
				require.NoError(t, err)
			}
			before := len(f.events(t, w.ID))
			row, err := f.svc.Arbitrate(t.Context(), tc.caller, tc.a)
			switch {
			case tc.field != "":
				require.Equal(t, tc.field, field(t, err))
			case tc.err != nil:
				require.ErrorIs(t, err, tc.err)
			default:
				require.NoError(t, err)
				require.Equal(t, "decided", row.Status)
				require.Equal(t, tc.a.Department, row.Department)
			}
			if !tc.dispatched {
				require.Len(t, f.events(t, w.ID), before, "nothing more happened")
				return
			}
			ev := f.last(t, w.ID, "whistle.arbitrated")
			require.Equal(t, tc.caller.Subject, ev.GetActor().GetId())
			got := ev.GetWhistleArbitrated()
			require.Equal(t, []string{tc.a.Department + ":arbitrated"}, asked([]*eventsv1.RoutedDepartment{got.GetTo()}))
			require.Equal(t, row.DispatchID, got.GetTo().GetDispatchId())
			require.Equal(t, tc.a.ResetSLA, got.GetTo().GetRequest().GetSlaStartedAt() == nil, "the clock runs on unless reset")
		})
	}
}

func TestConfirmLocationOnlyWhatTheMapFlagged(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	for _, tc := range []struct {
		name     string
		lat, lng float64
		caller   auth.Identity
		twice    bool
		err      error
	}{
		{name: "the street confirms a location in another street", lat: outsideLat, lng: outsideLng, caller: ownStreet},
		{name: "confirming again changes nothing", lat: outsideLat, lng: outsideLng, caller: ownStreet, twice: true},
		{name: "a location inside its street needs no confirmation", lat: insideLat, lng: insideLng, caller: ownStreet, err: routing.ErrConflict},
		{name: "another street cannot see the whistle", lat: outsideLat, lng: outsideLng, caller: otherStreet, err: routing.ErrNotFound},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := whistle("noise", tc.lat, tc.lng)
			f.route(t, w)
			e, err := f.svc.ConfirmLocation(t.Context(), tc.caller, w.ID, "it is ours")
			if tc.twice {
				require.NoError(t, err)
				e, err = f.svc.ConfirmLocation(t.Context(), tc.caller, w.ID, "it is ours")
			}
			confirmations := 0
			for _, n := range names(f.events(t, w.ID)) {
				if n == "whistle.location_confirmed" {
					confirmations++
				}
			}
			if tc.err != nil {
				require.ErrorIs(t, err, tc.err)
				require.Zero(t, confirmations)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.caller.Subject, e.Decision.LocationConfirmedBy)
			require.True(t, e.Decision.LocationConfirmedAt.Valid)
			require.Equal(t, 1, confirmations)
		})
	}
}

func TestListArbitrationsIsTheSupervisorsQueue(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	_, open := f.queued(t)
	_, decided := f.queued(t)
	_, err := f.svc.Arbitrate(t.Context(), supervisor, decisions.Arbitration{ID: decided, Department: "housing"})
	require.NoError(t, err)
	for _, tc := range []struct {
		name             string
		caller           auth.Identity
		district, status string
		want             []string
		err              error
		field            string
	}{
		{name: "open by default", caller: supervisor, want: []string{open}},
		{name: "decided", caller: supervisor, status: "decided", want: []string{decided}},
		{name: "all", caller: supervisor, status: "all", want: []string{open, decided}},
		{name: "a city supervisor names the district", caller: citySupervisor, district: district, status: "all", want: []string{open, decided}},
		{name: "another district's queue is empty", caller: citySupervisor, district: "110102", status: "all"},
		{name: "a district supervisor sees only its own", caller: supervisor, district: "110102", err: routing.ErrPermission},
		{name: "an unknown status is refused", caller: supervisor, status: "closed", field: "status"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rows, err := f.svc.ListArbitrations(t.Context(), tc.caller, tc.district, tc.status)
			switch {
			case tc.field != "":
				require.Equal(t, tc.field, field(t, err))
				return
			case tc.err != nil:
				require.ErrorIs(t, err, tc.err)
				return
			}
			require.NoError(t, err)
			var got []string
			for _, r := range rows {
				got = append(got, r.ID)
			}
			require.ElementsMatch(t, tc.want, got)
		})
	}
}
