package response_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/chuishao/whistle/platform/auth"
	"github.com/chuishao/whistle/services/response/internal/response"
)

// start is when the clocks of the tests' dispatches start.
var start = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

// newDispatch is a pending dispatch whose clocks start at start under p, as
// the consumer creates it.
func newDispatch(start time.Time, p response.Policy) response.Dispatch {
	s := p.Schedule(start, nil)
	warn := func(c response.Clock) *time.Time { w := s.Warn[c]; return &w }
	return response.Dispatch{
		ID: "d", Status: response.Pending, SLAStartedAt: start,
		AckBy: s.Due[response.ClockAck], ArriveBy: s.Due[response.ClockArrive], ResolveBy: s.Due[response.ClockResolve],
		AckWarnAt: warn(response.ClockAck), ArriveWarnAt: warn(response.ClockArrive), ResolveWarnAt: warn(response.ClockResolve),
	}
}

// fireUntil fires d's steps due by until, each at its due time, as a poller
// on time does, and returns them.
func fireUntil(d *response.Dispatch, until time.Time) []response.Step { return fire(d, until, false) }

// fire fires d's steps due by until, each at its due time or, late, all at
// until, and returns them.
func fire(d *response.Dispatch, until time.Time, late bool) []response.Step {
	var out []response.Step
	for {
		s, ok := d.NextStep()
		if !ok || s.DueAt.After(until) {
			return out
		}
		at := s.DueAt
		if late {
			at = until
		}
		*d = d.Fire(s, response.Ladder{}, at)
		out = append(out, s)
	}
}

func TestAnUnattendedDispatchFiresItsWholeLadderInOrder(t *testing.T) {
	t.Parallel()
	p := response.Policy{ResolveWithin: 10 * time.Hour}.WithDefaults()
	require.Equal(t, 5*time.Minute, p.AckWithin)
	require.Equal(t, 30*time.Minute, p.ArriveWithin)
	d := newDispatch(start, p)
	at := start.Add
	require.Equal(t, []response.Step{
		{Clock: response.ClockAck, Kind: response.Warning, DueAt: at(4 * time.Minute)},
		{Clock: response.ClockAck, Kind: response.Breach, DueAt: at(5 * time.Minute)},
		{Clock: response.ClockArrive, Kind: response.Warning, DueAt: at(24 * time.Minute)},
		{Clock: response.ClockArrive, Kind: response.Breach, DueAt: at(30 * time.Minute)},
		// 督办 30 min after the first breach (the arrive breach joins its ladder),
		// 挂牌督办 2 h after that.
		{Clock: response.ClockAck, Kind: response.Escalate, DueAt: at(35 * time.Minute)},
		{Clock: response.ClockAck, Kind: response.Escalate, DueAt: at(155 * time.Minute)},
		{Clock: response.ClockResolve, Kind: response.Warning, DueAt: at(8 * time.Hour)},
		{Clock: response.ClockResolve, Kind: response.Breach, DueAt: at(10 * time.Hour)},
	}, fireUntil(&d, at(100*time.Hour)))
	require.Equal(t, []string{"ack", "arrive", "resolve"}, d.Warnings)
	require.Equal(t, []string{"ack", "arrive", "resolve"}, d.Breaches)
	require.Equal(t, response.MaxLevel, d.EscalationLevel)
	_, ok := d.NextStep()
	require.False(t, ok, "nothing left")
}

func TestALateFiringCatchesUpInOrderAndCountsTheLadderFromDueTimes(t *testing.T) {
	t.Parallel()
	d := newDispatch(start, response.Policy{}.WithDefaults())
	now := start.Add(40 * time.Minute) // a poller 40 minutes behind
	var fired []response.TimerKind
	for _, s := range fire(&d, now, true) {
		fired = append(fired, s.Kind)
	}
	require.Equal(t, []response.TimerKind{response.Warning, response.Breach, response.Warning, response.Breach, response.Escalate}, fired)
	require.Equal(t, response.LevelSupervise, d.EscalationLevel)
	next, ok := d.NextStep()
	require.True(t, ok)
	require.Equal(t, response.Step{Clock: response.ClockAck, Kind: response.Escalate, DueAt: start.Add(155 * time.Minute)}, next,
		"挂牌督办 2 h after 督办 was due, not after it fired")
	require.Equal(t, now, d.UpdatedAt)
}

