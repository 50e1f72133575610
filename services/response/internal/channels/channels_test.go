package channels_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/chuishao/whistle/services/response/internal/channels"
	"github.com/chuishao/whistle/services/response/internal/channels/channelstest"
)

var at = time.Date(2026, 12, 7, 2, 0, 0, 0, time.UTC)

func message(kind string, to ...channels.Contact) channels.Message {
	return channels.Message{Kind: kind, ID: "del-1", To: to, Text: channels.Text{
		Label: "督办", Dispatch: "d-1", Count: 1, Title: "【督办】派单 d-1", Plain: "【督办】派单 d-1 已升级为督办", Markdown: "### 【督办】派单 d-1",
	}}
}

var zhang = channels.Contact{Person: "张三", Phone: "13812345678", Email: "zhang@example.com"}

// receiver serves one provider's endpoint: check validates the request and
// returns the answer the provider gives.
func receiver(t *testing.T, check func(r *http.Request) (int, any)) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		code, answer := check(r)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(code)
		_ = json.NewEncoder(w).Encode(answer)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestAliyunSendSmsIsTheDocumentedSignedRequest(t *testing.T) {
	t.Parallel()
	recv := channelstest.NewAliyun(t, "LTAI-test", "secret/with+specials*~")
	s := channels.Sender{Client: http.DefaultClient, Aliyun: channels.Aliyun{
		Endpoint: recv.URL(), AccessKeyID: "LTAI-test", AccessKeySecret: "secret/with+specials*~", SignName: "吹哨报到", TemplateCode: "SMS_1",
	}}
	other := channels.Contact{Person: "李四", Phone: "139-0000-0000"}
	code, err := s.Send(context.Background(), message(channels.AliyunSMS, zhang, other), at)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, code)
	require.Equal(t, []channelstest.SMS{{Phones: []string{"13812345678", "13900000000"}, Event: "督办", Dispatch: "d-1", Count: "1"}}, recv.Sent())

	recv.FailNext(1)
	_, err = s.Send(context.Background(), message(channels.AliyunSMS, zhang), at)
	require.ErrorContains(t, err, "isv.BUSINESS_LIMIT_CONTROL")
	require.False(t, errors.Is(err, channels.ErrPermanent), "a rate limit is retried")
}

func TestAliyunSignatureMatchesTheDocumentedExample(t *testing.T) {
	t.Parallel()
	// The worked example of Alibaba Cloud's RPC signature documentation
	// (access key testid / testsecret, GET DescribeRegions).
	p := url.Values{}
	for k, v := range map[string]string{
		"AccessKeyId": "testid", "Action": "DescribeRegions", "Format": "XML", "SignatureMethod": "HMAC-SHA1",
		"SignatureNonce": "3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf", "SignatureVersion": "1.0", "Timestamp": "2016-02-23T12:46:24Z",
		"Version": "2014-05-26",
	} {
		p.Set(k, v)
	}
	require.Equal(t, "OLeaidS1JvxuMvnyHOwuJ+uX5qY=", channels.AliyunSign(http.MethodGet, p, "testsecret"))
}

func TestAliyunRefusalIsAnErrorWithoutTheNumber(t *testing.T) {
	t.Parallel()
	srv := receiver(t, func(r *http.Request) (int, any) {
		return http.StatusOK, map[string]string{"Code": "isv.BUSINESS_LIMIT_CONTROL", "Message": "13812345678 触发流控", "RequestId": "r"}
	})
	s := channels.Sender{Client: srv.Client(), Aliyun: channels.Aliyun{
		Endpoint: srv.URL, AccessKeyID: "k", AccessKeySecret: "s", SignName: "n", TemplateCode: "t",
	}}
	m := message(channels.AliyunSMS, zhang)
	_, err := s.Send(context.Background(), m, at)
	require.ErrorContains(t, err, "isv.BUSINESS_LIMIT_CONTROL")
	require.NotContains(t, channels.Scrub(err.Error(), m.To), "13812345678")
	require.Contains(t, channels.Scrub(err.Error(), m.To), "138****5678")
}

