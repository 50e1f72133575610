package channels

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// robotAnswer is what both group robots answer: errcode 0 is success.
type robotAnswer struct {
	ErrCode int    `json:"errcode"`
	ErrMsg  string `json:"errmsg"`
}

// postRobot posts a robot's JSON message and checks its errcode.
func postRobot(ctx context.Context, client *http.Client, name, target string, msg any) (int, error) {
	body, err := json.Marshal(msg)
	if err != nil {
		return 0, fmt.Errorf("%s message: %w", name, err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return 0, fmt.Errorf("%w: %s robot URL: %v", ErrPermanent, name, err)
	}
	req.Header.Set("Content-Type", "application/json")
	var out robotAnswer
	code, err := doJSON(client, req, &out)
	if err != nil {
		return code, fmt.Errorf("%s robot: %w", name, err)
	}
	if out.ErrCode != 0 {
		return code, fmt.Errorf("%s robot: errcode %d %s", name, out.ErrCode, out.ErrMsg)
	}
	return code, nil
}

// sendWeCom posts a Markdown message to a 企业微信 group robot
// (https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=…).
func sendWeCom(ctx context.Context, client *http.Client, m Message) (int, error) {
	return postRobot(ctx, client, "wecom", m.URL, map[string]any{
		"msgtype":  "markdown",
		"markdown": map[string]string{"content": m.Text.Markdown},
	})
}

// DingTalkSign is the sign parameter of a 钉钉 robot with 加签: the base64 of
// HMAC-SHA256 keyed with secret over timestamp (milliseconds) + "\n" + secret.
func DingTalkSign(secret string, timestampMillis int64) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(strconv.FormatInt(timestampMillis, 10) + "\n" + secret))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// sendDingTalk posts a Markdown message to a 钉钉 group robot
// (https://oapi.dingtalk.com/robot/send?access_token=…), adding timestamp and
// sign to the URL when the robot has a secret.
func sendDingTalk(ctx context.Context, client *http.Client, m Message, at time.Time) (int, error) {
	target := m.URL
	if m.Secret != "" {
		u, err := url.Parse(m.URL)
		if err != nil {
			return 0, fmt.Errorf("%w: dingtalk robot URL: %v", ErrPermanent, err)
		}
		q := u.Query()
		ms := at.UnixMilli()
		q.Set("timestamp", strconv.FormatInt(ms, 10))
		q.Set("sign", DingTalkSign(m.Secret, ms))
		u.RawQuery = q.Encode()
		target = u.String()
	}
	return postRobot(ctx, client, "dingtalk", target, map[string]any{
		"msgtype":  "markdown",
		"markdown": map[string]string{"title": m.Text.Title, "text": m.Text.Markdown},
	})
}
