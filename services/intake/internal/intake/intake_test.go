package intake_test

import (
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/chuishao/whistle/services/intake/internal/intake"
)

var t0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

func fieldsOf(t *testing.T, err error) []string {
	t.Helper()
	var invalid intake.InvalidError
	require.ErrorAs(t, err, &invalid)
	var out []string
	for _, f := range invalid {
		out = append(out, f.Field)
	}
	return out
}

func validRaise() intake.Raise {
	return intake.Raise{StreetID: "110101001", Category: "noise", Description: "工地夜间施工", HasLocation: true, Lat: 39.9, Lng: 116.4}
}

func TestRaiseValidate(t *testing.T) {
	t.Parallel()
	r := validRaise()
	require.NoError(t, r.Validate())
	require.Equal(t, intake.UrgencyNormal, r.Urgency, "unspecified urgency defaults to NORMAL")

	cases := map[string]struct {
		edit func(*intake.Raise)
		want []string
	}{
		"everything missing": {func(r *intake.Raise) { *r = intake.Raise{} }, []string{"street_id", "category", "description", "location"}},
		"blank description":  {func(r *intake.Raise) { r.Description = "  \n" }, []string{"description"}},
		// 2,000 Chinese characters are 6,000 bytes: the limit counts characters.
		"2000 characters is fine": {func(r *intake.Raise) { r.Description = strings.Repeat("噪", 2000) }, nil},
		"2001 characters":         {func(r *intake.Raise) { r.Description = strings.Repeat("噪", 2001) }, []string{"description"}},
		"long title and address": {func(r *intake.Raise) {
			r.Title = strings.Repeat("a", 201)
			r.Address = strings.Repeat("b", 501)
		}, []string{"title", "address"}},
		"lat 91":     {func(r *intake.Raise) { r.Lat = 91 }, []string{"location.lat"}},
		"lng -180.5": {func(r *intake.Raise) { r.Lng = -180.5 }, []string{"location.lng"}},
		"NaN":        {func(r *intake.Raise) { r.Lat, r.Lng = math.NaN(), math.NaN() }, []string{"location.lat", "location.lng"}},
		"edges":      {func(r *intake.Raise) { r.Lat, r.Lng = -90, 180 }, nil},
		"urgency":    {func(r *intake.Raise) { r.Urgency = "PANIC" }, []string{"urgency"}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			r := validRaise()
			tc.edit(&r)
			err := r.Validate()
			if tc.want == nil {
				require.NoError(t, err)
				return
			}
			require.Equal(t, tc.want, fieldsOf(t, err))
		})
	}
}

func TestFeedbackAndReasonValidate(t *testing.T) {
	t.Parallel()
	require.NoError(t, intake.ValidateFeedback(5, "好"))
	require.Equal(t, []string{"satisfaction"}, fieldsOf(t, intake.ValidateFeedback(0, "")))
	require.Equal(t, []string{"satisfaction", "comment"}, fieldsOf(t, intake.ValidateFeedback(6, strings.Repeat("x", 1001))))
	require.Equal(t, []string{"reason"}, fieldsOf(t, intake.ValidateReason(" ", true)))
	require.NoError(t, intake.ValidateReason("", false))
}

func TestStreetActions(t *testing.T) {
	t.Parallel()
	type action func(intake.Status) (intake.Status, bool, error)
	all := []intake.Status{intake.StatusRaised, intake.StatusRouted, intake.StatusResponding, intake.StatusResolved,
		intake.StatusClosed, intake.StatusUnroutable, intake.StatusCancelled, intake.StatusReopened}
	check := func(name string, act action, to intake.Status, from ...intake.Status) {
		for _, s := range all {
			next, changed, err := act(s)
			switch {
			case s == to:
				require.NoError(t, err, "%s on %s repeats", name, s)
				require.False(t, changed, "%s on %s repeats", name, s)
				require.Equal(t, s, next)
			case contains(from, s):
				require.NoError(t, err, "%s from %s", name, s)
				require.True(t, changed)
				require.Equal(t, to, next)
			default:
				var state *intake.StateError
				require.True(t, errors.As(err, &state), "%s from %s must be refused", name, s)
				require.Contains(t, state.Error(), string(s))
			}
		}
	}
	check("cancel", intake.Cancel, intake.StatusCancelled,
		intake.StatusRaised, intake.StatusRouted, intake.StatusResponding, intake.StatusUnroutable, intake.StatusReopened)
	check("close", intake.Close, intake.StatusClosed, intake.StatusResolved)
	check("reopen", intake.Reopen, intake.StatusReopened, intake.StatusResolved, intake.StatusClosed)

	_, _, err := intake.Close(intake.StatusResponding)
	require.EqualError(t, err, "the whistle is RESPONDING; feedback is given once it is resolved")
}

func contains(list []intake.Status, s intake.Status) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func TestRoutingMoves(t *testing.T) {
	t.Parallel()
	require.Equal(t, intake.StatusRouted, intake.OnRouted(intake.StatusRaised))
	require.Equal(t, intake.StatusRouted, intake.OnRouted(intake.StatusUnroutable))
	require.Equal(t, intake.StatusResponding, intake.OnRouted(intake.StatusResponding), "a late whistle.routed does not go back")
	require.Equal(t, intake.StatusCancelled, intake.OnRouted(intake.StatusCancelled))
	require.Equal(t, intake.StatusUnroutable, intake.OnUnroutable(intake.StatusRaised))
	require.Equal(t, intake.StatusUnroutable, intake.OnUnroutable(intake.StatusResponding))
	for _, final := range []intake.Status{intake.StatusResolved, intake.StatusClosed, intake.StatusCancelled} {
		require.Equal(t, final, intake.OnUnroutable(final))
	}
	require.Equal(t, intake.StatusRouted, intake.OnRerouted(intake.StatusUnroutable))
	require.Equal(t, intake.StatusResponding, intake.OnRerouted(intake.StatusResponding))
}

