package reports_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/chuishao/whistle/services/discovery/internal/reports"
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
		"T1,110105001,garbage,另一街道的同号工单,39.91,116.40,,,2026-11-26 08:00\n" + // 7 good: another street's number
		"T6,110101001,garbage\n" + // 8 field count
		"\n" + // 9 empty: skipped
		"T7,110101001,garbage,\"未闭合的引号,39.91,116.40,,,2026-11-26 08:00\n" // 10 quote
	parsed, err := reports.ParseCSV(context.Background(), strings.NewReader(csv))
	require.NoError(t, err)
	tickets, bad := parsed.Tickets, parsed.Errors
	require.Equal(t, 8, parsed.Rows, "every row but the empty line")
	require.Len(t, tickets, 3)
	require.Equal(t, 2, tickets[0].Line)
	require.Equal(t, "T2", tickets[1].ExternalNumber)
	require.False(t, tickets[1].Report.HasLocation)
	require.True(t, tickets[0].DueAt.Equal(time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC)), "times without offset are Beijing time")
	lines := map[int]string{}
	for _, b := range bad {
		lines[b.Line] = b.Field
		require.NotEmpty(t, b.Reason)
	}
	require.Equal(t, 7, tickets[2].Line)
	require.Equal(t, map[int]string{4: "lat", 5: "due_at", 6: "external_number", 8: "row", 10: "row"}, lines)

	_, err = reports.ParseCSV(context.Background(), strings.NewReader("external_number,street_id\nT1,110101001\n"))
	require.ErrorContains(t, err, "column category is missing")
	_, err = reports.ParseCSV(context.Background(), strings.NewReader(""))
	require.Error(t, err)
}

const csvHeader = "external_number,street_id,category,description,lat,lng,address,received_at,due_at\n"

// TestParseCSVCountsBadRowsAgainstTheRowLimit: rows the CSV reader cannot
// parse count like any other, and only the first MaxRowErrors problems are
// listed.
func TestParseCSVCountsBadRowsAgainstTheRowLimit(t *testing.T) {
	t.Parallel()
	over := csvHeader + strings.Repeat("a\"b\n", reports.MaxCSVRows+1) // a bare quote: a parse error per row
	_, err := reports.ParseCSV(context.Background(), strings.NewReader(over))
	require.ErrorContains(t, err, "more than 50000 rows")

	many := csvHeader + strings.Repeat("a\"b\n", 3*reports.MaxRowErrors)
	parsed, err := reports.ParseCSV(context.Background(), strings.NewReader(many))
	require.NoError(t, err)
	require.Equal(t, 3*reports.MaxRowErrors, parsed.Rows)
	require.Len(t, parsed.Errors, reports.MaxRowErrors)
	require.Equal(t, 2*reports.MaxRowErrors, parsed.Omitted)
	require.Equal(t, 2, parsed.Errors[0].Line)

	// Problems found later (of earlier lines) keep the list the first ones by line.
	parsed.Merge([]reports.RowError{{Line: 1500, Field: "street_id", Reason: "unknown street"}, {Line: 3, Field: "category", Reason: "unknown"}})
	require.Len(t, parsed.Errors, reports.MaxRowErrors)
	require.Equal(t, 2*reports.MaxRowErrors+2, parsed.Omitted)
	require.Equal(t, []int{2, 3, 3}, []int{parsed.Errors[0].Line, parsed.Errors[1].Line, parsed.Errors[2].Line})
}

// TestParseCSVStopsWhenItsContextIsDone: a cancelled import stops reading.
func TestParseCSVStopsWhenItsContextIsDone(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := reports.ParseCSV(ctx, strings.NewReader(csvHeader+strings.Repeat("a\"b\n", reports.MaxCSVRows)))
	require.ErrorIs(t, err, context.Canceled)
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
