package app

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/chuishao/whistle/services/response/internal/channels"
	"github.com/chuishao/whistle/services/response/internal/notify"
)

// ChannelsConfig is where messages to people go: the channels per desk and
// the providers' accounts (docs/duty-desks.md, "Channels"). Keys come from the
// environment, i.e. from the deployment's Secret.
type ChannelsConfig struct {
	// Channels are "department@district=kind[:url[|secret]],...": SMS and
	// e-mail to whoever is on duty at the desk, or a group robot's URL;
	// department "supervisor" is the district's supervisors, who hear the
	// escalations. Loaded at start beside WHISTLE_WEBHOOKS.
	Channels string `env:"WHISTLE_CHANNELS"`
	// PerWindow messages per channel in each Window; the events beyond go
	// into one digest sent at the end of the window. Negative: no limit.
	PerWindow int           `env:"WHISTLE_CHANNEL_PER_WINDOW, default=3"`
	Window    time.Duration `env:"WHISTLE_CHANNEL_WINDOW, default=1m"`

	AliyunEndpoint     string `env:"WHISTLE_ALIYUN_SMS_ENDPOINT, default=https://dysmsapi.aliyuncs.com/"`
	AliyunAccessKeyID  string `env:"WHISTLE_ALIYUN_SMS_ACCESS_KEY_ID"`
	AliyunAccessSecret string `env:"WHISTLE_ALIYUN_SMS_ACCESS_KEY_SECRET"`
	AliyunRegion       string `env:"WHISTLE_ALIYUN_SMS_REGION, default=cn-hangzhou"`
	AliyunSignName     string `env:"WHISTLE_ALIYUN_SMS_SIGN_NAME"`
	AliyunTemplateCode string `env:"WHISTLE_ALIYUN_SMS_TEMPLATE_CODE"`

	TencentEndpoint   string `env:"WHISTLE_TENCENT_SMS_ENDPOINT, default=https://sms.tencentcloudapi.com/"`
	TencentSecretID   string `env:"WHISTLE_TENCENT_SMS_SECRET_ID"`
	TencentSecretKey  string `env:"WHISTLE_TENCENT_SMS_SECRET_KEY"`
	TencentRegion     string `env:"WHISTLE_TENCENT_SMS_REGION, default=ap-guangzhou"`
	TencentSDKAppID   string `env:"WHISTLE_TENCENT_SMS_SDK_APP_ID"`
	TencentSignName   string `env:"WHISTLE_TENCENT_SMS_SIGN_NAME"`
	TencentTemplateID string `env:"WHISTLE_TENCENT_SMS_TEMPLATE_ID"`

	SMTPAddr     string `env:"WHISTLE_SMTP_ADDR"`
	SMTPFrom     string `env:"WHISTLE_SMTP_FROM"`
	SMTPUsername string `env:"WHISTLE_SMTP_USERNAME"`
	SMTPPassword string `env:"WHISTLE_SMTP_PASSWORD"`
	// SMTPStartTLS is auto (upgrade when offered), require or off.
	SMTPStartTLS string `env:"WHISTLE_SMTP_STARTTLS, default=auto"`
}

// sender is the providers' accounts.
func (c ChannelsConfig) sender() channels.Sender {
	return channels.Sender{
		Aliyun: channels.Aliyun{
			Endpoint: c.AliyunEndpoint, AccessKeyID: c.AliyunAccessKeyID, AccessKeySecret: c.AliyunAccessSecret,
			RegionID: c.AliyunRegion, SignName: c.AliyunSignName, TemplateCode: c.AliyunTemplateCode,
		},
		Tencent: channels.Tencent{
			Endpoint: c.TencentEndpoint, SecretID: c.TencentSecretID, SecretKey: c.TencentSecretKey, Region: c.TencentRegion,
			SDKAppID: c.TencentSDKAppID, SignName: c.TencentSignName, TemplateID: c.TencentTemplateID,
		},
		SMTP: channels.SMTP{
			Addr: c.SMTPAddr, From: c.SMTPFrom, Username: c.SMTPUsername, Password: c.SMTPPassword, StartTLS: c.SMTPStartTLS,
		},
	}
}

// throttle is the channels' limit per window (zero values: the defaults).
func (c ChannelsConfig) throttle() notify.Throttle {
	th := notify.Throttle{PerMinute: c.PerWindow, Window: c.Window}
	switch {
	case c.PerWindow == 0:
		th.PerMinute = 3
	case c.PerWindow < 0:
		th.PerMinute = 0
	}
	return th
}

// check validates the channels against the providers configured and the
// egress policy, so that a channel that could never send fails the start.
func (c ChannelsConfig) check(eg notify.Egress) error {
	eps, err := notify.ParseChannels(c.Channels)
	if err != nil {
		return err
	}
	s := c.sender()
	configured := map[string]bool{
		channels.AliyunSMS: s.Aliyun.Configured(), channels.TencentSMS: s.Tencent.Configured(), channels.Email: s.SMTP.Configured(),
		channels.WeCom: true, channels.DingTalk: true,
	}
	var errs []error
	for _, ep := range eps {
		where := ep.Department + "@" + ep.DistrictID
		if !configured[ep.Kind] {
			errs = append(errs, fmt.Errorf("WHISTLE_CHANNELS %s uses %s, whose provider settings are missing (docs/operations.md)", where, ep.Kind))
		}
		if _, people := channels.ToPeople(ep.Kind); !people {
			if err := eg.CheckURL(ep.URL); err != nil {
				errs = append(errs, fmt.Errorf("WHISTLE_CHANNELS %s %s robot: %w", where, ep.Kind, err))
			}
		}
	}
	for _, p := range []struct{ name, url string }{
		{"WHISTLE_ALIYUN_SMS_ENDPOINT", c.AliyunEndpoint}, {"WHISTLE_TENCENT_SMS_ENDPOINT", c.TencentEndpoint},
	} {
		if p.url != "" {
			if err := eg.CheckURL(p.url); err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", p.name, err))
			}
		}
	}
	if c.SMTPStartTLS != "" && !slices.Contains([]string{"auto", "require", "off"}, c.SMTPStartTLS) {
		errs = append(errs, fmt.Errorf("WHISTLE_SMTP_STARTTLS must be auto, require or off, got %q", c.SMTPStartTLS))
	}
	if c.Window < 0 {
		errs = append(errs, errors.New("WHISTLE_CHANNEL_WINDOW must not be negative"))
	}
	return errors.Join(errs...)
}