func dispatch(dept string, s intake.DispatchStatus, at time.Time) intake.Dispatch {
	d := intake.Dispatch{Department: dept, Status: s, UpdatedAt: at}
	switch s {
	case intake.DispatchAcknowledged:
		d.AcknowledgedAt = at
	case intake.DispatchResolved:
		d.ResolvedAt = at
	}
	return d
}

func TestAdvance(t *testing.T) {
	t.Parallel()
	both := []string{"police", "urban-management"}
	cases := map[string]struct {
		p    intake.Progress
		want []intake.Status
	}{
		"nothing yet": {intake.Progress{Status: intake.StatusRouted, Routed: true, Expected: both,
			Dispatches: []intake.Dispatch{dispatch("police", intake.DispatchPending, t0)}}, nil},
		"first acknowledgement": {intake.Progress{Status: intake.StatusRouted, Routed: true, Expected: both,
			Dispatches: []intake.Dispatch{dispatch("police", intake.DispatchAcknowledged, t0)}}, []intake.Status{intake.StatusResponding}},
		"one of two resolved": {intake.Progress{Status: intake.StatusResponding, Routed: true, Expected: both,
			Dispatches: []intake.Dispatch{dispatch("police", intake.DispatchResolved, t0), dispatch("urban-management", intake.DispatchArrived, t0)}}, nil},
		"all resolved": {intake.Progress{Status: intake.StatusResponding, Routed: true, Expected: both,
			Dispatches: []intake.Dispatch{dispatch("police", intake.DispatchResolved, t0), dispatch("urban-management", intake.DispatchResolved, t0)}},
			[]intake.Status{intake.StatusResolved}},
		"resolved before routed is not resolved": {intake.Progress{Status: intake.StatusRaised, Routed: false, Expected: nil,
			Dispatches: []intake.Dispatch{dispatch("police", intake.DispatchResolved, t0)}}, nil},
		"routed after everything resolved": {intake.Progress{Status: intake.StatusRouted, Routed: true, Expected: both,
			Dispatches: []intake.Dispatch{dispatch("police", intake.DispatchResolved, t0), dispatch("urban-management", intake.DispatchResolved, t0)}},
			[]intake.Status{intake.StatusResponding, intake.StatusResolved}},
		"a returned department that is no longer expected": {intake.Progress{Status: intake.StatusResponding, Routed: true,
			Expected:   []string{"district-government", "urban-management"},
			Dispatches: []intake.Dispatch{dispatch("police", intake.DispatchReturned, t0), dispatch("district-government", intake.DispatchResolved, t0), dispatch("urban-management", intake.DispatchResolved, t0)}},
			[]intake.Status{intake.StatusResolved}},
		"cancelled stays cancelled": {intake.Progress{Status: intake.StatusCancelled, Routed: true, Expected: both,
			Dispatches: []intake.Dispatch{dispatch("police", intake.DispatchResolved, t0), dispatch("urban-management", intake.DispatchResolved, t0)}}, nil},
		"reopened ignores work from before": {intake.Progress{Status: intake.StatusReopened, Routed: true, ReopenedAt: t0.Add(time.Hour), Expected: both,
			Dispatches: []intake.Dispatch{dispatch("police", intake.DispatchResolved, t0), dispatch("urban-management", intake.DispatchResolved, t0)}}, nil},
		"reopened and acknowledged again": {intake.Progress{Status: intake.StatusReopened, Routed: true, ReopenedAt: t0.Add(time.Hour), Expected: both,
			Dispatches: []intake.Dispatch{dispatch("police", intake.DispatchAcknowledged, t0.Add(2*time.Hour)), dispatch("urban-management", intake.DispatchResolved, t0)}},
			[]intake.Status{intake.StatusResponding}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, tc.want, intake.Advance(tc.p))
		})
	}
}

func TestDispatchRankFollowsItsLife(t *testing.T) {
	t.Parallel()
	order := []intake.DispatchStatus{intake.DispatchPending, intake.DispatchAcknowledged, intake.DispatchArrived, intake.DispatchResolved, intake.DispatchCancelled}
	for i := 1; i < len(order); i++ {
		require.Less(t, order[i-1].Rank(), order[i].Rank())
	}
}

func TestDistanceAndBox(t *testing.T) {
	t.Parallel()
	// 40 m north of a point in Dongcheng.
	lat, lng := 39.9146, 116.4036
	north := lat + 40/111195.0
	require.InDelta(t, 40, intake.DistanceM(lat, lng, north, lng), 0.5)
	minLat, maxLat, minLng, maxLng := intake.Box(lat, lng, 100)
	require.Less(t, minLat, north)
	require.Greater(t, maxLat, north)
	require.InDelta(t, 100, intake.DistanceM(lat, lng, lat, maxLng), 0.5)
	require.InDelta(t, 100, intake.DistanceM(lat, lng, lat, minLng), 0.5)
	require.InDelta(t, 100, intake.DistanceM(lat, lng, minLat, lng), 0.5)
}
