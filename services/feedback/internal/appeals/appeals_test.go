package appeals_test

import (
	"context"
	"strings"
	"testing"

	"github.com/jonboulle/clockwork"
	"github.com/stretchr/testify/require"

	"github.com/chuishao/whistle/platform/auth"
	responsev1 "github.com/chuishao/whistle/proto/gen/whistle/response/v1"

	"github.com/chuishao/whistle/services/feedback/internal/appeals"
	"github.com/chuishao/whistle/services/feedback/internal/feedback"
	ft "github.com/chuishao/whistle/services/feedback/internal/feedbacktest"
)

var (
	w1          = ft.Whistle{ID: "w-1", District: "110101", Street: "110101001", Category: "noise"}
	police      = auth.Identity{Role: auth.RoleDesk, Subject: "police-desk", Department: "police", DistrictID: "110101"}
	otherPolice = auth.Identity{Role: auth.RoleDesk, Subject: "police-desk-2", Department: "police", DistrictID: "110102"}
	supervisor  = auth.Identity{Role: auth.RoleSupervisor, Subject: "sup", DistrictID: "110101"}
	citySup     = auth.Identity{Role: auth.RoleSupervisor, Subject: "city"}
	otherSup    = auth.Identity{Role: auth.RoleSupervisor, Subject: "sup-2", DistrictID: "110102"}
	street      = auth.Identity{Role: auth.RoleStreet, Subject: "s", StreetID: "110101001"}
	admin       = auth.Identity{Role: auth.RoleAdmin, Subject: "admin"}
)

// setup is a service over a police dispatch that breached its arrival clock
// (d-1) and one that arrived in time (d-2).
func setup(t *testing.T) *appeals.Service {
	t.Helper()
	pool := ft.Pool(t)
	late := ft.Dispatch("d-1", w1, "police", responsev1.Dispatch_ACKNOWLEDGED, 31)
	ft.Record(t, pool, ft.Raised(w1),
		ft.Created(1, ft.Dispatch("d-1", w1, "police", responsev1.Dispatch_PENDING, 1)),
		ft.Breached(31, late, "arrive"),
		ft.Created(1, ft.Dispatch("d-2", w1, "police", responsev1.Dispatch_PENDING, 1)),
		ft.Arrived(20, ft.Dispatch("d-2", w1, "police", responsev1.Dispatch_ARRIVED, 20)))
	return &appeals.Service{Pool: pool, Clock: clockwork.NewFakeClockAt(ft.Minutes(60))}
}

func TestFile(t *testing.T) {
	t.Parallel()
	s := setup(t)
	ok := appeals.Filing{DispatchID: "d-1", Clock: "arrive", ReasonCode: "force_majeure", Reason: "  暴雨封路  "}
	for _, tc := range []struct {
		name    string
		caller  auth.Identity
		filing  appeals.Filing
		wantErr error
		fields  []string // the invalid fields, in order
	}{
		{name: "a supervisor does not file", caller: supervisor, filing: ok, wantErr: feedback.ErrWrongRole},
		{name: "a street does not file", caller: street, filing: ok, wantErr: feedback.ErrWrongRole},
		{name: "every field checked at once", caller: police, filing: appeals.Filing{Clock: "lunch", ReasonCode: "tired"},
			fields: []string{"dispatch_id", "clock", "reason_code", "reason"}},
		{name: "a reason too long", caller: police, filing: appeals.Filing{DispatchID: "d-1", Clock: "arrive", ReasonCode: "other", Reason: strings.Repeat("雨", 2001)},
			fields: []string{"reason"}},
		{name: "an unknown dispatch", caller: police, filing: appeals.Filing{DispatchID: "d-9", Clock: "arrive", ReasonCode: "other", Reason: "x"}, wantErr: feedback.ErrNotFound},
		{name: "another district's desk", caller: otherPolice, filing: ok, wantErr: feedback.ErrNotFound},
		{name: "a clock that did not breach", caller: police, filing: appeals.Filing{DispatchID: "d-2", Clock: "arrive", ReasonCode: "other", Reason: "x"}, wantErr: feedback.ErrConflict},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := s.File(context.Background(), tc.caller, tc.filing)
			ft.RequireOutcome(t, err, tc.wantErr, tc.fields)
		})
	}

	a, err := s.File(context.Background(), police, ok)
	require.NoError(t, err)
	require.Equal(t, feedback.AppealPending, a.Status)
	require.Equal(t, "暴雨封路", a.Reason, "the reason is trimmed")
	require.Equal(t, feedback.Actor{Role: auth.RoleDesk, ID: "police-desk"}, a.FiledBy)
	require.True(t, a.DecidedAt.IsZero())
	again, err := s.File(context.Background(), police, ok)
	require.NoError(t, err)
	require.Equal(t, a.ID, again.ID, "filing the same clock again returns the open appeal")
	require.Equal(t, 1, outboxRows(t, s, "appeal_filed"), "one event for one appeal")
}

