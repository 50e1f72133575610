package feedback_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/chuishao/whistle/platform/auth"
	"github.com/chuishao/whistle/services/feedback/internal/feedback"
)

func TestWholeDays(t *testing.T) {
	t.Parallel()
	cst := feedback.ReportZone
	day := func(d, h, m int) time.Time { return time.Date(2026, 5, d, h, m, 0, 0, cst) }
	for name, tc := range map[string]struct {
		from, to   time.Time
		first, end time.Time
		wantEmpty  bool
	}{
		"calendar month":      {day(1, 0, 0), time.Date(2026, 6, 1, 0, 0, 0, 0, cst), day(1, 0, 0), time.Date(2026, 6, 1, 0, 0, 0, 0, cst), false},
		"ragged edges":        {day(1, 9, 30), day(3, 12, 0), day(2, 0, 0), day(3, 0, 0), false},
		"within one day":      {day(1, 9, 0), day(1, 17, 0), day(2, 0, 0), day(1, 0, 0), true},
		"UTC midnight is 8am": {time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 5, 3, 0, 0, 0, 0, time.UTC), day(2, 0, 0), day(3, 0, 0), false},
	} {
		t.Run(name, func(t *testing.T) {
			got := feedback.WholeDays(tc.from, tc.to)
			require.Equal(t, tc.wantEmpty, got.Empty())
			require.True(t, tc.first.Equal(got.First), "first %s", got.First)
			require.True(t, tc.end.Equal(got.End), "end %s", got.End)
		})
	}
}

func TestRatesAndComposite(t *testing.T) {
	t.Parallel()
	c := feedback.Counts{ResponseBase: 9, AckedOnTime: 7, ArrivalBase: 0, ResolutionBase: 8, Resolved: 6, Rated: 5, Satisfied: 3}
	r := c.Rates()
	require.InDelta(t, 7.0/9, r.Response, 1e-12)
	require.Zero(t, r.Arrival, "nothing to arrive at scores 0, not NaN")
	require.InDelta(t, 68.5278, feedback.DefaultWeights.Composite(r), 1e-4)
	require.Zero(t, feedback.Weights{}.Composite(r))
	require.Error(t, feedback.Weights{Arrival: -1}.Validate())
}

func TestRankSharesTies(t *testing.T) {
	t.Parallel()
	order, ranks := feedback.Rank([]feedback.Ranked{{"c", 50}, {"a", 90}, {"b", 50}, {"d", 10}})
	require.Equal(t, []int{1, 2, 0, 3}, order)
	require.Equal(t, []int{2, 1, 2, 4}, ranks)
}

func TestReportScope(t *testing.T) {
	t.Parallel()
	d, err := feedback.ReportScope(auth.Identity{Role: auth.RoleSupervisor, DistrictID: "110101"}, "")
	require.NoError(t, err)
	require.Equal(t, "110101", d)
	_, err = feedback.ReportScope(auth.Identity{Role: auth.RoleSupervisor, DistrictID: "110101"}, "110102")
	require.ErrorIs(t, err, feedback.ErrOutOfScope)
	d, err = feedback.ReportScope(auth.Identity{Role: auth.RoleSupervisor}, "110102")
	require.NoError(t, err)
	require.Equal(t, "110102", d)
	_, err = feedback.ReportScope(auth.Identity{Role: auth.RoleDesk, DistrictID: "110101"}, "110101")
	require.ErrorIs(t, err, feedback.ErrWrongRole)
}