func TestDeskActionsMoveTheNextStep(t *testing.T) {
	t.Parallel()
	d := newDispatch(start, response.Policy{}.WithDefaults())
	require.Len(t, fireUntil(&d, start.Add(4*time.Minute)), 1, "the ack warning")

	act := func(a response.Action, at time.Time) {
		t.Helper()
		next, changed, err := response.Apply(d, response.Command{Action: a, By: "desk", Location: &response.LatLng{Lat: 39.9, Lng: 116.4}}, at, 0)
		require.NoError(t, err)
		require.True(t, changed)
		d = next
	}
	act(response.Acknowledge, start.Add(4*time.Minute+30*time.Second))
	next, _ := d.NextStep()
	require.Equal(t, response.Step{Clock: response.ClockArrive, Kind: response.Warning, DueAt: start.Add(24 * time.Minute)}, next,
		"the ack breach is gone; the arrive warning is next")

	// The arrive clock breaches, 催办 starts the ladder; arriving stops it.
	require.Len(t, fireUntil(&d, start.Add(31*time.Minute)), 2)
	next, _ = d.NextStep()
	require.Equal(t, response.Escalate, next.Kind)
	act(response.Arrive, start.Add(32*time.Minute))
	next, _ = d.NextStep()
	require.Equal(t, response.Step{Clock: response.ClockResolve, Kind: response.Warning, DueAt: start.Add(72 * time.Hour * 8 / 10)}, next,
		"met, the breach stops the ladder")

	act(response.Resolve, start.Add(time.Hour))
	_, ok := d.NextStep()
	require.False(t, ok, "a resolved dispatch has nothing left to fire")
}

func TestExtensionAndManualEscalationMoveTheNextStep(t *testing.T) {
	t.Parallel()
	d := newDispatch(start, response.Policy{}.WithDefaults())
	fireUntil(&d, start.Add(4*time.Minute))
	// The ack clock, warned at 4 min, is extended to 10 min at 4.5 min: it
	// warns again at 8 min and breaches at 10.
	d = response.Extend(d, response.ClockAck, start.Add(10*time.Minute), start.Add(4*time.Minute+30*time.Second))
	require.Equal(t, []response.Step{
		{Clock: response.ClockAck, Kind: response.Warning, DueAt: start.Add(8 * time.Minute)},
		{Clock: response.ClockAck, Kind: response.Breach, DueAt: start.Add(10 * time.Minute)},
	}, fireUntil(&d, start.Add(10*time.Minute)))

	// A supervisor escalates by hand at 12 min: 督办 now, 挂牌督办 2 h later.
	level, err := response.ManualEscalation(d, "")
	require.NoError(t, err)
	require.Equal(t, start.Add(40*time.Minute), *d.EscalateAt, "the breach's ladder: 督办 at 40 min")
	d = d.EscalateByHand(level, response.Ladder{}, start.Add(12*time.Minute))
	require.Equal(t, response.LevelSupervise, d.EscalationLevel)
	require.Equal(t, start.Add(132*time.Minute), *d.EscalateAt, "挂牌督办 2 h after the step by hand")
}

func TestClockRunning(t *testing.T) {
	t.Parallel()
	require.True(t, response.ClockRunning(response.Pending, response.ClockAck))
	require.False(t, response.ClockRunning(response.Acknowledged, response.ClockAck))
	require.True(t, response.ClockRunning(response.Acknowledged, response.ClockArrive))
	require.False(t, response.ClockRunning(response.Arrived, response.ClockArrive))
	require.True(t, response.ClockRunning(response.Arrived, response.ClockResolve))
	require.False(t, response.ClockRunning(response.Returned, response.ClockResolve))
	require.False(t, response.ClockRunning(response.Cancelled, response.ClockArrive))
}

