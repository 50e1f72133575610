package reports_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/chuishao/whistle/services/discovery/internal/reports"
)

func TestTicketLimits(t *testing.T) {
	t.Parallel()
	l, err := reports.ParseTicketLimits("")
	require.NoError(t, err)
	require.Equal(t, reports.DefaultTicketLimits, l)

	l, err = reports.ParseTicketLimits("urgent=1h, consult=3d")
	require.NoError(t, err)
	require.Equal(t, time.Hour, l["urgent"])
	require.Equal(t, 72*time.Hour, l["consult"])
	require.Equal(t, 7*24*time.Hour, l["general"], "types not named keep their default")
	require.Equal(t, []string{"complex", "consult", "expedited", "general", "urgent"}, l.Types())

	for _, bad := range []string{"urgent", "urgent=", "urgent=-1h", "=2h", "urgent=soon"} {
		_, err := reports.ParseTicketLimits(bad)
		require.ErrorContains(t, err, "WHISTLE_HOTLINE_LIMITS", bad)
	}

	code, ok := l.Type("紧急")
	require.True(t, ok)
	require.Equal(t, "urgent", code)
	_, ok = l.Type("someday")
	require.False(t, ok)

	received := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
	require.Equal(t, received.Add(time.Hour), l.Due("urgent", received, time.Time{}))
	given := received.Add(5 * time.Hour)
	require.Equal(t, given, l.Due("urgent", received, given), "the hotline's own due_at wins")
}

func TestDueState(t *testing.T) {
	t.Parallel()
	due := time.Date(2026, 12, 7, 11, 0, 0, 0, time.UTC)
	require.Equal(t, "", reports.DueState(due, time.Time{}, due.Add(-time.Second)))
	require.Equal(t, "BREACHED", reports.DueState(due, time.Time{}, due))
	require.Equal(t, "", reports.DueState(due, due.Add(-time.Minute), due.Add(time.Hour)), "closed in time")
	require.Equal(t, "BREACHED", reports.DueState(due, due.Add(time.Minute), due.Add(time.Hour)), "closed late")
	require.Equal(t, "", reports.DueState(time.Time{}, time.Time{}, due), "no statutory limit")
}
