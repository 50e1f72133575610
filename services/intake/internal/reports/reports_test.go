package reports_test

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/chuishao/whistle/services/intake/internal/reports"
)

func TestGroupLinksNearbyReportsOfOneCategory(t *testing.T) {
	t.Parallel()
	lat, lng := 39.9146, 116.4036
	north := func(m float64) float64 { return lat + m/111195.0 }
	points := []reports.Point{
		{ID: "a", Category: "garbage", Lat: lat, Lng: lng},
		{ID: "b", Category: "garbage", Lat: north(30), Lng: lng},  // 30 m from a
		{ID: "c", Category: "noise", Lat: north(10), Lng: lng},    // near, another category
		{ID: "d", Category: "garbage", Lat: north(120), Lng: lng}, // 90 m from b: chained to a
		{ID: "e", Category: "garbage", Lat: north(500), Lng: lng}, // far away
	}
	require.Equal(t, [][]int{{0, 1, 3}, {2}, {4}}, reports.Group(points, 100))
	require.Equal(t, [][]int{{0}, {1}, {2}, {3}, {4}}, reports.Group(points, 20))
	require.Empty(t, reports.Group(nil, 100))
}

func TestTriageState(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	by := at.Add(2 * time.Hour)
	require.Equal(t, "", reports.TriageState(reports.StatusReceived, at, by, at.Add(95*time.Minute)))
	require.Equal(t, "WARNING", reports.TriageState(reports.StatusReceived, at, by, at.Add(96*time.Minute)))
	require.Equal(t, "BREACHED", reports.TriageState(reports.StatusReceived, at, by, by))
	require.Equal(t, "", reports.TriageState(reports.StatusClosed, at, by, by.Add(time.Hour)), "a triaged report's clock is stopped")
}

func TestParseCSVReportsEveryBadLine(t *testing.T) {
	t.Parallel()
	csv := "\ufeffexternal_number,street_id,category,description,lat,lng,address,received_at,due_at\n" +
		"T1,110101001,garbage,垃圾,39.91,116.40,东华门,2026-11-23 08:00,2026-11-26 08:00\n" + // 2 good
		"T2,110101001,garbage,无坐标,,,东华门,,2026-11-26T08:00:00+08:00\n" + // 3 good: placed at the street later
		"T3,110101001,garbage,坐标,x,116.40,,,2026-11-26 08:00\n" + // 4 lat
		"T4,110101001,garbage,时限早于受理,39.91,116.40,,2026-11-27 08:00,2026-11-26 08:00\n" + // 5 due_at
		"T1,110101001,garbage,重复,39.91,116.40,,,2026-11-26 08:00\n" + // 6 repeats line 2
		"T6,110101001,garbage\n" + // 7 field count
		"\n" + // 8 empty: skipped
		"T7,110101001,garbage,\"未闭合的引号,39.91,116.40,,,2026-11-26 08:00\n" // 9 quote
	tickets, bad, err := reports.ParseCSV(strings.NewReader(csv))
	require.NoError(t, err)
	require.Len(t, tickets, 2)
	require.Equal(t, 2, tickets[0].Line)
	require.Equal(t, "T2", tickets[1].ExternalNumber)
	require.False(t, tickets[1].Report.HasLocation)
	require.True(t, tickets[0].DueAt.Equal(time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC)), "times without offset are Beijing time")
	lines := map[int]string{}
	for _, b := range bad {
		lines[b.Line] = b.Field
		require.NotEmpty(t, b.Reason)
	}
	require.Equal(t, map[int]string{4: "lat", 5: "due_at", 6: "external_number", 7: "row", 9: "row"}, lines)

	_, _, err = reports.ParseCSV(strings.NewReader("external_number,street_id\nT1,110101001\n"))
	require.ErrorContains(t, err, "column category is missing")
	_, _, err = reports.ParseCSV(strings.NewReader(""))
	require.Error(t, err)
}

func TestTokensAreRandomAndStoredHashed(t *testing.T) {
	t.Parallel()
	a, ha := reports.NewToken()
	b, _ := reports.NewToken()
	require.NotEqual(t, a, b)
	require.Len(t, a, 24)
	require.Equal(t, ha, reports.HashToken(a))
	require.NotContains(t, ha, a)
}