func TestTencentSendSmsIsTheDocumentedTC3Request(t *testing.T) {
	t.Parallel()
	recv := channelstest.NewTencent(t, "AKID-test", "tencent-key")
	s := channels.Sender{Client: http.DefaultClient, Tencent: channels.Tencent{
		Endpoint: recv.URL(), SecretID: "AKID-test", SecretKey: "tencent-key", SDKAppID: "1400000000", SignName: "吹哨报到", TemplateID: "449739",
	}}
	_, err := s.Send(context.Background(), message(channels.TencentSMS, channels.Contact{Person: "张三", Phone: "138 1234 5678"}), at)
	require.NoError(t, err)
	require.Equal(t, []channelstest.SMS{{Phones: []string{"+8613812345678"}, Event: "督办", Dispatch: "d-1", Count: "1"}}, recv.Sent())

	recv.FailNext(1)
	_, err = s.Send(context.Background(), message(channels.TencentSMS, zhang), at)
	require.ErrorContains(t, err, "LimitExceeded")
}

func TestTencentErrorIsAnError(t *testing.T) {
	t.Parallel()
	srv := receiver(t, func(r *http.Request) (int, any) {
		return http.StatusOK, map[string]any{"Response": map[string]any{"Error": map[string]string{"Code": "AuthFailure.SecretIdNotFound", "Message": "no"}}}
	})
	s := channels.Sender{Client: srv.Client(), Tencent: channels.Tencent{Endpoint: srv.URL, SecretID: "a", SecretKey: "b", SDKAppID: "c", SignName: "d", TemplateID: "e"}}
	_, err := s.Send(context.Background(), message(channels.TencentSMS, zhang), at)
	require.ErrorContains(t, err, "AuthFailure.SecretIdNotFound")
}

func TestWeComRobotGetsMarkdownAtItsKey(t *testing.T) {
	t.Parallel()
	recv := channelstest.NewWeCom(t, "wecom-key")
	m := message(channels.WeCom)
	m.URL = recv.URL()
	s := channels.Sender{Client: http.DefaultClient}
	_, err := s.Send(context.Background(), m, at)
	require.NoError(t, err)
	require.Equal(t, []channelstest.Robot{{Markdown: "### 【督办】派单 d-1"}}, recv.Sent())
	require.NotContains(t, channels.Target(m), "wecom-key", "the log never shows the key")
}

func TestDingTalkRobotGetsASignedURL(t *testing.T) {
	t.Parallel()
	recv := channelstest.NewDingTalk(t, "ding-token", "SECding", func() time.Time { return at })
	m := message(channels.DingTalk)
	m.URL, m.Secret = recv.URL(), "SECding"
	s := channels.Sender{Client: http.DefaultClient}
	_, err := s.Send(context.Background(), m, at)
	require.NoError(t, err)
	require.Equal(t, []channelstest.Robot{{Title: "【督办】派单 d-1", Markdown: "### 【督办】派单 d-1"}}, recv.Sent())
}

func TestARobotsRefusalAndAnUnreachableRobotAreErrorsWithoutTheKey(t *testing.T) {
	t.Parallel()
	srv := receiver(t, func(r *http.Request) (int, any) {
		return http.StatusOK, map[string]any{"errcode": 45009, "errmsg": "api freq out of limit"}
	})
	m := message(channels.WeCom)
	m.URL = srv.URL + "/cgi-bin/webhook/send?key=wecom-key"
	s := channels.Sender{Client: srv.Client()}
	_, err := s.Send(context.Background(), m, at)
	require.ErrorContains(t, err, "45009")

	srv.Close()
	_, err = s.Send(context.Background(), m, at)
	require.Error(t, err)
	require.NotContains(t, err.Error(), "wecom-key")
}

func TestPeopleChannelsWithNobodyOrNoProviderFailForGood(t *testing.T) {
	t.Parallel()
	s := channels.Sender{Client: http.DefaultClient}
	_, err := s.Send(context.Background(), message(channels.AliyunSMS), at)
	require.True(t, errors.Is(err, channels.ErrPermanent), err)
	_, err = s.Send(context.Background(), message(channels.TencentSMS, zhang), at)
	require.True(t, errors.Is(err, channels.ErrPermanent), err)
	_, err = s.Send(context.Background(), message(channels.Email, zhang), at)
	require.True(t, errors.Is(err, channels.ErrPermanent), err)
}

func TestMask(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"13812345678": "138****5678", "+8613812345678": "+86****5678", "010-1234": "******34", "1234": "****",
		"zhang@example.com": "z***@example.com", "张三@例子.中国": "张***@例子.中国",
	} {
		require.Equal(t, want, channels.Mask(in), in)
	}
}
