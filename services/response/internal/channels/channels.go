// Package channels sends Whistle's events to people where they are: SMS
// through Alibaba Cloud or Tencent Cloud, 企业微信 and 钉钉 group robots, and
// e-mail over SMTP. It only renders and sends one message; queueing, retries,
// throttling, digests and the delivery log are the webhook machinery's
// (package notify), which calls Sender.Send for endpoints of these kinds.
// Each provider's request is written from its published documentation: no SDK.
package channels

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// Kinds of channel (webhook_endpoints.kind); "webhook" is notify's own.
const (
	AliyunSMS  = "aliyun-sms"
	TencentSMS = "tencent-sms"
	WeCom      = "wecom"
	DingTalk   = "dingtalk"
	Email      = "email"
)

// Kinds lists every channel kind.
var Kinds = []string{AliyunSMS, TencentSMS, WeCom, DingTalk, Email}

// ToPeople reports whether kind sends to the people on duty (SMS, e-mail)
// rather than to a group's robot, and which contact it needs.
func ToPeople(kind string) (contact string, ok bool) {
	switch kind {
	case AliyunSMS, TencentSMS:
		return "phone", true
	case Email:
		return "email", true
	}
	return "", false
}

// Contact is one person a message goes to, read from the roster when sending.
type Contact struct {
	Person, Phone, Email string
}

// Message is one send: the channel, where it goes and what it says.
type Message struct {
	Kind string
	// URL is the robot's webhook URL (with its key or access token); unused for SMS and e-mail.
	URL string
	// Secret is the 钉钉 robot's signing secret (SEC…); empty when it has none.
	Secret string
	// To are the people on duty (SMS, e-mail).
	To []Contact
	// ID identifies the delivery (the e-mail's Message-ID, the SMS OutId).
	ID   string
	Text Text
}

// Sender sends messages with the providers' settings.
type Sender struct {
	Aliyun  Aliyun
	Tencent Tencent
	SMTP    SMTP
	// Client posts to the providers and robots (notify's egress-checked client).
	Client *http.Client
}

// ErrPermanent marks a send that no retry can make succeed (nobody to send
// to, a channel with no provider configured).
var ErrPermanent = errors.New("cannot be sent")

// Send sends m at at (the signatures' timestamp) and returns the provider's
// HTTP status (0 when none came, or for e-mail).
func (s *Sender) Send(ctx context.Context, m Message, at time.Time) (int, error) {
	if contact, ok := ToPeople(m.Kind); ok && len(m.To) == 0 {
		return 0, fmt.Errorf("%w: nobody on duty has a %s (the shift was removed)", ErrPermanent, contact)
	}
	switch m.Kind {
	case AliyunSMS:
		return s.Aliyun.send(ctx, s.Client, m, at)
	case TencentSMS:
		return s.Tencent.send(ctx, s.Client, m, at)
	case WeCom:
		return sendWeCom(ctx, s.Client, m)
	case DingTalk:
		return sendDingTalk(ctx, s.Client, m, at)
	case Email:
		return 0, s.SMTP.send(ctx, m, at)
	}
	return 0, fmt.Errorf("%w: unknown channel kind %q", ErrPermanent, m.Kind)
}

// Target is where m goes, as the delivery log shows it: the channel and the
// masked contacts, or the robot's host (its key stays out).
func Target(m Message) string {
	contact, people := ToPeople(m.Kind)
	if !people {
		host := m.URL
		if i := strings.Index(host, "?"); i >= 0 {
			host = host[:i]
		}
		return m.Kind + " " + host
	}
	parts := make([]string, len(m.To))
	for i, c := range m.To {
		v := c.Phone
		if contact == "email" {
			v = c.Email
		}
		parts[i] = c.Person + " " + Mask(v)
	}
	return m.Kind + " → " + strings.Join(parts, ", ")
}

// digits is a phone number as the providers take it: no spaces or dashes.
func digits(phone string) string {
	return strings.NewReplacer(" ", "", "-", "").Replace(phone)
}
