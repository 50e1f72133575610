package app_test

import (
	"fmt"
	"mime"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/chuishao/whistle/proto/events"
	responsev1 "github.com/chuishao/whistle/proto/gen/whistle/response/v1"
	"github.com/chuishao/whistle/services/response/app"
	"github.com/chuishao/whistle/services/response/internal/channels/channelstest"
)

// Phones of the people in the channel tests' rosters.
const (
	onDutyPhone        = "13812345678" // 张三, police desk, on duty
	offDutyPhone       = "13900000000" // 李四, police desk, next shift
	supervisorPhone    = "13700000000" // 赵督导, on duty
	offSupervisorPhone = "13600000000" // 钱督导, next shift
)

// channelWorld is a response service whose police desk in the district has
// an Alibaba Cloud SMS channel and a 企业微信 robot, and whose supervisors have
// a Tencent Cloud SMS channel, a 钉钉 robot and e-mail, all local receivers.
type channelWorld struct {
	e               *env
	app             *app.App
	aliyun          *channelstest.AliyunReceiver
	tencent         *channelstest.TencentReceiver
	wecom, dingtalk *channelstest.RobotReceiver
	mail            *channelstest.MailServer
}

func newChannelWorld(t *testing.T) *channelWorld {
	t.Helper()
	e := newEnv(t)
	w := &channelWorld{
		e:        e,
		aliyun:   channelstest.NewAliyun(t, "LTAI-whistle", "aliyun-secret"),
		tencent:  channelstest.NewTencent(t, "AKID-whistle", "tencent-key"),
		wecom:    channelstest.NewWeCom(t, "wecom-key"),
		dingtalk: channelstest.NewDingTalk(t, "ding-token", "SECding", e.clk.Now),
		mail:     channelstest.StartMailServer(t, nil),
	}
	e.cfg.WebhookAllow = "127.0.0.1" // the providers are loopback receivers
	// No heartbeats here: without this a desk with a roster is unstaffed, and
	// its dispatches escalate to 督办 at once (docs/duty-desks.md).
	e.cfg.DeskWindow = -1
	e.cfg.Channels = app.ChannelsConfig{
		Channels: strings.Join([]string{
			department + "@" + district + "=aliyun-sms",
			department + "@" + district + "=wecom:" + w.wecom.URL(),
			"supervisor@" + district + "=tencent-sms",
			"supervisor@" + district + "=dingtalk:" + w.dingtalk.URL() + "|SECding",
			"supervisor@" + district + "=email",
		}, ","),
		SMTPAddr: w.mail.Addr, SMTPFrom: "whistle@example.gov.cn", SMTPStartTLS: "off",
		AliyunEndpoint: w.aliyun.URL(), AliyunAccessKeyID: "LTAI-whistle", AliyunAccessSecret: "aliyun-secret",
		AliyunSignName: "吹哨报到", AliyunTemplateCode: "SMS_100",
		TencentEndpoint: w.tencent.URL(), TencentSecretID: "AKID-whistle", TencentSecretKey: "tencent-key",
		TencentSDKAppID: "1400000000", TencentSignName: "吹哨报到", TencentTemplateID: "100",
	}
	w.app = e.start()
	roster, ctx := e.adminClient(w.app, admin)
	until := t0.Add(8 * time.Hour)
	for _, s := range []*responsev1.Shift{
		{Department: department, Seat: "值班长", Person: "张三", Phone: onDutyPhone, StartsAt: timestamppb.New(t0.Add(-time.Hour)), EndsAt: timestamppb.New(until)},
		{Department: department, Seat: "值班长", Person: "李四", Phone: offDutyPhone, StartsAt: timestamppb.New(until), EndsAt: timestamppb.New(until.Add(8 * time.Hour))},
		{Department: department, Seat: "值班员", Person: "王五", StartsAt: timestamppb.New(t0.Add(-time.Hour)), EndsAt: timestamppb.New(until)}, // no phone: no SMS
		{Department: "supervisor", Seat: "督导", Person: "赵督导", Phone: supervisorPhone, Email: "zhao@example.gov.cn", StartsAt: timestamppb.New(t0.Add(-time.Hour)), EndsAt: timestamppb.New(until)},
		{Department: "supervisor", Seat: "督导", Person: "钱督导", Phone: offSupervisorPhone, Email: "qian@example.gov.cn", StartsAt: timestamppb.New(until), EndsAt: timestamppb.New(until.Add(8 * time.Hour))},
	} {
		s.DistrictId = district
		_, err := roster.AddShift(ctx, &responsev1.AddShiftRequest{Shift: s})
		require.NoError(t, err)
	}
	return w
}

