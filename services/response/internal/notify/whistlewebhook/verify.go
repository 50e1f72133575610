// Package whistlewebhook verifies a Whistle webhook as a department's system
// would: it is the Go receiver of docs/webhooks.md, word for word (a test
// holds the two equal), so the tests' receivers run the documented code.
package whistlewebhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Verify reads a webhook request's body and checks its Standard Webhooks
// signature under secret (as given to Whistle: "whsec_..." or, for an older
// endpoint, a plain string) and that it was signed within 5 minutes of now.
// Call it with time.Now(); de-duplicate on the webhook-id header.
func Verify(r *http.Request, secret string, now time.Time) ([]byte, error) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		return nil, err
	}
	id, ts := r.Header.Get("webhook-id"), r.Header.Get("webhook-timestamp")
	sec, err := strconv.ParseInt(ts, 10, 64)
	if id == "" || err != nil {
		return nil, errors.New("missing webhook-id or webhook-timestamp")
	}
	if age := now.Sub(time.Unix(sec, 0)); age > 5*time.Minute || age < -5*time.Minute {
		return nil, errors.New("webhook-timestamp too far from now")
	}
	key := []byte(secret)
	if b64, ok := strings.CutPrefix(secret, "whsec_"); ok {
		if key, err = base64.StdEncoding.DecodeString(b64); err != nil {
			return nil, err
		}
	}
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(id + "." + ts + "."))
	mac.Write(body)
	want := "v1," + base64.StdEncoding.EncodeToString(mac.Sum(nil))
	// During a secret rotation several signatures come, space-separated.
	for _, sig := range strings.Fields(r.Header.Get("webhook-signature")) {
		if hmac.Equal([]byte(sig), []byte(want)) {
			return body, nil
		}
	}
	return nil, errors.New("no valid signature")
}
