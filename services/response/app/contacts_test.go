package app_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/chuishao/whistle/proto/events"
	responsev1 "github.com/chuishao/whistle/proto/gen/whistle/response/v1"
	"github.com/chuishao/whistle/services/response/app"
)

// contacts are a shift's phone and e-mail as one reader sees them.
func contacts(list []*responsev1.Shift) []string {
	var out []string
	for _, s := range list {
		out = append(out, s.GetPhone()+" "+s.GetEmail())
	}
	return out
}

func TestDeskReadsContactsMasked(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a := e.start()
	admin, actx := e.adminClient(a, admin)
	add := func(phone, email string) error {
		_, err := admin.AddShift(actx, &responsev1.AddShiftRequest{Shift: &responsev1.Shift{
			Department: department, DistrictId: district, Seat: "值班长", Person: "张三", Phone: phone, Email: email,
			StartsAt: timestamppb.New(t0.Add(-time.Hour)), EndsAt: timestamppb.New(t0.Add(8 * time.Hour)),
		}})
		return err
	}
	requireField(t, add("13812345678", "张三 <zhang@example.gov.cn>"), "shift.email")
	requireField(t, add("call me", ""), "shift.phone")
	require.NoError(t, add("13812345678", "zhang@example.gov.cn"))
	whole := []string{"13812345678 zhang@example.gov.cn"}
	masked := []string{"138****5678 z***@example.gov.cn"}
	from := timestamppb.New(t0.Add(-2 * time.Hour))

	// The district's supervisor (who manages them) and admins read them whole.
	sup, sctx := e.adminClient(a, supervisorOf(district))
	list, err := sup.ListShifts(sctx, &responsev1.ListShiftsRequest{DistrictId: district, From: from})
	require.NoError(t, err)
	require.Equal(t, whole, contacts(list.GetShifts()))

	// The desk reads its roster, its heartbeat and its dispatches' on_duty masked.
	deskAdmin, dactx := e.adminClient(a, deskOf(department, district))
	list, err = deskAdmin.ListShifts(dactx, &responsev1.ListShiftsRequest{From: from})
	require.NoError(t, err)
	require.Equal(t, masked, contacts(list.GetShifts()))
	desk, dctx := e.client(a, deskOf(department, district))
	beat, err := desk.DeskHeartbeat(dctx, &responsev1.DeskHeartbeatRequest{Desk: "console"})
	require.NoError(t, err)
	require.Equal(t, masked, contacts(beat.GetOnDuty()))
	e.createDispatch(e.watch(events.SubjectFor("dispatch.created")), e.request("d-1", "w-1", department))
	d, err := desk.GetDispatch(dctx, &responsev1.GetDispatchRequest{Id: "d-1"})
	require.NoError(t, err)
	require.Equal(t, masked, contacts(d.GetOnDuty()))
	supDesk, sdctx := e.client(a, supervisorOf(district))
	d, err = supDesk.GetDispatch(sdctx, &responsev1.GetDispatchRequest{Id: "d-1"})
	require.NoError(t, err)
	require.Equal(t, whole, contacts(d.GetOnDuty()))
}

func TestABadChannelConfigurationIsRejectedAtStart(t *testing.T) {
	t.Parallel()
	for entry, want := range map[string]string{
		"police@110101=pager":                                  `kind "pager"`,
		"police@110101=aliyun-sms":                             "aliyun-sms, whose provider settings are missing",
		"police@110101=email":                                  "email, whose provider settings are missing",
		"police@110101=wecom":                                  "needs the robot's http(s) webhook URL",
		"police@110101=wecom:https://qyapi.weixin.qq.com/x|s":  "企业微信 robot has no signing secret",
		"police@110101=dingtalk:http://127.0.0.1:9/robot/send": "dingtalk robot: destination not allowed",
		"police=wecom:https://qyapi.weixin.qq.com/x":           "want department@district=kind",
	} {
		cfg := app.Config{FarArrivalMeters: 500, Channels: app.ChannelsConfig{Channels: entry}}
		err := cfg.Validate()
		require.ErrorContains(t, err, "WHISTLE_CHANNELS", entry)
		require.ErrorContains(t, err, want, entry)
	}
	cfg := app.Config{FarArrivalMeters: 500, Channels: app.ChannelsConfig{SMTPStartTLS: "maybe"}}
	require.ErrorContains(t, cfg.Validate(), "WHISTLE_SMTP_STARTTLS")
}
