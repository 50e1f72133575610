package channelstest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// SMS is one text message a provider accepted.
type SMS struct {
	// Phones as the request named them.
	Phones []string
	// Event, Dispatch and Count are the template's parameters.
	Event, Dispatch, Count string
}

// Robot is one group robot message: its Markdown.
type Robot struct {
	Title, Markdown string
}

// receiver records what one provider accepted and can refuse the next sends.
type receiver[T any] struct {
	t    *testing.T
	srv  *httptest.Server
	mu   sync.Mutex
	got  []T
	bad  []string
	fail int
}

// Sent is every message accepted so far, in arrival order.
func (r *receiver[T]) Sent() []T {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]T(nil), r.got...)
}

// Bad lists the requests that did not follow the documentation.
func (r *receiver[T]) Bad() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.bad...)
}

// FailNext makes the next n well-formed sends fail as the provider's rate limit does.
func (r *receiver[T]) FailNext(n int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.fail = n
}

// serve runs check on each request: an error is a malformed request (answered
// with refusal); otherwise the message is recorded, unless a failure is due.
func (r *receiver[T]) serve(check func(*http.Request) (T, error), ok, refused, malformed func(error) any) {
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		msg, err := check(req)
		r.mu.Lock()
		var answer any
		switch {
		case err != nil:
			r.bad = append(r.bad, err.Error())
			r.t.Errorf("request against the provider's documentation: %v", err)
			answer = malformed(err)
		case r.fail > 0:
			r.fail--
			answer = refused(nil)
		default:
			r.got = append(r.got, msg)
			answer = ok(nil)
		}
		r.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(answer)
	}))
	r.t.Cleanup(r.srv.Close)
}

// AliyunReceiver is a local Alibaba Cloud SMS endpoint.
type AliyunReceiver struct{ receiver[SMS] }

// URL is the endpoint (WHISTLE_ALIYUN_SMS_ENDPOINT).
func (a *AliyunReceiver) URL() string { return a.srv.URL + "/" }

// NewAliyun serves SendSms for the access key keyID/secret.
func NewAliyun(t *testing.T, keyID, secret string) *AliyunReceiver {
	a := &AliyunReceiver{receiver[SMS]{t: t}}
	a.serve(func(r *http.Request) (SMS, error) {
		p, err := VerifyAliyun(r, keyID, secret)
		if err != nil {
			return SMS{}, err
		}
		var param map[string]string
		if err := json.Unmarshal([]byte(p["TemplateParam"]), &param); err != nil {
			return SMS{}, fmt.Errorf("TemplateParam is not a JSON object: %v", err)
		}
		if p["SignName"] == "" || p["TemplateCode"] == "" || p["PhoneNumbers"] == "" {
			return SMS{}, fmt.Errorf("SignName, TemplateCode and PhoneNumbers are required")
		}
		return SMS{Phones: strings.Split(p["PhoneNumbers"], ","), Event: param["event"], Dispatch: param["dispatch"], Count: param["count"]}, nil
	}, func(error) any {
		return map[string]string{"Code": "OK", "Message": "OK", "BizId": "biz", "RequestId": "req"}
	}, func(error) any {
		return map[string]string{"Code": "isv.BUSINESS_LIMIT_CONTROL", "Message": "触发分钟级流控Permits:1", "RequestId": "req"}
	}, func(err error) any {
		return map[string]string{"Code": "SignatureDoesNotMatch", "Message": err.Error(), "RequestId": "req"}
	})
	return a
}

// TencentReceiver is a local Tencent Cloud SMS endpoint.
type TencentReceiver struct{ receiver[SMS] }

// URL is the endpoint (WHISTLE_TENCENT_SMS_ENDPOINT).
func (tr *TencentReceiver) URL() string { return tr.srv.URL + "/" }