// smsEvents are the events of the messages sent, with their phones: "超时 d-1 13812345678".
func smsEvents(list []channelstest.SMS) []string {
	var out []string
	for _, s := range list {
		out = append(out, fmt.Sprintf("%s %s %s", s.Event, s.Dispatch, strings.Join(s.Phones, ",")))
	}
	return out
}

// robotEvents are the robot messages' titles' event labels: "【超时】派单 d-1".
func robotEvents(list []channelstest.Robot) []string {
	var out []string
	for _, r := range list {
		title, _, _ := strings.Cut(strings.TrimPrefix(r.Markdown, "### "), "\n")
		out = append(out, title)
	}
	return out
}

// waitFor waits (boundedly, in real time) until got() has n items.
func waitFor[T any](t *testing.T, what string, n int, got func() []T) {
	t.Helper()
	require.Eventually(t, func() bool { return len(got()) >= n }, 10*time.Second, 10*time.Millisecond, what)
}

func TestABreachCallsTheOnDutyPersonAndTheRobotAndTheSupervisorAtDuBan(t *testing.T) {
	t.Parallel()
	w := newChannelWorld(t)
	e := w.e
	created := e.watch(events.SubjectFor("dispatch.created"))
	sla := e.watch("sla.v1.>")

	e.createDispatch(created, e.request("d-1", "w-1", department))
	waitFor(t, "the new dispatch reaches the robot", 1, w.wecom.Sent)
	w.wecom.FailNext(1) // the robot's rate limit refuses the next message once: it is retried

	// Nobody acknowledges: 催办 at 80 % of the ack clock, then the breach.
	e.advanceUntil(t0.Add(6*time.Minute), 30*time.Second, sla, isBreach("d-1", "ack"))
	waitFor(t, "warning and breach reach the on-duty person", 3, w.aliyun.Sent)
	// The refused message is retried after the backoff (30 s on the clock).
	for len(w.wecom.Sent()) < 3 {
		require.True(t, e.clk.Now().Before(t0.Add(10*time.Minute)), "the robot's retry came")
		e.clk.Advance(10 * time.Second)
		time.Sleep(5 * time.Millisecond) // let the worker see the advance before the next
	}
	require.Empty(t, w.tencent.Sent(), "the supervisor is not called before 督办")
	require.Empty(t, w.dingtalk.Sent())

	// The arrival clock (30 minutes) warns and breaches before 督办 (35 minutes):
	// its messages go out before the clock moves on, as five minutes would let them.
	e.advanceUntil(t0.Add(40*time.Minute), 30*time.Second, sla, isBreach("d-1", "arrive"))
	waitFor(t, "the arrival's warning and breach reach the on-duty person", 5, w.aliyun.Sent)

	// 30 minutes after the ack breach: 督办 reaches the supervisors' channels.
	e.advanceUntil(t0.Add(40*time.Minute), 30*time.Second, sla, isEscalated("d-1", 2))
	waitFor(t, "督办 reaches the supervisor's SMS", 1, w.tencent.Sent)
	waitFor(t, "督办 reaches the supervisor's robot", 1, w.dingtalk.Sent)
	waitFor(t, "督办 reaches the supervisor's mailbox", 1, w.mail.Received)
	waitFor(t, "督办 reaches the desk too", 6, w.aliyun.Sent)
	waitFor(t, "督办 reaches the desk's robot too", 6, w.wecom.Sent)
	e.settle()

	require.Equal(t, []string{
		"新派单 d-1 " + onDutyPhone, "催办·签收 d-1 " + onDutyPhone, "超时·签收 d-1 " + onDutyPhone,
		"催办·到场 d-1 " + onDutyPhone, "超时·到场 d-1 " + onDutyPhone, "督办 d-1 " + onDutyPhone,
	}, smsEvents(w.aliyun.Sent()), "the on-duty person, once per event; 李四 (off duty) and 王五 (no phone) never")
	require.ElementsMatch(t, []string{
		"【新派单】派单 d-1", "【催办·签收】派单 d-1", "【超时·签收】派单 d-1", "【催办·到场】派单 d-1", "【超时·到场】派单 d-1", "【督办】派单 d-1",
	}, robotEvents(w.wecom.Sent()), "each once; the retried warning may come after the breach")
	require.Equal(t, []string{"督办 d-1 +86" + supervisorPhone}, smsEvents(w.tencent.Sent()), "the supervisor on duty, at 督办 only")
	require.Equal(t, []string{"【督办】派单 d-1"}, robotEvents(w.dingtalk.Sent()))
	mails := w.mail.Received()
	require.Len(t, mails, 1)
	require.Equal(t, []string{"zhao@example.gov.cn"}, mails[0].To, "the supervisor on duty, not 钱督导")
	subject, err := new(mime.WordDecoder).DecodeHeader(mails[0].Header.Get("Subject"))
	require.NoError(t, err)
	require.Equal(t, "【督办】派单 d-1", subject)
	for _, r := range []interface{ Bad() []string }{w.aliyun, w.tencent, w.wecom, w.dingtalk} {
		require.Empty(t, r.Bad(), "every request as the provider documents it")
	}

	// Every send is on the dispatch's delivery log, masked; the refused one too.
	sup, sctx := e.adminClient(w.app, supervisorOf(district))
	var log []*responsev1.WebhookAttempt
	require.Eventually(t, func() bool {
		resp, err := sup.ListWebhookAttempts(sctx, &responsev1.ListWebhookAttemptsRequest{DispatchId: "d-1"})
		require.NoError(t, err)
		log = resp.GetAttempts()
		return len(log) == 6+6+1+1+1+1
	}, 10*time.Second, 10*time.Millisecond)
	lines := map[string]int{}
	var refused []string
	for _, a := range log {
		require.NotContains(t, a.GetUrl(), onDutyPhone)
		require.NotContains(t, a.GetUrl(), "wecom-key")
		require.NotContains(t, a.GetUrl(), "ding-token")
		require.Equal(t, "delivered", a.GetStatus())
		kind, _, _ := strings.Cut(a.GetUrl(), " ")
		lines[fmt.Sprintf("%s %s", kind, a.GetEventName())]++
		if a.GetError() != "" {
			refused = append(refused, kind+" "+a.GetEventName()+": "+a.GetError())
		}
	}
	require.Equal(t, []string{"wecom sla.warning: wecom robot: errcode 45009 api freq out of limit"}, refused)
	require.Equal(t, map[string]int{
		"aliyun-sms dispatch.created": 1, "aliyun-sms sla.warning": 2, "aliyun-sms sla.breached": 2, "aliyun-sms sla.escalated": 1,
		"wecom dispatch.created": 1, "wecom sla.warning": 3, "wecom sla.breached": 2, "wecom sla.escalated": 1,
		"tencent-sms sla.escalated": 1, "dingtalk sla.escalated": 1, "email sla.escalated": 1,
	}, lines, "the refused robot message shows its failed attempt and its retry")
	require.Contains(t, logTargets(log), "aliyun-sms → 张三 138****5678")
	require.Contains(t, logTargets(log), "tencent-sms → 赵督导 137****0000")
	require.Contains(t, logTargets(log), "email → 赵督导 z***@example.gov.cn")
}

