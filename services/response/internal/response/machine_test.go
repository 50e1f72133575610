package response_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/chuishao/whistle/proto/returncodes"
	"github.com/chuishao/whistle/services/response/internal/response"
)

func TestNext(t *testing.T) {
	t.Parallel()
	type want struct {
		to      response.Status
		changed bool
		err     string // substring of the rejection, "" when allowed
	}
	cases := []struct {
		from   response.Status
		action response.Action
		want   want
	}{
		{response.Pending, response.Acknowledge, want{response.Acknowledged, true, ""}},
		{response.Acknowledged, response.Acknowledge, want{response.Acknowledged, false, ""}},
		{response.Arrived, response.Acknowledge, want{response.Arrived, false, ""}},
		{response.Resolved, response.Acknowledge, want{response.Resolved, false, ""}},
		{response.Returned, response.Acknowledge, want{response.Returned, false, "dispatch is RETURNED; it cannot be acknowledged"}},
		{response.Cancelled, response.Acknowledge, want{response.Cancelled, false, "dispatch is CANCELLED; it cannot be acknowledged"}},

		{response.Pending, response.Arrive, want{response.Pending, false, "dispatch is PENDING; acknowledge first"}},
		{response.Acknowledged, response.Arrive, want{response.Arrived, true, ""}},
		{response.Arrived, response.Arrive, want{response.Arrived, false, ""}},
		{response.Resolved, response.Arrive, want{response.Resolved, false, ""}},
		{response.Returned, response.Arrive, want{response.Returned, false, "dispatch is RETURNED"}},
		{response.Cancelled, response.Arrive, want{response.Cancelled, false, "dispatch is CANCELLED"}},

		{response.Pending, response.Resolve, want{response.Pending, false, "acknowledge first"}},
		{response.Acknowledged, response.Resolve, want{response.Resolved, true, ""}},
		{response.Arrived, response.Resolve, want{response.Resolved, true, ""}},
		{response.Resolved, response.Resolve, want{response.Resolved, false, ""}},
		{response.Returned, response.Resolve, want{response.Returned, false, "dispatch is RETURNED; it cannot be resolved"}},
		{response.Cancelled, response.Resolve, want{response.Cancelled, false, "dispatch is CANCELLED; it cannot be resolved"}},

		{response.Pending, response.Return, want{response.Returned, true, ""}},
		{response.Acknowledged, response.Return, want{response.Returned, true, ""}},
		{response.Arrived, response.Return, want{response.Arrived, false, "dispatch is ARRIVED"}},
		{response.Resolved, response.Return, want{response.Resolved, false, "dispatch is RESOLVED; it cannot be returned"}},
		{response.Returned, response.Return, want{response.Returned, false, ""}},
		{response.Cancelled, response.Return, want{response.Cancelled, false, "dispatch is CANCELLED; it cannot be returned"}},

		{response.Pending, response.Cancel, want{response.Cancelled, true, ""}},
		{response.Acknowledged, response.Cancel, want{response.Cancelled, true, ""}},
		{response.Arrived, response.Cancel, want{response.Cancelled, true, ""}},
		{response.Cancelled, response.Cancel, want{response.Cancelled, false, ""}},
		{response.Resolved, response.Cancel, want{response.Resolved, false, "cannot be cancelled"}},
		{response.Returned, response.Cancel, want{response.Returned, false, "cannot be cancelled"}},
	}
	for _, tc := range cases {
		t.Run(string(tc.action)+" from "+string(tc.from), func(t *testing.T) {
			t.Parallel()
			to, changed, err := response.Next(tc.from, tc.action)
			require.Equal(t, tc.want.to, to)
			require.Equal(t, tc.want.changed, changed)
			if tc.want.err == "" {
				require.NoError(t, err)
				return
			}
			var te *response.TransitionError
			require.True(t, errors.As(err, &te), "want a TransitionError, got %v", err)
			require.Contains(t, err.Error(), tc.want.err)
		})
	}
}

