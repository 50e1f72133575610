package whistles

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/chuishao/whistle/platform/auth"
	typesv1 "github.com/chuishao/whistle/proto/gen/whistle/types/v1"

	"github.com/chuishao/whistle/services/intake/internal/store"
)

func TestLifecycleTransitions(t *testing.T) {
	t.Parallel()
	e := newRaiseEnv(t)
	cancel := func(s *Service, id auth.Identity, w string) error {
		_, err := s.Cancel(context.Background(), id, w, "")
		return err
	}
	closeIt := func(s *Service, id auth.Identity, w string) error {
		_, err := s.Close(context.Background(), id, w, 4, "修好了")
		return err
	}
	reopen := func(s *Service, id auth.Identity, w string) error {
		_, err := s.Reopen(context.Background(), id, w, "没修好")
		return err
	}
	neighbour := auth.Identity{Subject: "street-b", Role: auth.RoleStreet, StreetID: "110101002", DistrictID: district}
	sup := auth.Identity{Subject: "sup", Role: auth.RoleSupervisor, DistrictID: district}
	for i, tc := range []struct {
		name   string
		from   string
		caller auth.Identity
		act    func(*Service, auth.Identity, string) error
		kind   string
		to     string // the status after; from when unchanged
		event  string // the event's subject prefix; "" when none
	}{
		{"cancel a raised whistle", "RAISED", streetA, cancel, "ok", "CANCELLED", "whistle.v1.cancelled."},
		{"cancel a responding whistle", "RESPONDING", streetA, cancel, "ok", "CANCELLED", "whistle.v1.cancelled."},
		{"cancel a reopened whistle", "REOPENED", streetA, cancel, "ok", "CANCELLED", "whistle.v1.cancelled."},
		{"cancel again changes nothing", "CANCELLED", streetA, cancel, "ok", "CANCELLED", ""},
		{"cancel a resolved whistle", "RESOLVED", streetA, cancel, "state", "RESOLVED", ""},
		{"close a resolved whistle", "RESOLVED", streetA, closeIt, "ok", "CLOSED", "whistle.v1.closed."},
		{"close again changes nothing", "CLOSED", streetA, closeIt, "ok", "CLOSED", ""},
		{"close an open whistle", "ROUTED", streetA, closeIt, "state", "ROUTED", ""},
		{"reopen a resolved whistle", "RESOLVED", streetA, reopen, "ok", "REOPENED", "whistle.v1.reopened."},
		{"reopen a closed whistle", "CLOSED", streetA, reopen, "ok", "REOPENED", "whistle.v1.reopened."},
		{"reopen again changes nothing", "REOPENED", streetA, reopen, "ok", "REOPENED", ""},
		{"reopen an open whistle", "RESPONDING", streetA, reopen, "state", "RESPONDING", ""},
		{"another street's whistle is not found", "RESOLVED", neighbour, reopen, "not found", "RESOLVED", ""},
		{"a supervisor does not act for the street", "RAISED", sup, cancel, "denied", "RAISED", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w, err := e.raise(context.Background(), call{northM: float64(i) * 1000})
			require.NoError(t, err)
			_, err = e.pool.Exec(context.Background(), "UPDATE whistles SET status = $2 WHERE id = $1", w.GetId(), tc.from)
			require.NoError(t, err)
			events := func() int {
				return e.count("SELECT count(*) FROM outbox WHERE subject NOT LIKE 'whistle.v1.raised.%' AND subject NOT LIKE 'whistle.v1.duplicate_candidate.%'")
			}
			before := events()
			err = tc.act(e.s, tc.caller, w.GetId())
			require.Equal(t, tc.kind, kind(err), "%v", err)
			require.Equal(t, tc.to, mustGet(t, e.pool, w.GetId()).Status)
			if tc.event == "" {
				require.Equal(t, before, events(), "no change, no event")
				return
			}
			require.Equal(t, before+1, events(), "the change and its event commit together")
			require.Equal(t, 1, e.count("SELECT count(*) FROM outbox WHERE subject LIKE $1 || '%'", tc.event))
			_, err = e.pool.Exec(context.Background(), "DELETE FROM outbox WHERE subject LIKE $1 || '%'", tc.event)
			require.NoError(t, err)
		})
	}
}

func TestAResidentActsThroughItsTokensScope(t *testing.T) {
	t.Parallel()
	e := newRaiseEnv(t)
	w, err := e.raise(context.Background(), call{})
	require.NoError(t, err)
	_, err = e.pool.Exec(context.Background(), "UPDATE whistles SET status = 'RESOLVED' WHERE id = $1", w.GetId())
	require.NoError(t, err)
	resident := &typesv1.Actor{Role: "resident", Id: "follow-up-1"}
	out, err := e.s.ActAs(context.Background(), auth.Identity{}, "give feedback on", w.GetId(), resident,
		func(store.Whistle) bool { return false }, CloseWith(5, ""))
	require.Equal(t, "not found", kind(err), "out of the token's scope")
	require.Nil(t, out)

	out, err = e.s.ActAs(context.Background(), auth.Identity{}, "give feedback on", w.GetId(), resident,
		func(store.Whistle) bool { return true }, CloseWith(5, "好"))
	require.NoError(t, err)
	require.Equal(t, "CLOSED", out.GetStatus().String())
	require.Equal(t, int32(5), out.GetSatisfaction())
	require.Equal(t, e.s.Clock.Now().UTC(), out.GetClosedAt().AsTime(), "closed at the service's clock")
}