// NewTencent serves SendSms for the secret id/key.
func NewTencent(t *testing.T, secretID, secretKey string) *TencentReceiver {
	tr := &TencentReceiver{receiver[SMS]{t: t}}
	tr.serve(func(r *http.Request) (SMS, error) {
		body, err := VerifyTencent(r, secretID, secretKey)
		if err != nil {
			return SMS{}, err
		}
		var req struct {
			PhoneNumberSet, TemplateParamSet  []string
			SmsSdkAppId, SignName, TemplateId string
		}
		if err := json.Unmarshal(body, &req); err != nil {
			return SMS{}, fmt.Errorf("body: %v", err)
		}
		if len(req.PhoneNumberSet) == 0 || req.SmsSdkAppId == "" || req.SignName == "" || req.TemplateId == "" || len(req.TemplateParamSet) != 3 {
			return SMS{}, fmt.Errorf("PhoneNumberSet, SmsSdkAppId, SignName, TemplateId and 3 template parameters are required: %s", body)
		}
		for _, p := range req.PhoneNumberSet {
			if !strings.HasPrefix(p, "+") {
				return SMS{}, fmt.Errorf("phone %q is not E.164", p)
			}
		}
		return SMS{Phones: req.PhoneNumberSet, Event: req.TemplateParamSet[0], Dispatch: req.TemplateParamSet[1], Count: req.TemplateParamSet[2]}, nil
	}, func(error) any {
		return map[string]any{"Response": map[string]any{"SendStatusSet": []map[string]string{{"Code": "Ok", "Message": "send success"}}, "RequestId": "req"}}
	}, func(error) any {
		return map[string]any{"Response": map[string]any{"SendStatusSet": []map[string]string{{"Code": "LimitExceeded.PhoneNumberThirtySecondLimit", "Message": "limit"}}, "RequestId": "req"}}
	}, func(err error) any {
		return map[string]any{"Response": map[string]any{"Error": map[string]string{"Code": "AuthFailure.SignatureFailure", "Message": err.Error()}, "RequestId": "req"}}
	})
	return tr
}

// RobotReceiver is a local 企业微信 or 钉钉 group robot.
type RobotReceiver struct {
	receiver[Robot]
	path string
}

// URL is the robot's webhook URL, with its key or access token.
func (rr *RobotReceiver) URL() string { return rr.srv.URL + rr.path }

func robotAnswers() (ok, refused, malformed func(error) any) {
	return func(error) any { return map[string]any{"errcode": 0, "errmsg": "ok"} },
		func(error) any { return map[string]any{"errcode": 45009, "errmsg": "api freq out of limit"} },
		func(err error) any { return map[string]any{"errcode": 310000, "errmsg": err.Error()} }
}

// decodeRobot reads a robot's JSON message: msgtype markdown (or text).
func decodeRobot(r *http.Request, withTitle bool) (Robot, error) {
	if r.Method != http.MethodPost || !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		return Robot{}, fmt.Errorf("want a JSON POST, got %s %s", r.Method, r.Header.Get("Content-Type"))
	}
	var msg struct {
		MsgType  string `json:"msgtype"`
		Markdown struct {
			Title   string `json:"title"`
			Text    string `json:"text"`
			Content string `json:"content"`
		} `json:"markdown"`
	}
	if err := json.NewDecoder(r.Body).Decode(&msg); err != nil {
		return Robot{}, fmt.Errorf("body: %v", err)
	}
	if msg.MsgType != "markdown" {
		return Robot{}, fmt.Errorf("msgtype %q", msg.MsgType)
	}
	if withTitle {
		if msg.Markdown.Title == "" || msg.Markdown.Text == "" {
			return Robot{}, fmt.Errorf("a 钉钉 markdown message needs title and text")
		}
		return Robot{Title: msg.Markdown.Title, Markdown: msg.Markdown.Text}, nil
	}
	if msg.Markdown.Content == "" {
		return Robot{}, fmt.Errorf("a 企业微信 markdown message needs content")
	}
	return Robot{Markdown: msg.Markdown.Content}, nil
}

// NewWeCom serves a 企业微信 group robot whose key is key.
func NewWeCom(t *testing.T, key string) *RobotReceiver {
	rr := &RobotReceiver{receiver: receiver[Robot]{t: t}, path: "/cgi-bin/webhook/send?key=" + key}
	ok, refused, malformed := robotAnswers()
	rr.serve(func(r *http.Request) (Robot, error) {
		if r.URL.Path != "/cgi-bin/webhook/send" || r.URL.Query().Get("key") != key {
			return Robot{}, fmt.Errorf("not this robot's webhook URL: %s", r.URL.Path)
		}
		return decodeRobot(r, false)
	}, ok, refused, malformed)
	return rr
}

// NewDingTalk serves a 钉钉 group robot with access token token and, when
// secret is set, 加签; now is the robot's clock (a timestamp more than an hour
// off is refused, as the robot does).
func NewDingTalk(t *testing.T, token, secret string, now func() time.Time) *RobotReceiver {
	rr := &RobotReceiver{receiver: receiver[Robot]{t: t}, path: "/robot/send?access_token=" + token}
	ok, refused, malformed := robotAnswers()
	rr.serve(func(r *http.Request) (Robot, error) {
		if r.URL.Path != "/robot/send" {
			return Robot{}, fmt.Errorf("path %s", r.URL.Path)
		}
		if secret != "" {
			if err := VerifyDingTalk(r, token, secret, now()); err != nil {
				return Robot{}, err
			}
		} else if r.URL.Query().Get("access_token") != token {
			return Robot{}, fmt.Errorf("access_token")
		}
		return decodeRobot(r, true)
	}, ok, refused, malformed)
	return rr
}