func TestDecide(t *testing.T) {
	t.Parallel()
	s := setup(t)
	ctx := context.Background()
	a, err := s.File(ctx, police, appeals.Filing{DispatchID: "d-1", Clock: "arrive", ReasonCode: "force_majeure", Reason: "暴雨"})
	require.NoError(t, err)
	for _, tc := range []struct {
		name    string
		caller  auth.Identity
		id      string
		accept  bool
		note    string
		wantErr error
		field   string
		status  string
	}{
		{name: "a desk does not decide", caller: police, id: a.ID, accept: true, wantErr: feedback.ErrWrongRole},
		{name: "an admin does not decide", caller: admin, id: a.ID, accept: true, wantErr: feedback.ErrWrongRole},
		{name: "no id", caller: supervisor, accept: true, field: "id"},
		{name: "a note too long", caller: supervisor, id: a.ID, note: strings.Repeat("注", 2001), field: "note"},
		{name: "an unknown appeal", caller: supervisor, id: "a-9", accept: true, wantErr: feedback.ErrNotFound},
		{name: "another district's supervisor", caller: otherSup, id: a.ID, accept: true, wantErr: feedback.ErrNotFound},
		{name: "accepted", caller: supervisor, id: a.ID, accept: true, note: "属实", status: feedback.AppealAccepted},
		{name: "accepted again by the city", caller: citySup, id: a.ID, accept: true, status: feedback.AppealAccepted},
		{name: "rejected after acceptance", caller: supervisor, id: a.ID, accept: false, wantErr: feedback.ErrConflict},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := s.Decide(ctx, tc.caller, tc.id, tc.accept, tc.note)
			switch {
			case tc.field != "":
				ft.RequireOutcome(t, err, nil, []string{tc.field})
			case tc.wantErr != nil:
				require.ErrorIs(t, err, tc.wantErr)
			default:
				require.NoError(t, err)
				require.Equal(t, tc.status, got.Status)
				require.Equal(t, feedback.Actor{Role: auth.RoleSupervisor, ID: "sup"}, got.DecidedBy, "the first decision stands")
				require.Equal(t, "属实", got.DecisionNote)
			}
		})
	}
	var excused bool
	require.NoError(t, s.Pool.QueryRow(ctx, `SELECT arrive_excused FROM dispatch_facts WHERE dispatch_id = 'd-1'`).Scan(&excused))
	require.True(t, excused, "the accepted appeal excuses the arrival clock")
	require.Equal(t, 1, outboxRows(t, s, "appeal_decided"), "deciding twice the same way is one decision")
}

func TestList(t *testing.T) {
	t.Parallel()
	s := setup(t)
	ctx := context.Background()
	_, err := s.File(ctx, police, appeals.Filing{DispatchID: "d-1", Clock: "arrive", ReasonCode: "other", Reason: "x"})
	require.NoError(t, err)
	for _, tc := range []struct {
		name    string
		caller  auth.Identity
		status  string
		want    int
		wantErr error
	}{
		{name: "the desk's own", caller: police, want: 1},
		{name: "another district's desk", caller: otherPolice, want: 0},
		{name: "the district's supervisor", caller: supervisor, want: 1},
		{name: "the city's supervisor", caller: citySup, want: 1},
		{name: "another district's supervisor", caller: otherSup, want: 0},
		{name: "an admin", caller: admin, want: 1},
		{name: "by status", caller: admin, status: feedback.AppealAccepted, want: 0},
		{name: "a street", caller: street, wantErr: feedback.ErrWrongRole},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := s.List(ctx, tc.caller, tc.status)
			if tc.wantErr != nil {
				require.ErrorIs(t, err, tc.wantErr)
				return
			}
			require.NoError(t, err)
			require.Len(t, got, tc.want)
		})
	}
}

// outboxRows counts the outbox's events of one type.
func outboxRows(t *testing.T, s *appeals.Service, subject string) int {
	t.Helper()
	var n int
	require.NoError(t, s.Pool.QueryRow(context.Background(), `SELECT count(*) FROM outbox WHERE subject LIKE '%' || $1 || '%'`, subject).Scan(&n))
	return n
}
