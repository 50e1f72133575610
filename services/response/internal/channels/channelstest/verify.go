// Package channelstest is the providers' side of the channels, for tests:
// local receivers that accept exactly the request each provider documents
// and answer as it does. The verifiers recompute every signature from the
// request as received, written from the providers' documentation
// independently of package channels' signers.
package channelstest

import (
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"time"
)

// rfc3986 percent-encodes every byte but A-Z a-z 0-9 - _ . ~, upper-case hex.
func rfc3986(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.' || c == '~' {
			b.WriteByte(c)
			continue
		}
		fmt.Fprintf(&b, "%%%02X", c)
	}
	return b.String()
}

// VerifyAliyun checks an Alibaba Cloud RPC request (signature version 1.0):
// StringToSign = METHOD&%2F&enc(sorted enc(k)=enc(v) joined by &), signed with
// HMAC-SHA1 under secret+"&", base64. It returns the form parameters.
func VerifyAliyun(r *http.Request, keyID, secret string) (map[string]string, error) {
	if err := r.ParseForm(); err != nil {
		return nil, err
	}
	params := map[string]string{}
	for k, v := range r.PostForm {
		if len(v) != 1 {
			return nil, fmt.Errorf("parameter %s given %d times", k, len(v))
		}
		params[k] = v[0]
	}
	for k, want := range map[string]string{
		"AccessKeyId": keyID, "Action": "SendSms", "Version": "2017-05-25", "Format": "JSON",
		"SignatureMethod": "HMAC-SHA1", "SignatureVersion": "1.0",
	} {
		if params[k] != want {
			return nil, fmt.Errorf("%s = %q, want %q", k, params[k], want)
		}
	}
	if params["SignatureNonce"] == "" || params["RegionId"] == "" {
		return nil, fmt.Errorf("SignatureNonce and RegionId are required")
	}
	if _, err := time.Parse("2006-01-02T15:04:05Z", params["Timestamp"]); err != nil {
		return nil, fmt.Errorf("parameter Timestamp %q is not ISO 8601 UTC: %v", params["Timestamp"], err)
	}
	got := params["Signature"]
	var keys []string
	for k := range params {
		if k != "Signature" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	var pairs []string
	for _, k := range keys {
		pairs = append(pairs, rfc3986(k)+"="+rfc3986(params[k]))
	}
	toSign := r.Method + "&" + rfc3986("/") + "&" + rfc3986(strings.Join(pairs, "&"))
	mac := hmac.New(sha1.New, []byte(secret+"&"))
	mac.Write([]byte(toSign))
	if want := base64.StdEncoding.EncodeToString(mac.Sum(nil)); got != want {
		return nil, fmt.Errorf("signature %q, want %q", got, want)
	}
	return params, nil
}

func hmac256(key []byte, s string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(s))
	return m.Sum(nil)
}

// VerifyTencent checks a TC3-HMAC-SHA256 request of API 3.0 and returns its body.
func VerifyTencent(r *http.Request, secretID, secretKey string) ([]byte, error) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return nil, err
	}
	if r.Method != http.MethodPost || r.Header.Get("X-TC-Action") != "SendSms" || r.Header.Get("X-TC-Version") != "2021-01-11" ||
		r.Header.Get("X-TC-Region") == "" {
		return nil, fmt.Errorf("not a SendSms 2021-01-11 request: %s %v", r.Method, r.Header)
	}
	auth := r.Header.Get("Authorization")
	rest, ok := strings.CutPrefix(auth, "TC3-HMAC-SHA256 ")
	if !ok {
		return nil, fmt.Errorf("header Authorization %q is not TC3-HMAC-SHA256", auth)
	}
	fields := map[string]string{}
	for _, part := range strings.Split(rest, ", ") {
		k, v, _ := strings.Cut(part, "=")
		fields[k] = v
	}
	cred := strings.Split(fields["Credential"], "/")
	if len(cred) != 4 || cred[0] != secretID || cred[2] != "sms" || cred[3] != "tc3_request" {
		return nil, fmt.Errorf("credential %q", fields["Credential"])
	}
	var ts int64
	if _, err := fmt.Sscan(r.Header.Get("X-TC-Timestamp"), &ts); err != nil {
		return nil, fmt.Errorf("X-TC-Timestamp: %v", err)
	}
	date := time.Unix(ts, 0).UTC().Format("2006-01-02")
	if cred[1] != date {
		return nil, fmt.Errorf("credential date %s, timestamp's date %s", cred[1], date)
	}
	signed := strings.Split(fields["SignedHeaders"], ";")
	var canonHeaders strings.Builder
	for _, h := range signed {
		v := r.Header.Get(h)
		if h == "host" {
			v = r.Host
		}
		canonHeaders.WriteString(h + ":" + strings.ToLower(strings.TrimSpace(v)) + "\n")
	}
	payloadHash := sha256.Sum256(body)
	canonical := strings.Join([]string{"POST", "/", "", canonHeaders.String(), fields["SignedHeaders"], hex.EncodeToString(payloadHash[:])}, "\n")
	canonHash := sha256.Sum256([]byte(canonical))
	toSign := "TC3-HMAC-SHA256\n" + r.Header.Get("X-TC-Timestamp") + "\n" + date + "/sms/tc3_request\n" + hex.EncodeToString(canonHash[:])
	k := hmac256(hmac256(hmac256([]byte("TC3"+secretKey), date), "sms"), "tc3_request")
	if want := hex.EncodeToString(hmac256(k, toSign)); fields["Signature"] != want {
		return nil, fmt.Errorf("signature %q, want %q", fields["Signature"], want)
	}
	return body, nil
}

// VerifyDingTalk checks a signed 钉钉 robot URL: timestamp (ms, within an
// hour of now) and sign = base64(HMAC-SHA256(secret, timestamp+"\n"+secret)).
func VerifyDingTalk(r *http.Request, token, secret string, now time.Time) error {
	q := r.URL.Query()
	if q.Get("access_token") != token {
		return fmt.Errorf("access_token %q", q.Get("access_token"))
	}
	var ms int64
	if _, err := fmt.Sscan(q.Get("timestamp"), &ms); err != nil {
		return fmt.Errorf("timestamp: %v", err)
	}
	if d := now.Sub(time.UnixMilli(ms)); d > time.Hour || d < -time.Hour {
		return fmt.Errorf("timestamp %d is more than an hour from now", ms)
	}
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(q.Get("timestamp") + "\n" + secret))
	if want := base64.StdEncoding.EncodeToString(mac.Sum(nil)); q.Get("sign") != want {
		return fmt.Errorf("sign %q, want %q", q.Get("sign"), want)
	}
	return nil
}
