package intake_test

import (
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/chuishao/whistle/platform/invalid"
	"github.com/chuishao/whistle/platform/whistlestatus"
	"github.com/chuishao/whistle/services/intake/internal/intake"
)

var t0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

func fieldsOf(t *testing.T, err error) []string {
	t.Helper()
	var bad invalid.Error
	require.ErrorAs(t, err, &bad)
	var out []string
	for _, f := range bad {
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
	type action func(whistlestatus.Status) (whistlestatus.Status, bool, error)
	all := []whistlestatus.Status{whistlestatus.Raised, whistlestatus.Routed, whistlestatus.Responding, whistlestatus.Resolved,
		whistlestatus.Closed, whistlestatus.Unroutable, whistlestatus.Cancelled, whistlestatus.Reopened}
	check := func(name string, act action, to whistlestatus.Status, from ...whistlestatus.Status) {
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
				var state *whistlestatus.StateError
				require.True(t, errors.As(err, &state), "%s from %s must be refused", name, s)
				require.Contains(t, state.Error(), string(s))
			}
		}
	}
	check("cancel", intake.Cancel, whistlestatus.Cancelled,
		whistlestatus.Raised, whistlestatus.Routed, whistlestatus.Responding, whistlestatus.Unroutable, whistlestatus.Reopened)
	check("close", intake.Close, whistlestatus.Closed, whistlestatus.Resolved)
	check("reopen", intake.Reopen, whistlestatus.Reopened, whistlestatus.Resolved, whistlestatus.Closed)

	_, _, err := intake.Close(whistlestatus.Responding)
	require.EqualError(t, err, "the whistle is RESPONDING; feedback is given once it is resolved")
}

func contains(list []whistlestatus.Status, s whistlestatus.Status) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func dispatch(dept string, s whistlestatus.Dispatch, at time.Time) intake.Dispatch {
	d := intake.Dispatch{Department: dept, Status: s, UpdatedAt: at}
	switch s {
	case whistlestatus.DispatchAcknowledged:
		d.AcknowledgedAt = at
	case whistlestatus.DispatchResolved:
		d.ResolvedAt = at
	}
	return d
}

func TestAdvance(t *testing.T) {
	t.Parallel()
	both := []string{"police", "urban-management"}
	cases := map[string]struct {
		p    intake.Progress
		want []whistlestatus.Status
	}{
		"nothing yet": {intake.Progress{Status: whistlestatus.Routed, Routed: true, Expected: both,
			Dispatches: []intake.Dispatch{dispatch("police", whistlestatus.DispatchPending, t0)}}, nil},
		"first acknowledgement": {intake.Progress{Status: whistlestatus.Routed, Routed: true, Expected: both,
			Dispatches: []intake.Dispatch{dispatch("police", whistlestatus.DispatchAcknowledged, t0)}}, []whistlestatus.Status{whistlestatus.Responding}},
		"one of two resolved": {intake.Progress{Status: whistlestatus.Responding, Routed: true, Expected: both,
			Dispatches: []intake.Dispatch{dispatch("police", whistlestatus.DispatchResolved, t0), dispatch("urban-management", whistlestatus.DispatchArrived, t0)}}, nil},
		"all resolved": {intake.Progress{Status: whistlestatus.Responding, Routed: true, Expected: both,
			Dispatches: []intake.Dispatch{dispatch("police", whistlestatus.DispatchResolved, t0), dispatch("urban-management", whistlestatus.DispatchResolved, t0)}},
			[]whistlestatus.Status{whistlestatus.Resolved}},
		"resolved before routed is not resolved": {intake.Progress{Status: whistlestatus.Raised, Routed: false, Expected: nil,
			Dispatches: []intake.Dispatch{dispatch("police", whistlestatus.DispatchResolved, t0)}}, nil},
		"routed after everything resolved": {intake.Progress{Status: whistlestatus.Routed, Routed: true, Expected: both,
			Dispatches: []intake.Dispatch{dispatch("police", whistlestatus.DispatchResolved, t0), dispatch("urban-management", whistlestatus.DispatchResolved, t0)}},
			[]whistlestatus.Status{whistlestatus.Responding, whistlestatus.Resolved}},
		"a returned department that is no longer expected": {intake.Progress{Status: whistlestatus.Responding, Routed: true,
			Expected:   []string{"district-government", "urban-management"},
			Dispatches: []intake.Dispatch{dispatch("police", whistlestatus.DispatchReturned, t0), dispatch("district-government", whistlestatus.DispatchResolved, t0), dispatch("urban-management", whistlestatus.DispatchResolved, t0)}},
			[]whistlestatus.Status{whistlestatus.Resolved}},
		"cancelled stays cancelled": {intake.Progress{Status: whistlestatus.Cancelled, Routed: true, Expected: both,
			Dispatches: []intake.Dispatch{dispatch("police", whistlestatus.DispatchResolved, t0), dispatch("urban-management", whistlestatus.DispatchResolved, t0)}}, nil},
		"reopened ignores work from before": {intake.Progress{Status: whistlestatus.Reopened, Routed: true, ReopenedAt: t0.Add(time.Hour), Expected: both,
			Dispatches: []intake.Dispatch{dispatch("police", whistlestatus.DispatchResolved, t0), dispatch("urban-management", whistlestatus.DispatchResolved, t0)}}, nil},
		"reopened and acknowledged again": {intake.Progress{Status: whistlestatus.Reopened, Routed: true, ReopenedAt: t0.Add(time.Hour), Expected: both,
			Dispatches: []intake.Dispatch{dispatch("police", whistlestatus.DispatchAcknowledged, t0.Add(2*time.Hour)), dispatch("urban-management", whistlestatus.DispatchResolved, t0)}},
			[]whistlestatus.Status{whistlestatus.Responding}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, tc.want, intake.Advance(tc.p))
		})
	}
}
