package channels

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// TencentEndpoint is Tencent Cloud SMS's public endpoint.
const TencentEndpoint = "https://sms.tencentcloudapi.com/"

// Tencent is a Tencent Cloud SMS account: SendSms of API 3.0 (version
// 2021-01-11), signed with TC3-HMAC-SHA256.
type Tencent struct {
	// Endpoint defaults to TencentEndpoint; tests point it to a local receiver.
	Endpoint  string
	SecretID  string
	SecretKey string
	// Region defaults to ap-guangzhou.
	Region   string
	SDKAppID string
	// SignName and TemplateID are the approved signature and template; the
	// template's parameters are {1} event, {2} dispatch, {3} count.
	SignName   string
	TemplateID string
}

// Configured reports whether the account can send.
func (t Tencent) Configured() bool {
	return t.SecretID != "" && t.SecretKey != "" && t.SDKAppID != "" && t.SignName != "" && t.TemplateID != ""
}

const tencentContentType = "application/json; charset=utf-8"

func hmacSHA256(key []byte, msg string) []byte {
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(msg))
	return mac.Sum(nil)
}

func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// TencentAuthorization is the Authorization header of a POST of payload to
// host for service at timestamp, signing content-type and host.
func TencentAuthorization(secretID, secretKey, service, host string, timestamp int64, payload []byte) string {
	canonical := "POST\n/\n\ncontent-type:" + tencentContentType + "\nhost:" + host + "\n\ncontent-type;host\n" + sha256Hex(payload)
	date := time.Unix(timestamp, 0).UTC().Format("2006-01-02")
	scope := date + "/" + service + "/tc3_request"
	toSign := "TC3-HMAC-SHA256\n" + strconv.FormatInt(timestamp, 10) + "\n" + scope + "\n" + sha256Hex([]byte(canonical))
	key := hmacSHA256(hmacSHA256(hmacSHA256([]byte("TC3"+secretKey), date), service), "tc3_request")
	return "TC3-HMAC-SHA256 Credential=" + secretID + "/" + scope + ", SignedHeaders=content-type;host, Signature=" +
		hex.EncodeToString(hmacSHA256(key, toSign))
}

func (t Tencent) send(ctx context.Context, client *http.Client, m Message, at time.Time) (int, error) {
	if !t.Configured() {
		return 0, fmt.Errorf("%w: Tencent Cloud SMS is not configured (WHISTLE_TENCENT_SMS_*)", ErrPermanent)
	}
	phones := make([]string, len(m.To))
	for i, c := range m.To {
		phones[i] = digits(c.Phone)
		if !strings.HasPrefix(phones[i], "+") {
			phones[i] = "+86" + phones[i] // E.164, as the API requires; the roster holds mainland numbers
		}
	}
	payload, err := json.Marshal(map[string]any{
		"PhoneNumberSet": phones, "SmsSdkAppId": t.SDKAppID, "SignName": t.SignName, "TemplateId": t.TemplateID,
		"TemplateParamSet": []string{m.Text.Label, m.Text.Dispatch, strconv.Itoa(m.Text.Count)}, "SessionContext": m.ID,
	})
	if err != nil {
		return 0, fmt.Errorf("request body: %w", err)
	}
	endpoint := t.Endpoint
	if endpoint == "" {
		endpoint = TencentEndpoint
	}
	u, err := url.Parse(endpoint)
	if err != nil {
		return 0, fmt.Errorf("%w: Tencent Cloud SMS endpoint: %v", ErrPermanent, err)
	}
	region := t.Region
	if region == "" {
		region = "ap-guangzhou"
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, bytes.NewReader(payload))
	if err != nil {
		return 0, fmt.Errorf("build request: %w", err)
	}
	ts := at.Unix()
	req.Header.Set("Content-Type", tencentContentType)
	req.Header.Set("X-TC-Action", "SendSms")
	req.Header.Set("X-TC-Version", "2021-01-11")
	req.Header.Set("X-TC-Region", region)
	req.Header.Set("X-TC-Timestamp", strconv.FormatInt(ts, 10))
	req.Header.Set("Authorization", TencentAuthorization(t.SecretID, t.SecretKey, "sms", u.Host, ts, payload))
	var out struct {
		Response struct {
			Error *struct{ Code, Message string }
			// One status per number; a number the provider refused fails the send.
			SendStatusSet []struct{ Code, Message string }
			RequestId     string
		}
	}
	code, err := doJSON(client, req, &out)
	if err != nil {
		return code, fmt.Errorf("tencent SendSms: %w", err)
	}
	if e := out.Response.Error; e != nil {
		return code, fmt.Errorf("tencent SendSms: %s %s (request %s)", e.Code, e.Message, out.Response.RequestId)
	}
	for _, s := range out.Response.SendStatusSet {
		if s.Code != "Ok" {
			return code, fmt.Errorf("tencent SendSms: %s %s (request %s)", s.Code, s.Message, out.Response.RequestId)
		}
	}
	return code, nil
}
