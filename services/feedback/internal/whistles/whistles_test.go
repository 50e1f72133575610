package whistles_test

import (
	"context"
	"log/slog"
	"testing"

	"github.com/jonboulle/clockwork"
	"github.com/stretchr/testify/require"

	"github.com/chuishao/whistle/platform/auth"
	responsev1 "github.com/chuishao/whistle/proto/gen/whistle/response/v1"

	"github.com/chuishao/whistle/services/feedback/internal/feedback"
	ft "github.com/chuishao/whistle/services/feedback/internal/feedbacktest"
	"github.com/chuishao/whistle/services/feedback/internal/whistles"
)

var (
	w1          = ft.Whistle{ID: "w-1", District: "110101", Street: "110101001", Category: "noise"}
	ownStreet   = auth.Identity{Role: auth.RoleStreet, Subject: "s", StreetID: "110101001"}
	otherStreet = auth.Identity{Role: auth.RoleStreet, Subject: "s2", StreetID: "110101002"}
	police      = auth.Identity{Role: auth.RoleDesk, Subject: "police-desk", Department: "police", DistrictID: "110101"}
	water       = auth.Identity{Role: auth.RoleDesk, Subject: "water-desk", Department: "water", DistrictID: "110101"}
	supervisor  = auth.Identity{Role: auth.RoleSupervisor, Subject: "sup", DistrictID: "110101"}
	otherSup    = auth.Identity{Role: auth.RoleSupervisor, Subject: "sup-2", DistrictID: "110102"}
	admin       = auth.Identity{Role: auth.RoleAdmin, Subject: "admin"}
	public      = auth.Identity{Role: auth.RolePublic, Subject: "open311"}
)

// setup is a service over one whistle dispatched to the police, who arrived
// in time.
func setup(t *testing.T) *whistles.Service {
	t.Helper()
	pool := ft.Pool(t)
	ft.Record(t, pool, ft.Raised(w1),
		ft.Created(1, ft.Dispatch("d-1", w1, "police", responsev1.Dispatch_PENDING, 1)),
		ft.Arrived(20, ft.Dispatch("d-1", w1, "police", responsev1.Dispatch_ARRIVED, 20)))
	return &whistles.Service{Pool: pool, Log: slog.New(slog.DiscardHandler), Clock: clockwork.NewFakeClockAt(ft.Minutes(60)), Keys: ft.Keys}
}

// Whoever may read a whistle reads its timeline, its upward report and its
// ETA alike; whoever may not gets the same answer as for an unknown whistle.
func TestEveryWhistleReadChecksTheSameAccess(t *testing.T) {
	t.Parallel()
	s := setup(t)
	ctx := context.Background()
	for _, tc := range []struct {
		name    string
		caller  auth.Identity
		whistle string
		wantErr error
		fields  []string
	}{
		{name: "the raising street", caller: ownStreet, whistle: "w-1"},
		{name: "the dispatched desk", caller: police, whistle: "w-1"},
		{name: "the district's supervisor", caller: supervisor, whistle: "w-1"},
		{name: "another street", caller: otherStreet, whistle: "w-1", wantErr: feedback.ErrNotFound},
		{name: "a desk it was not dispatched to", caller: water, whistle: "w-1", wantErr: feedback.ErrNotFound},
		{name: "another district's supervisor", caller: otherSup, whistle: "w-1", wantErr: feedback.ErrNotFound},
		{name: "an unknown whistle", caller: supervisor, whistle: "w-9", wantErr: feedback.ErrNotFound},
		{name: "an admin", caller: admin, whistle: "w-1", wantErr: feedback.ErrWrongRole},
		{name: "no whistle named", caller: supervisor, fields: []string{"whistle_id"}},
	} {
		t.Run("timeline/"+tc.name, func(t *testing.T) {
			entries, err := s.Timeline(ctx, tc.caller, tc.whistle)
			ft.RequireOutcome(t, err, tc.wantErr, tc.fields)
			if err == nil {
				require.Len(t, entries, 3)
				require.Equal(t, "whistle.raised", entries[0].Type)
			}
		})
		t.Run("upward/"+tc.name, func(t *testing.T) {
			rep, err := s.UpwardReport(ctx, tc.caller, tc.whistle)
			ft.RequireOutcome(t, err, tc.wantErr, tc.fields)
			if err == nil {
				require.Equal(t, "110101001", rep.Story.StreetID)
				require.Equal(t, ft.T0, rep.Story.RaisedAt.UTC())
				require.Len(t, rep.Story.Dispatches, 1)
				require.True(t, rep.Story.Dispatches[0].ArrivedOnTime)
				require.Contains(t, rep.Text, "吹哨")
			}
		})
		if tc.whistle == "" || tc.wantErr == feedback.ErrWrongRole {
			continue // a batch read of several whistles answers these differently
		}
		t.Run("eta/"+tc.name, func(t *testing.T) {
			etas, err := s.Etas(ctx, tc.caller, []string{tc.whistle})
			require.NoError(t, err)
			if tc.wantErr != nil {
				require.Empty(t, etas, "left out, as an unknown whistle is")
				return
			}
			require.Len(t, etas, 1)
			require.Equal(t, "d-1", etas[0].Dispatches[0].DispatchID)
		})
	}
	for _, tc := range []struct {
		name    string
		caller  auth.Identity
		ids     []string
		wantErr error
		fields  []string
		want    int
	}{
		{name: "the public reads every whistle", caller: public, ids: []string{"w-1", "w-9"}, want: 1},
		{name: "an admin does not", caller: admin, ids: []string{"w-1"}, wantErr: feedback.ErrWrongRole},
		{name: "none named", caller: supervisor, fields: []string{"whistle_ids"}},
		{name: "an empty id", caller: supervisor, ids: []string{"w-1", ""}, fields: []string{"whistle_ids"}},
		{name: "too many", caller: supervisor, ids: make([]string, whistles.MaxEtaWhistles+1), fields: []string{"whistle_ids"}},
	} {
		t.Run("etas/"+tc.name, func(t *testing.T) {
			etas, err := s.Etas(ctx, tc.caller, tc.ids)
			ft.RequireOutcome(t, err, tc.wantErr, tc.fields)
			require.Len(t, etas, tc.want)
		})
	}
}

func TestVerifyAudit(t *testing.T) {
	t.Parallel()
	s := setup(t)
	ctx := context.Background()
	for _, tc := range []struct {
		name     string
		caller   auth.Identity
		whistle  string
		wantErr  error
		whistles int64
	}{
		{name: "a desk may not", caller: police, wantErr: feedback.ErrWrongRole},
		{name: "the district's supervisor", caller: supervisor, whistles: 1},
		{name: "another district's supervisor sees none", caller: otherSup, whistles: 0},
		{name: "an admin, one whistle", caller: admin, whistle: "w-1", whistles: 1},
		{name: "an unknown whistle", caller: admin, whistle: "w-9", wantErr: feedback.ErrNotFound},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, err := s.VerifyAudit(ctx, tc.caller, tc.whistle)
			ft.RequireOutcome(t, err, tc.wantErr, nil)
			require.Equal(t, tc.whistles, a.WhistlesChecked)
			require.True(t, a.Ok())
		})
	}
	_, err := s.Pool.Exec(ctx, `UPDATE chain_heads SET last_hash = 'forged' WHERE whistle_id = 'w-1'`)
	require.NoError(t, err)
	a, err := s.VerifyAudit(ctx, admin, "")
	require.NoError(t, err)
	require.False(t, a.Ok())
	require.Equal(t, "w-1", a.Broken[0].WhistleID)
}
