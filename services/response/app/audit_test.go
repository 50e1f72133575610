package app_test

import (
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"

	eventsv1 "github.com/chuishao/whistle/proto/gen/whistle/events/v1"
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

// TestRostersWebhooksAndAccountsCommitOnlyWithTheirAuditRecord: with the
// outbox refusing audit events, creating a webhook endpoint, a channel or a
// service account, revoking an account and deleting a shift are refused and
// leave nothing changed; once audit records can be written they go through.
func TestRostersWebhooksAndAccountsCommitOnlyWithTheirAuditRecord(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.withServiceAccounts()
	a := e.start()
	adm, ctx := e.adminClient(a, admin)
	conn, err := pgx.Connect(ctx, e.cfg.DatabaseURL)
	require.NoError(t, err)
	t.Cleanup(func() { _ = conn.Close(ctx) })
	account, err := adm.CreateServiceAccount(ctx, &responsev1.CreateServiceAccountRequest{Name: "旧系统", Department: department, DistrictId: district})
	require.NoError(t, err)
	shift, err := adm.AddShift(ctx, &responsev1.AddShiftRequest{Shift: &responsev1.Shift{Department: department, DistrictId: district,
		Seat: "值班长", Person: "张三", Phone: "13800000000", StartsAt: timestamppb.New(t0), EndsAt: timestamppb.New(t0.Add(8 * time.Hour))}})
	require.NoError(t, err)
	count := func(sql string) int {
		var n int
		require.NoError(t, conn.QueryRow(ctx, sql).Scan(&n))
		return n
	}
	actions := []struct {
		name  string
		do    func() error
		count string // rows that say whether the action took effect
		want  int    // their number once it has
	}{
		{"CreateWebhookEndpoint", func() error {
			_, err := adm.CreateWebhookEndpoint(ctx, &responsev1.CreateWebhookEndpointRequest{Department: "water", DistrictId: district,
				Url: "https://water.example/hook", Secret: "water-secret-00001"})
			return err
		}, `SELECT count(*) FROM response.webhook_endpoints WHERE department = 'water'`, 1},
		{"CreateChannel", func() error {
			_, err := adm.CreateChannel(ctx, &responsev1.CreateChannelRequest{Department: "water", DistrictId: district, Kind: "email"})
			return err
		}, `SELECT count(*) FROM response.webhook_endpoints WHERE department = 'water' AND kind = 'email'`, 1},
		{"CreateServiceAccount", func() error {
			_, err := adm.CreateServiceAccount(ctx, &responsev1.CreateServiceAccountRequest{Name: "指挥系统", Department: department, DistrictId: district})
			return err
		}, `SELECT count(*) - 1 FROM response.service_accounts`, 1},
		{"RevokeServiceAccount", func() error {
			_, err := adm.RevokeServiceAccount(ctx, &responsev1.RevokeServiceAccountRequest{Id: account.GetAccount().GetId()})
			return err
		}, `SELECT count(*) FROM response.service_accounts WHERE revoked_at IS NOT NULL`, 1},
		{"DeleteShift", func() error {
			_, err := adm.DeleteShift(ctx, &responsev1.DeleteShiftRequest{Id: shift.GetId()})
			return err
		}, `SELECT 1 - count(*) FROM response.roster_shifts`, 1},
	}

	_, err = conn.Exec(ctx, `ALTER TABLE response.outbox ADD CONSTRAINT no_audit CHECK (subject NOT LIKE 'admin.%') NOT VALID`)
	require.NoError(t, err)
	for _, act := range actions {
		require.Equal(t, codes.Unavailable, status.Code(act.do()), act.name)
		require.Equal(t, 1-act.want, count(act.count), "%s was not applied", act.name)
	}
	_, err = conn.Exec(ctx, `ALTER TABLE response.outbox DROP CONSTRAINT no_audit`)
	require.NoError(t, err)
	for _, act := range actions {
		require.NoError(t, act.do(), act.name)
		require.Equal(t, act.want, count(act.count), "%s was applied", act.name)
	}
}

// TestAdminRecordsNameWhatTheyChanged: the audit records of a new service
// account, an SLA policy and a calendar day name the account, the policy (its
// district and category) and the date, though none of them is an "id" of
// the request or the answer.
func TestAdminRecordsNameWhatTheyChanged(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.withServiceAccounts()
	a := e.start()
	adm, ctx := e.adminClient(a, admin)
	audit := e.watch("admin.v1.>")

	account, err := adm.CreateServiceAccount(ctx, &responsev1.CreateServiceAccountRequest{Name: "指挥系统", Department: department, DistrictId: district})
	require.NoError(t, err)
	_, err = adm.SetPolicy(ctx, &responsev1.SetPolicyRequest{Policy: &responsev1.Policy{Category: "noise", ResolveWorkingDays: 3}})
	require.NoError(t, err)
	_, err = adm.SetPolicy(ctx, &responsev1.SetPolicyRequest{Policy: &responsev1.Policy{Category: "noise", DistrictId: district, ResolveWorkingDays: 2}})
	require.NoError(t, err)
	day := &responsev1.CalendarDay{Date: "2027-03-08", Kind: responsev1.CalendarDay_HOLIDAY, Name: "妇女节"}
	_, err = adm.SetCalendarDay(ctx, &responsev1.SetCalendarDayRequest{Day: day})
	require.NoError(t, err)
	_, err = adm.DeleteCalendarDay(ctx, &responsev1.DeleteCalendarDayRequest{Date: day.GetDate()})
	require.NoError(t, err)

	for _, want := range []struct{ method, object string }{
		{responsev1.SlaAdminService_CreateServiceAccount_FullMethodName, account.GetAccount().GetId()},
		{responsev1.SlaAdminService_SetPolicy_FullMethodName, "/noise"},
		{responsev1.SlaAdminService_SetPolicy_FullMethodName, district + "/noise"},
		{responsev1.SlaAdminService_SetCalendarDay_FullMethodName, "2027-03-08"},
		{responsev1.SlaAdminService_DeleteCalendarDay_FullMethodName, "2027-03-08"},
	} {
		ev := e.next(audit, func(ev *eventsv1.Event) bool { return ev.GetAdminResponse() != nil })
		require.Equal(t, want.method, ev.GetAdminResponse().GetMethod())
		require.Equal(t, want.object, ev.GetAdminResponse().GetObjectId(), want.method)
	}
	require.NotEmpty(t, account.GetAccount().GetId())
}