func TestScopes(t *testing.T) {
	t.Parallel()
	d := response.Dispatch{Department: "police", DistrictID: "110101"}
	deskScope, err := response.ActScope(auth.Identity{Subject: "u", Role: auth.RoleDesk, Department: "police", DistrictID: "110101"})
	require.NoError(t, err)
	require.True(t, deskScope.Allows(d))

	otherDept, err := response.ReadScope(auth.Identity{Subject: "u", Role: auth.RoleDesk, Department: "water", DistrictID: "110101"})
	require.NoError(t, err)
	require.False(t, otherDept.Allows(d))

	otherDistrict, err := response.ReadScope(auth.Identity{Subject: "u", Role: auth.RoleDesk, Department: "police", DistrictID: "110102"})
	require.NoError(t, err)
	require.False(t, otherDistrict.Allows(d))

	city, err := response.ReadScope(auth.Identity{Subject: "s", Role: auth.RoleSupervisor})
	require.NoError(t, err)
	require.True(t, city.Allows(d))

	_, err = response.ActScope(auth.Identity{Subject: "s", Role: auth.RoleSupervisor, DistrictID: "110101"})
	require.ErrorIs(t, err, response.ErrPermission)
	_, err = response.ReadScope(auth.Identity{Subject: "st", Role: auth.RoleStreet, StreetID: "1", DistrictID: "110101"})
	require.ErrorIs(t, err, response.ErrPermission)
	_, err = response.ReadScope(auth.Identity{Subject: "a", Role: auth.RoleAdmin})
	require.ErrorIs(t, err, response.ErrPermission)
}

func TestTermsDefaultToAThirtyMinuteArrival(t *testing.T) {
	t.Parallel()
	terms := response.TermsFor(response.Policy{}, nil)
	require.Equal(t, response.Policy{AckWithin: 5 * time.Minute, ArriveWithin: 30 * time.Minute, ResolveWithin: 72 * time.Hour}, terms.Policy)
	for _, c := range response.Clocks {
		require.Equal(t, response.FromDefault, terms.From[c], c)
	}
	require.Equal(t, "arrive within 30m0s of the SLA start (default)", terms.Explain(response.ClockArrive))
}

func TestTermsTakeTheCatalogueThenThePolicy(t *testing.T) {
	t.Parallel()
	catalogue := response.Policy{ArriveWithin: 20 * time.Minute, ResolveWithin: 24 * time.Hour}

	terms := response.TermsFor(catalogue, nil)
	require.Equal(t, 20*time.Minute, terms.ArriveWithin)
	require.Equal(t, response.FromCatalogue, terms.From[response.ClockArrive])
	require.Equal(t, response.FromDefault, terms.From[response.ClockAck], "the catalogue left the ack clock to the default")
	require.Equal(t, 5*time.Minute, terms.AckWithin)

	// An every-district policy's positive limits win; its zero ones keep the catalogue's.
	terms = response.TermsFor(catalogue, &response.Override{Policy: response.Policy{ArriveWithin: 15 * time.Minute}})
	require.Equal(t, 15*time.Minute, terms.ArriveWithin)
	require.Equal(t, response.FromPolicy, terms.From[response.ClockArrive])
	require.Equal(t, 24*time.Hour, terms.ResolveWithin)
	require.Equal(t, response.FromCatalogue, terms.From[response.ClockResolve])

	// A district's policy in working days replaces the catalogue's resolve hours.
	terms = response.TermsFor(catalogue, &response.Override{District: "110101", Policy: response.Policy{ResolveWorkingDays: 3}})
	require.Equal(t, 3, terms.ResolveWorkingDays)
	require.Equal(t, response.FromDistrictPolicy, terms.From[response.ClockResolve])
	require.Equal(t, "resolve within 3 working days (district policy)", terms.Explain(response.ClockResolve))
	require.Equal(t, 20*time.Minute, terms.ArriveWithin)

	// A policy in hours clears working days a catalogue never sets anyway.
	terms = response.TermsFor(catalogue, &response.Override{Policy: response.Policy{ResolveWithin: 10 * time.Hour}})
	require.Equal(t, 10*time.Hour, terms.ResolveWithin)
	require.Zero(t, terms.ResolveWorkingDays)
}
