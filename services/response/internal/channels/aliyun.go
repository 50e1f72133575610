package channels

import (
	"context"
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
)

// AliyunEndpoint is Alibaba Cloud SMS's public endpoint.
const AliyunEndpoint = "https://dysmsapi.aliyuncs.com/"

// Aliyun is an Alibaba Cloud SMS account: SendSms of API version 2017-05-25
// through the RPC-style signed HTTP API (signature version 1.0, HMAC-SHA1).
type Aliyun struct {
	// Endpoint defaults to AliyunEndpoint; tests point it to a local receiver.
	Endpoint        string
	AccessKeyID     string
	AccessKeySecret string
	// RegionID defaults to cn-hangzhou.
	RegionID string
	// SignName and TemplateCode are the approved signature and template; the
	// template takes ${event}, ${dispatch} and ${count}.
	SignName     string
	TemplateCode string
}

// Configured reports whether the account can send.
func (a Aliyun) Configured() bool {
	return a.AccessKeyID != "" && a.AccessKeySecret != "" && a.SignName != "" && a.TemplateCode != ""
}

// aliyunEncode is the percent-encoding the RPC signature requires: RFC 3986
// unreserved characters as they are, everything else %XX in upper case (so a
// space is %20, not +, and * is %2A, ~ stays ~).
func aliyunEncode(s string) string {
	e := url.QueryEscape(s)
	return strings.NewReplacer("+", "%20", "*", "%2A", "%7E", "~").Replace(e)
}

// AliyunSign signs the parameters of a request with method: HMAC-SHA1 keyed
// with secret+"&" over method&%2F&encode(canonicalized query), base64.
func AliyunSign(method string, params url.Values, secret string) string {
	keys := make([]string, 0, len(params))
	for k := range params {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	pairs := make([]string, len(keys))
	for i, k := range keys {
		pairs[i] = aliyunEncode(k) + "=" + aliyunEncode(params.Get(k))
	}
	toSign := method + "&" + aliyunEncode("/") + "&" + aliyunEncode(strings.Join(pairs, "&"))
	mac := hmac.New(sha1.New, []byte(secret+"&"))
	mac.Write([]byte(toSign))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

func (a Aliyun) send(ctx context.Context, client *http.Client, m Message, at time.Time) (int, error) {
	if !a.Configured() {
		return 0, fmt.Errorf("%w: Alibaba Cloud SMS is not configured (WHISTLE_ALIYUN_SMS_*)", ErrPermanent)
	}
	phones := make([]string, len(m.To))
	for i, c := range m.To {
		phones[i] = digits(c.Phone) // 11 digits, or with +86/86/0086 (the documented forms)
	}
	param, err := json.Marshal(map[string]string{"event": m.Text.Label, "dispatch": m.Text.Dispatch, "count": strconv.Itoa(m.Text.Count)})
	if err != nil {
		return 0, fmt.Errorf("template parameters: %w", err)
	}
	region := a.RegionID
	if region == "" {
		region = "cn-hangzhou"
	}
	p := url.Values{}
	p.Set("AccessKeyId", a.AccessKeyID)
	p.Set("Action", "SendSms")
	p.Set("Format", "JSON")
	p.Set("RegionId", region)
	p.Set("SignatureMethod", "HMAC-SHA1")
	p.Set("SignatureNonce", uuid.NewString())
	p.Set("SignatureVersion", "1.0")
	p.Set("Timestamp", at.UTC().Format("2006-01-02T15:04:05Z"))
	p.Set("Version", "2017-05-25")
	p.Set("PhoneNumbers", strings.Join(phones, ","))
	p.Set("SignName", a.SignName)
	p.Set("TemplateCode", a.TemplateCode)
	p.Set("TemplateParam", string(param))
	p.Set("OutId", m.ID)
	p.Set("Signature", AliyunSign(http.MethodPost, p, a.AccessKeySecret))
	endpoint := a.Endpoint
	if endpoint == "" {
		endpoint = AliyunEndpoint
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, strings.NewReader(p.Encode()))
	if err != nil {
		return 0, fmt.Errorf("build request: %w", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	var out struct{ Code, Message, RequestId string }
	code, err := doJSON(client, req, &out)
	if err != nil {
		return code, fmt.Errorf("aliyun SendSms: %w", err)
	}
	if out.Code != "OK" {
		return code, fmt.Errorf("aliyun SendSms: %s %s (request %s)", out.Code, out.Message, out.RequestId)
	}
	return code, nil
}

// doJSON sends req and decodes a 2xx answer's JSON into out.
func doJSON(client *http.Client, req *http.Request, out any) (int, error) {
	resp, err := client.Do(req)
	if err != nil {
		// A robot's URL carries its key: the error names the host only.
		var ue *url.Error
		if errors.As(err, &ue) {
			return 0, fmt.Errorf("%s %s://%s%s: %w", ue.Op, req.URL.Scheme, req.URL.Host, req.URL.Path, ue.Err)
		}
		return 0, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if err != nil {
		return resp.StatusCode, fmt.Errorf("read answer: %w", err)
	}
	if err := json.Unmarshal(body, out); err != nil {
		if resp.StatusCode < 200 || resp.StatusCode > 299 {
			return resp.StatusCode, fmt.Errorf("status %d", resp.StatusCode)
		}
		return resp.StatusCode, fmt.Errorf("answer is not JSON: %w", err)
	}
	return resp.StatusCode, nil
}