func logTargets(log []*responsev1.WebhookAttempt) []string {
	var out []string
	for _, a := range log {
		out = append(out, a.GetUrl())
	}
	return out
}

func TestAStormToOneDeskIsDigestedOnEveryChannel(t *testing.T) {
	t.Parallel()
	w := newChannelWorld(t)
	e := w.e
	const storm = 8
	for i := range storm {
		e.publish(e.request(fmt.Sprintf("d-%d", i), fmt.Sprintf("w-%d", i), department))
	}
	e.settle()
	// The first 3 in the window (the default WHISTLE_CHANNEL_PER_WINDOW) go one by one.
	waitFor(t, "the first three new dispatches by SMS", 3, w.aliyun.Sent)
	waitFor(t, "the first three new dispatches on the robot", 3, w.wecom.Sent)

	// A window later the other 5 arrive as one message with their count. The
	// clock moves 10 s at a time; after each step the workers get up to 250 ms
	// of real time to act on it before the next (a loaded machine is slow, and
	// a step they have not seen would be skipped, not waited for).
	digested := func() bool { return len(w.aliyun.Sent()) >= 4 && len(w.wecom.Sent()) >= 4 }
	for !digested() {
		e.clk.Advance(10 * time.Second)
		require.True(t, e.clk.Now().Before(t0.Add(3*time.Minute)), "the digest came within the window")
		for seen := time.Now(); !digested() && time.Since(seen) < 250*time.Millisecond; {
			time.Sleep(5 * time.Millisecond)
		}
	}
	e.settle()
	sms := w.aliyun.Sent()
	require.Len(t, sms, 4, "3 + one digest, not 8 texts")
	digest := sms[3]
	require.Equal(t, channelstest.SMS{Phones: []string{onDutyPhone}, Event: "汇总", Dispatch: digest.Dispatch, Count: "5"}, digest)
	for _, s := range sms {
		require.Equal(t, []string{onDutyPhone}, s.Phones, "only the person on duty")
	}
	robot := w.wecom.Sent()
	require.Len(t, robot, 4)
	require.True(t, strings.HasPrefix(robot[3].Markdown, "### 【汇总】5 条提醒\n- 新派单 5 条"), robot[3].Markdown)
	require.Empty(t, w.tencent.Sent(), "no escalation, no supervisor")
}
