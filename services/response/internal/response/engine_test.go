package response_test

import (
	"errors"
	"testing"
	"time"
	_ "time/tzdata" // the tz database, to check the fixed zone against it on any host

	"github.com/stretchr/testify/require"

	"github.com/chuishao/whistle/services/response/internal/response"
)

// national2025 is the 2025 国庆 + 中秋 schedule: 1–8 October off, Sunday 28
// September and Saturday 11 October worked.
func national2025() *response.Calendar {
	cal := &response.Calendar{Special: map[string]response.DayKind{
		"2025-09-28": response.Workday,
		"2025-10-11": response.Workday,
	}}
	for d := 1; d <= 8; d++ {
		cal.Special[time.Date(2025, 10, d, 0, 0, 0, 0, time.UTC).Format(response.DateLayout)] = response.Holiday
	}
	return cal
}

func TestWorkingTimeAcrossNationalDay(t *testing.T) {
	t.Parallel()
	cal := national2025()
	at := func(m time.Month, d, h, min int) time.Time {
		return time.Date(2025, m, d, h, min, 0, 0, response.Shanghai)
	}
	cases := []struct {
		name  string
		start time.Time
		days  int
		want  time.Time
	}{
		// 7 h on Tue 30 Sep, 8 h each on Thu 9 and Fri 10 Oct, 1 h on the 调休 Saturday.
		{"three days from the eve", at(9, 30, 10, 0), 3, at(10, 11, 10, 0)},
		// Started during the holiday: the clock waits for Thu 9 Oct 09:00.
		{"started on a holiday", at(10, 3, 15, 0), 1, at(10, 9, 17, 0)},
		// Friday evening: Saturday 11 Oct is worked, Sunday 12 is not.
		{"friday after hours", at(10, 10, 18, 30), 2, at(10, 13, 17, 0)},
		// Sunday 28 Sep is worked.
		{"the 调休 Sunday counts", at(9, 27, 12, 0), 1, at(9, 28, 17, 0)},
		{"inside one day", at(9, 29, 9, 30), 0, at(9, 29, 9, 30)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := cal.AddWorkingTime(tc.start, time.Duration(tc.days)*cal.DayLength())
			require.True(t, got.Equal(tc.want), "got %s, want %s", got.In(response.Shanghai), tc.want)
			require.Equal(t, time.UTC, got.Location(), "stored in UTC")
		})
	}
	require.False(t, cal.IsWorkingDay(at(10, 8, 12, 0)))
	require.True(t, cal.IsWorkingDay(at(10, 11, 12, 0)))
	// 23:30 UTC on 10 Oct is already Saturday 11 Oct in Beijing.
	require.True(t, cal.IsWorkingDay(time.Date(2025, 10, 10, 23, 30, 0, 0, time.UTC)))
	require.False(t, cal.IsWorkingDay(time.Date(2025, 9, 30, 16, 30, 0, 0, time.UTC)), "already 1 Oct in Beijing")
}

func TestWorkingHoursAreConfigurable(t *testing.T) {
	t.Parallel()
	cal := &response.Calendar{WorkStart: 8*time.Hour + 30*time.Minute, WorkEnd: 17*time.Hour + 30*time.Minute}
	require.Equal(t, 9*time.Hour, cal.DayLength())
	start := time.Date(2026, 3, 6, 16, 30, 0, 0, response.Shanghai) // a Friday
	got := cal.AddWorkingTime(start, 2*time.Hour)
	require.True(t, got.Equal(time.Date(2026, 3, 9, 9, 30, 0, 0, response.Shanghai)), "got %s", got.In(response.Shanghai))
}

func TestShanghaiArithmeticIsDSTFree(t *testing.T) {
	t.Parallel()
	tz, err := time.LoadLocation("Asia/Shanghai")
	require.NoError(t, err)
	// Every day of 2025–2027 is UTC+8 in the tz database too.
	for d := time.Date(2025, 1, 1, 12, 0, 0, 0, time.UTC); d.Year() < 2028; d = d.AddDate(0, 0, 1) {
		_, off := d.In(tz).Zone()
		require.Equal(t, 8*3600, off, d)
	}
	// Across the weekends when Europe and the US change their clocks, a
	// working day is still 8 h and the same instant gives the same deadline
	// whatever zone it was written in.
	cal := &response.Calendar{}
	for _, start := range []time.Time{
		time.Date(2026, 3, 6, 15, 0, 0, 0, response.Shanghai),  // US DST starts 8 Mar
		time.Date(2026, 3, 27, 15, 0, 0, 0, response.Shanghai), // EU DST starts 29 Mar
		time.Date(2026, 10, 23, 15, 0, 0, 0, response.Shanghai),
	} {
		ny, err := time.LoadLocation("America/New_York")
		require.NoError(t, err)
		a := cal.AddWorkingTime(start, 8*time.Hour)
		b := cal.AddWorkingTime(start.In(ny), 8*time.Hour)
		require.True(t, a.Equal(b))
		require.True(t, a.Equal(start.AddDate(0, 0, 3)), "Friday 15:00 + one working day = Monday 15:00, got %s", a.In(response.Shanghai))
	}
}

