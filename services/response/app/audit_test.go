package app_test

import (
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	responsev1 "github.com/chuishao/whistle/proto/gen/whistle/response/v1"
)

// TestACalendarChangeCommitsOnlyWithItsAuditRecord: the calendar's writes
// join the audit's transaction, so when the audit record cannot be written
// the day is not set either.
func TestACalendarChangeCommitsOnlyWithItsAuditRecord(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a := e.start()
	adm, ctx := e.adminClient(a, admin)
	conn, err := pgx.Connect(ctx, e.cfg.DatabaseURL)
	require.NoError(t, err)
	t.Cleanup(func() { _ = conn.Close(ctx) })
	_, err = conn.Exec(ctx, `ALTER TABLE response.outbox ADD CONSTRAINT no_audit CHECK (subject NOT LIKE 'admin.%') NOT VALID`)
	require.NoError(t, err)

	day := &responsev1.CalendarDay{Date: "2027-03-08", Kind: responsev1.CalendarDay_HOLIDAY, Name: "未留痕"}
	_, err = adm.SetCalendarDay(ctx, &responsev1.SetCalendarDayRequest{Day: day})
	require.Equal(t, codes.Unavailable, status.Code(err), "%v", err)
	var n int
	require.NoError(t, conn.QueryRow(ctx, `SELECT count(*) FROM response.calendar_days WHERE day = '2027-03-08'`).Scan(&n))
	require.Zero(t, n, "the day was not set")

	_, err = conn.Exec(ctx, `ALTER TABLE response.outbox DROP CONSTRAINT no_audit`)
	require.NoError(t, err)
	_, err = adm.SetCalendarDay(ctx, &responsev1.SetCalendarDayRequest{Day: day})
	require.NoError(t, err)
	require.NoError(t, conn.QueryRow(ctx, `SELECT count(*) FROM response.calendar_days WHERE day = '2027-03-08'`).Scan(&n))
	require.Equal(t, 1, n)
}
