package notify_test

import (
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/chuishao/whistle/platform/auth"
	"github.com/chuishao/whistle/services/response/internal/notify"
)

// delivered is one request as a department's system received it.
type delivered struct {
	Headers map[string]string `json:"headers"` // lower-case names
	Body    string            `json:"body"`    // hex of the raw bytes
	Secret  string            `json:"secret"`
	Now     int64             `json:"now"` // the receiver's clock, unix seconds
}

// Harnesses that load a receiver of docs/webhooks.md as written, set its
// clock to the test's, and verify one delivery: exit 0 and "verified", or fail.
const (
	pythonHarness = `import json, sys, time
exec(open(sys.argv[1]).read())
req = json.load(open(sys.argv[2]))
time.time = lambda: req["now"]
class Headers(dict):
    def get(self, k, d=None): return super().get(k.lower(), d)
verify(Headers(req["headers"]), bytes.fromhex(req["body"]), req["secret"])
print("verified")
`
	nodeHarness = `const fs = require("fs");
const req = JSON.parse(fs.readFileSync(process.argv[3], "utf8"));
Date.now = () => req.now * 1000;
eval(fs.readFileSync(process.argv[2], "utf8") + "\nglobalThis.verify = verify;");
verify(req.headers, Buffer.from(req.body, "hex"), req.secret);
console.log("verified");
`
)

// TestThePythonAndJavaScriptReceiversVerifyARealDelivery runs the Python and
// JavaScript receivers of docs/webhooks.md, as they are written there,
// against a delivery the worker really posted (skipped where the interpreter
// is missing); a body changed by one byte is refused.
func TestThePythonAndJavaScriptReceiversVerifyARealDelivery(t *testing.T) {
	t.Parallel()
	got := make(chan delivered, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		h := map[string]string{}
		for k := range req.Header {
			h[strings.ToLower(k)] = req.Header.Get(k)
		}
		got <- delivered{Headers: h, Body: hex.EncodeToString(body)}
	}))
	t.Cleanup(srv.Close)
	r := newRig(t, notify.Worker{})
	eps := &notify.Endpoints{Pool: r.pool, Clock: r.clk, Egress: loopbackEgress(t), Subscriptions: r.subs}
	_, err := eps.Create(r.ctx, auth.Identity{Role: auth.RoleAdmin, Subject: "admin"}, "water", "110101", srv.URL+"/hook", secret)
	require.NoError(t, err)
	r.publish("water", "d-w1")
	var d delivered
	select {
	case d = <-got:
	case <-time.After(10 * time.Second):
		t.Fatal("no delivery arrived")
	}
	ts, err := strconv.ParseInt(d.Headers["webhook-timestamp"], 10, 64)
	require.NoError(t, err)
	d.Secret, d.Now = secret, ts+30

	doc, err := os.ReadFile("../../../../docs/webhooks.md")
	require.NoError(t, err)
	for _, lang := range []struct{ name, fence, interpreter, harness string }{
		{"python", "python", "python3", pythonHarness},
		{"javascript", "js", "node", nodeHarness},
	} {
		t.Run(lang.name, func(t *testing.T) {
			bin, err := exec.LookPath(lang.interpreter)
			if err != nil {
				t.Skipf("%s is not installed", lang.interpreter)
			}
			block := regexp.MustCompile("(?s)```" + lang.fence + "\n(.*?)```").FindSubmatch(doc)
			require.NotNil(t, block, "docs/webhooks.md has a %s receiver", lang.name)
			dir := t.TempDir()
			snippet, harness := filepath.Join(dir, "receiver"), filepath.Join(dir, "harness")
			require.NoError(t, os.WriteFile(snippet, block[1], 0o600))
			require.NoError(t, os.WriteFile(harness, []byte(lang.harness), 0o600))
			run := func(d delivered) (string, error) {
				req, err := json.Marshal(d)
				require.NoError(t, err)
				path := filepath.Join(dir, "request.json")
				require.NoError(t, os.WriteFile(path, req, 0o600))
				out, err := exec.CommandContext(t.Context(), bin, harness, snippet, path).CombinedOutput()
				return string(out), err
			}
			out, err := run(d)
			require.NoError(t, err, out)
			require.Contains(t, out, "verified")

			tampered := d
			tampered.Body = hex.EncodeToString([]byte(`{"forged":true}`))
			out, err = run(tampered)
			require.Error(t, err, "a changed body is refused: %s", out)
			require.Contains(t, out, "no valid signature")
		})
	}
}