func TestWorkingDayScheduleWarnsAt80PercentOfWorkingTime(t *testing.T) {
	t.Parallel()
	start := time.Date(2025, 9, 30, 10, 0, 0, 0, response.Shanghai)
	s := response.Policy{ResolveWorkingDays: 3}.WithDefaults().Schedule(start, national2025())
	require.True(t, s.Due[response.ClockResolve].Equal(time.Date(2025, 10, 11, 10, 0, 0, 0, response.Shanghai)))
	// 19.2 working hours: 7 on 30 Sep, 8 on 9 Oct, 4 h 12 min on 10 Oct.
	require.True(t, s.Warn[response.ClockResolve].Equal(time.Date(2025, 10, 10, 13, 12, 0, 0, response.Shanghai)),
		"warn at %s", s.Warn[response.ClockResolve].In(response.Shanghai))
	require.True(t, s.Due[response.ClockArrive].Equal(start.Add(30*time.Minute)))
}

func TestClockStates(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	at := func(d time.Duration) *time.Time { v := t0.Add(d); return &v }
	base := response.Dispatch{
		Status: response.Acknowledged, SLAStartedAt: t0,
		AckBy: t0.Add(5 * time.Minute), ArriveBy: t0.Add(30 * time.Minute), ResolveBy: t0.Add(48 * time.Hour),
	}
	states := func(d response.Dispatch) map[response.Clock]response.State {
		out := map[response.Clock]response.State{}
		for _, cs := range d.ClockStates() {
			out[cs.Clock] = cs.State
		}
		return out
	}

	late := base
	late.AcknowledgedAt = at(7 * time.Minute) // after the deadline, before its timer fired
	late.Warnings = []string{"arrive"}
	require.Equal(t, map[response.Clock]response.State{
		response.ClockAck: response.MetLate, response.ClockArrive: response.Warned, response.ClockResolve: response.OnTime,
	}, states(late))

	breached := late
	breached.Breaches = []string{"arrive"}
	require.Equal(t, response.Breached, states(breached)[response.ClockArrive])

	arrived := breached
	arrived.Status, arrived.ArrivedAt = response.Arrived, at(40*time.Minute)
	require.Equal(t, response.MetLate, states(arrived)[response.ClockArrive])

	onTime := base
	onTime.AcknowledgedAt = at(2 * time.Minute)
	require.Equal(t, response.Met, states(onTime)[response.ClockAck])

	returned := onTime
	returned.Status = response.Returned
	require.Equal(t, response.Stopped, states(returned)[response.ClockArrive])

	extended := response.Extend(base, response.ClockArrive, t0.Add(time.Hour), t0)
	cs := extended.ClockStates()[1]
	require.True(t, cs.DueAt.Equal(t0.Add(time.Hour)))
	require.True(t, cs.OriginalDueAt.Equal(t0.Add(30*time.Minute)))
	// A second extension keeps the first deadline as the original.
	twice := response.Extend(extended, response.ClockArrive, t0.Add(2*time.Hour), t0)
	require.True(t, twice.OriginalArriveBy.Equal(t0.Add(30*time.Minute)))
}

func TestLadder(t *testing.T) {
	t.Parallel()
	l := response.Ladder{}.WithDefaults()
	next, after, ok := l.Next(response.LevelRemind)
	require.True(t, ok)
	require.Equal(t, response.LevelSupervise, next)
	require.Equal(t, 30*time.Minute, after)
	next, after, ok = l.Next(response.LevelSupervise)
	require.True(t, ok)
	require.Equal(t, response.LevelList, next)
	require.Equal(t, 2*time.Hour, after)
	_, _, ok = l.Next(response.LevelList)
	require.False(t, ok)

	d := response.Dispatch{Status: response.Acknowledged, Breaches: []string{"ack", "arrive"}}
	c, unmet := d.UnmetBreach()
	require.True(t, unmet)
	require.Equal(t, response.ClockArrive, c, "ack is met; arrive is not")
	d.Status = response.Arrived
	_, unmet = d.UnmetBreach()
	require.False(t, unmet)

	d.EscalationLevel = response.MaxLevel
	_, err := response.ManualEscalation(d, "")
	var te *response.TransitionError
	require.True(t, errors.As(err, &te))
	d.Status = response.Resolved
	d.EscalationLevel = 0
	_, err = response.ManualEscalation(d, "")
	require.True(t, errors.As(err, &te))
}

func TestCheckExtensionRequest(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	d := response.Dispatch{Status: response.Acknowledged, AckBy: t0.Add(5 * time.Minute), ArriveBy: t0.Add(30 * time.Minute), ResolveBy: t0.Add(48 * time.Hour)}
	c, err := response.CheckExtensionRequest(d, response.ExtensionRequest{Clock: "arrive", Until: t0.Add(time.Hour), Reason: "封路"}, t0)
	require.NoError(t, err)
	require.Equal(t, response.ClockArrive, c)

	var inv response.InvalidError
	_, err = response.CheckExtensionRequest(d, response.ExtensionRequest{Clock: "lunch", Reason: " "}, t0)
	require.True(t, errors.As(err, &inv))
	require.Len(t, inv, 3) // clock, reason, until

	var te *response.TransitionError
	_, err = response.CheckExtensionRequest(d, response.ExtensionRequest{Clock: "arrive", Until: t0.Add(time.Hour), Reason: "x"}, t0.Add(31*time.Minute))
	require.True(t, errors.As(err, &te), "too late: %v", err)
	_, err = response.CheckExtensionRequest(d, response.ExtensionRequest{Clock: "ack", Until: t0.Add(time.Hour), Reason: "x"}, t0)
	require.True(t, errors.As(err, &te), "ack no longer runs: %v", err)
}