func TestApplyRecordsWhoWhenWhere(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	d := response.Dispatch{ID: "d1", Status: response.Pending, Location: &response.LatLng{Lat: 39.9288, Lng: 116.3884}}

	d, changed, err := response.Apply(d, response.Command{Action: response.Acknowledge, By: "desk-1"}, t0, 500)
	require.NoError(t, err)
	require.True(t, changed)
	require.Equal(t, response.Acknowledged, d.Status)
	require.Equal(t, t0, *d.AcknowledgedAt)
	require.Equal(t, "desk-1", d.AcknowledgedBy)

	// About 1.1 km north of the whistle: flagged as far.
	far := response.LatLng{Lat: 39.9388, Lng: 116.3884}
	arrived, changed, err := response.Apply(d, response.Command{Action: response.Arrive, By: "desk-1", Location: &far}, t0.Add(10*time.Minute), 500)
	require.NoError(t, err)
	require.True(t, changed)
	require.True(t, arrived.ArrivalFar)
	require.InDelta(t, 1112, *arrived.ArrivalDistanceM, 5)

	// Next to it: not far.
	near := response.LatLng{Lat: 39.9290, Lng: 116.3884}
	arrived, _, err = response.Apply(d, response.Command{Action: response.Arrive, By: "desk-1", Location: &near}, t0.Add(10*time.Minute), 500)
	require.NoError(t, err)
	require.False(t, arrived.ArrivalFar)
	require.False(t, arrived.ArrivalUnlocated())
	require.Equal(t, near, *arrived.ArrivalLocation)
	require.Nil(t, arrived.ArrivalAccuracyM, "no accuracy reported")

	// With the accuracy the phone reported: kept beside the position.
	acc := 12.5
	arrived, _, err = response.Apply(d, response.Command{Action: response.Arrive, By: "desk-1", Location: &near, AccuracyM: &acc}, t0.Add(10*time.Minute), 500)
	require.NoError(t, err)
	require.Equal(t, 12.5, *arrived.ArrivalAccuracyM)

	// Without a position: arrived all the same, marked unlocated, no distance and not "far".
	unlocated, changed, err := response.Apply(d, response.Command{Action: response.Arrive, By: "desk-1"}, t0.Add(10*time.Minute), 500)
	require.NoError(t, err)
	require.True(t, changed)
	require.Equal(t, response.Arrived, unlocated.Status)
	require.True(t, unlocated.ArrivalUnlocated())
	require.Nil(t, unlocated.ArrivalLocation)
	require.Nil(t, unlocated.ArrivalDistanceM)
	require.False(t, unlocated.ArrivalFar)

	// A repeat changes nothing, not even the time.
	again, changed, err := response.Apply(arrived, response.Command{Action: response.Arrive, By: "desk-2", Location: &far}, t0.Add(20*time.Minute), 500)
	require.NoError(t, err)
	require.False(t, changed)
	require.Equal(t, arrived, again)

	returned, changed, err := response.Apply(d, response.Command{Action: response.Return, By: "desk-1", Reason: "  not ours  ",
		Code: returncodes.NeedsAnotherDepartment, Department: " housing "}, t0, 500)
	require.NoError(t, err)
	require.True(t, changed)
	require.Equal(t, "not ours", returned.ReturnReason)
	require.Equal(t, returncodes.NeedsAnotherDepartment, returned.ReturnCode)
	require.Equal(t, "housing", returned.ReturnDepartment)
}

func TestCommandValidate(t *testing.T) {
	t.Parallel()
	fields := func(err error) []string {
		var inv response.InvalidError
		if !errors.As(err, &inv) {
			return nil
		}
		var out []string
		for _, f := range inv {
			out = append(out, f.Field)
		}
		return out
	}
	cases := []struct {
		name string
		cmd  response.Command
		want []string
	}{
		{"return without reason", response.Command{Action: response.Return, Reason: "   ", Code: returncodes.Duplicate}, []string{"reason"}},
		{"return with a long reason", response.Command{Action: response.Return, Reason: strings.Repeat("理", 501), Code: returncodes.Duplicate}, []string{"reason"}},
		{"return with 500 characters", response.Command{Action: response.Return, Reason: strings.Repeat("理", 500), Code: returncodes.Duplicate}, nil},
		{"return without a code", response.Command{Action: response.Return, Reason: "x"}, []string{"reason_code"}},
		{"return with an unknown code", response.Command{Action: response.Return, Reason: "x", Code: "not_our_remit"}, []string{"reason_code"}},
		{"return naming a department", response.Command{Action: response.Return, Reason: "x", Code: returncodes.NeedsAnotherDepartment, Department: "housing"}, nil},
		{"return naming a department with another code", response.Command{Action: response.Return, Reason: "x", Code: returncodes.NotOurRemit, Department: "housing"}, []string{"department"}},
		{"return naming no department code", response.Command{Action: response.Return, Reason: "x", Code: returncodes.NeedsAnotherDepartment, Department: "住建委"}, []string{"department"}},
		{"arrive without location", response.Command{Action: response.Arrive}, nil},
		{"arrive with an accuracy", response.Command{Action: response.Arrive, Location: &response.LatLng{Lat: 39, Lng: 116}, AccuracyM: ptr(35.0)}, nil},
		{"arrive with a negative accuracy", response.Command{Action: response.Arrive, Location: &response.LatLng{Lat: 39, Lng: 116}, AccuracyM: ptr(-1.0)}, []string{"accuracy_m"}},
		{"arrive with an accuracy of 200 km", response.Command{Action: response.Arrive, Location: &response.LatLng{Lat: 39, Lng: 116}, AccuracyM: ptr(200000.0)}, []string{"accuracy_m"}},
		{"arrive with an accuracy but no location", response.Command{Action: response.Arrive, AccuracyM: ptr(10.0)}, []string{"accuracy_m"}},
		{"arrive at lat 91", response.Command{Action: response.Arrive, Location: &response.LatLng{Lat: 91, Lng: 116}}, []string{"location.lat"}},
		{"arrive at lng -181", response.Command{Action: response.Arrive, Location: &response.LatLng{Lat: 39, Lng: -181}}, []string{"location.lng"}},
		{"resolve with a long summary", response.Command{Action: response.Resolve, Summary: strings.Repeat("x", 2001)}, []string{"summary"}},
		{"resolve without summary", response.Command{Action: response.Resolve}, nil},
		{"acknowledge", response.Command{Action: response.Acknowledge}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, tc.want, fields(tc.cmd.Validate()))
		})
	}
}

func ptr[T any](v T) *T { return &v }
