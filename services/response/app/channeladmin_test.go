package app_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/chuishao/whistle/proto/events"
	responsev1 "github.com/chuishao/whistle/proto/gen/whistle/response/v1"
	"github.com/chuishao/whistle/services/response/app"
	"github.com/chuishao/whistle/services/response/internal/channels/channelstest"
)

// TestChannelsAddedInTheProductCallThePeopleOnDuty: with no channel in the
// configuration (only the providers' accounts), an admin adds the police
// desk's SMS and the supervisors' signed 钉钉 robot through the API; a new
// dispatch texts the person on duty. The robot's key and secret are never
// answered; supervisors list their own district's channels only and change
// none; a disabled channel calls nobody.
func TestChannelsAddedInTheProductCallThePeopleOnDuty(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	aliyun := channelstest.NewAliyun(t, "LTAI-whistle", "aliyun-secret")
	ding := channelstest.NewDingTalk(t, "ding-token-5f1c", "SECding-9a7d", e.clk.Now)
	e.cfg.WebhookAllow = "127.0.0.1" // the providers are loopback receivers
	e.cfg.DeskWindow = -1
	e.cfg.Channels = app.ChannelsConfig{
		AliyunEndpoint: aliyun.URL(), AliyunAccessKeyID: "LTAI-whistle", AliyunAccessSecret: "aliyun-secret",
		AliyunSignName: "吹哨报到", AliyunTemplateCode: "SMS_100",
	}
	a := e.start()
	adm, ctx := e.adminClient(a, admin)
	_, err := adm.AddShift(ctx, &responsev1.AddShiftRequest{Shift: &responsev1.Shift{Department: department, DistrictId: district, Seat: "值班长",
		Person: "张三", Phone: onDutyPhone, StartsAt: timestamppb.New(t0.Add(-time.Hour)), EndsAt: timestamppb.New(t0.Add(8 * time.Hour))}})
	require.NoError(t, err)

	sms, err := adm.CreateChannel(ctx, &responsev1.CreateChannelRequest{Department: department, DistrictId: district, Kind: "aliyun-sms"})
	require.NoError(t, err)
	require.Equal(t, "api", sms.GetSource())
	require.Empty(t, sms.GetTarget(), "SMS goes to whoever is on duty")
	robot, err := adm.CreateChannel(ctx, &responsev1.CreateChannelRequest{Department: "supervisor", DistrictId: district, Kind: "dingtalk",
		RobotUrl: ding.URL(), Secret: "SECding-9a7d"})
	require.NoError(t, err)
	require.True(t, robot.GetSigned())
	require.NotEmpty(t, robot.GetTarget())
	_, err = adm.CreateChannel(ctx, &responsev1.CreateChannelRequest{Department: department, DistrictId: district, Kind: "aliyun-sms"})
	require.Equal(t, codes.AlreadyExists, status.Code(err), "one SMS channel of a kind per desk")
	_, err = adm.CreateChannel(ctx, &responsev1.CreateChannelRequest{Department: department, DistrictId: district, Kind: "wecom",
		RobotUrl: "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k", Secret: "SECnope-1234"})
	require.Equal(t, codes.InvalidArgument, status.Code(err), "a 企业微信 robot has no secret")

	list, err := adm.ListChannels(ctx, &responsev1.ListChannelsRequest{})
	require.NoError(t, err)
	require.Len(t, list.GetChannels(), 2)
	answered, err := protojson.Marshal(list)
	require.NoError(t, err)
	require.NotContains(t, string(answered), "ding-token-5f1c", "the robot's key is write-only")
	require.NotContains(t, string(answered), "SECding-9a7d", "the robot's secret is write-only")

	off := false
	sup, sctx := e.adminClient(a, supervisorOf(district))
	mine, err := sup.ListChannels(sctx, &responsev1.ListChannelsRequest{})
	require.NoError(t, err)
	require.Len(t, mine.GetChannels(), 2, "a district's supervisors list its channels")
	_, err = sup.UpdateChannel(sctx, &responsev1.UpdateChannelRequest{Id: sms.GetId(), Enabled: &off})
	require.Equal(t, codes.PermissionDenied, status.Code(err), "only admins change channels")
	other, octx := e.adminClient(a, supervisorOf("110105"))
	theirs, err := other.ListChannels(octx, &responsev1.ListChannelsRequest{})
	require.NoError(t, err)
	require.Empty(t, theirs.GetChannels(), "another district's supervisors see none")
	desk, dctx := e.adminClient(a, deskOf(department, district))
	_, err = desk.ListChannels(dctx, &responsev1.ListChannelsRequest{})
	require.Equal(t, codes.PermissionDenied, status.Code(err))

	created := e.watch(events.SubjectFor("dispatch.created"))
	e.createDispatch(created, e.request("d-1", "w-1", department))
	waitFor(t, "the new dispatch texts the person on duty", 1, aliyun.Sent)
	require.Equal(t, []string{"新派单 d-1 " + onDutyPhone}, smsEvents(aliyun.Sent()))
	require.Empty(t, aliyun.Bad(), "the request as the provider documents it")

	_, err = adm.UpdateChannel(ctx, &responsev1.UpdateChannelRequest{Id: sms.GetId(), Enabled: &off})
	require.NoError(t, err)
	e.createDispatch(created, e.request("d-2", "w-2", department))
	e.settle()
	require.Len(t, aliyun.Sent(), 1, "a disabled channel calls nobody")

	_, err = adm.DeleteChannel(ctx, &responsev1.DeleteChannelRequest{Id: robot.GetId()})
	require.NoError(t, err)
	_, err = adm.DeleteChannel(ctx, &responsev1.DeleteChannelRequest{Id: robot.GetId()})
	require.Equal(t, codes.NotFound, status.Code(err))
}
