package e2e_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/chuishao/whistle/cli/whistlectl"
)

// cli runs whistlectl in-process against the system with env as its environment.
func cli(t *testing.T, env map[string]string, args ...string) (stdout string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := whistlectl.Run(context.Background(), args, &out, &errOut, func(k string) string { return env[k] })
	require.Equal(t, 0, code, "whistlectl %s: %s", strings.Join(args, " "), errOut.String())
	return out.String()
}

// cliJSON runs whistlectl -o json and decodes its answer.
func cliJSON(t *testing.T, env map[string]string, args ...string) map[string]any {
	t.Helper()
	var v map[string]any
	out := cli(t, env, append(args, "-o", "json")...)
	require.NoError(t, json.Unmarshal([]byte(out), &v), out)
	return v
}

func TestWhistlectlOneWhistleFromRaiseToClose(t *testing.T) {
	t.Parallel()
	s := startSystem(t, options{})
	base := map[string]string{"WHISTLE_URL": s.url, "HOME": t.TempDir()}
	as := func(token string) map[string]string {
		env := map[string]string{"WHISTLE_TOKEN": strings.TrimSpace(token)}
		for k, v := range base {
			env[k] = v
		}
		return env
	}

	// The street signs in (dev tokens) and raises a street-vending whistle: 城管 leads, 市场监管 cooperates.
	street := as(cli(t, base, "token", "--role", "street", "--street", donghuamen))
	w := cliJSON(t, street, "raise", "--category", "street-vending", "--title", "东华门夜市摊贩占道",
		"--description", "东华门大街夜市流动摊贩占用盲道和消防通道", "--lat", "39.9146", "--lng", "116.4036", "--urgency", "high")
	id := str(w["id"])
	require.NotEmpty(t, id)
	require.Equal(t, "HIGH", w["urgency"])
	eventually(t, "dispatches of "+id, func() bool {
		w = cliJSON(t, street, "show", id)
		return len(list(w["dispatches"])) == 2
	})

	// Each duty desk finds it in its queue, acknowledges, arrives and resolves.
	for _, dept := range []string{"urban-management", "market-regulation"} {
		desk := as(cli(t, base, "token", "--role", "desk", "--district", dongcheng, "--department", dept))
		q := cliJSON(t, desk, "queue", "--whistle", id)
		require.Len(t, list(q["dispatches"]), 1, dept)
		did := str(obj(list(q["dispatches"])[0])["id"])
		require.Contains(t, cli(t, desk, "queue"), did, "the table shows the dispatch")
		require.Equal(t, "ACKNOWLEDGED", cliJSON(t, desk, "ack", did)["status"])
		require.Equal(t, "ARRIVED", cliJSON(t, desk, "arrive", did, "--lat", "39.9147", "--lng", "116.4035")["status"])
		require.Equal(t, "RESOLVED", cliJSON(t, desk, "resolve", did, "--summary", "已清理占道摊贩")["status"])
	}

	// The street sees it resolved and closes it with its rating.
	eventually(t, "whistle resolved", func() bool { return cliJSON(t, street, "show", id)["status"] == "RESOLVED" })
	closed := cliJSON(t, street, "feedback", id, "--satisfaction", "5", "--comment", "处置及时")
	require.Equal(t, "CLOSED", closed["status"])
	eventually(t, "timeline closed", func() bool { return strings.Contains(cli(t, street, "timeline", id), "whistle.closed") })

	// A config file works instead of flags and the environment.
	cfg := filepath.Join(t.TempDir(), "config.yaml")
	require.NoError(t, os.WriteFile(cfg, []byte("url: "+s.url+"\ntoken: "+street["WHISTLE_TOKEN"]+"\noutput: json\n"), 0o600))
	var listed map[string]any
	out := cli(t, map[string]string{"WHISTLE_CONFIG": cfg}, "list")
	require.NoError(t, json.Unmarshal([]byte(out), &listed), "output: json from the file: %s", out)
	require.Equal(t, id, obj(list(listed["whistles"])[0])["id"])

	// The district supervisor verifies the audit chain and reads the SLA report.
	sup := as(cli(t, base, "token", "--role", "supervisor", "--district", dongcheng))
	require.Contains(t, cli(t, sup, "audit", "verify", "--whistle", id), "OK")
	report := cli(t, sup, "report", "sla", "--district", dongcheng,
		"--from", t0.Add(-time.Hour).Format(time.RFC3339), "--to", t0.Add(24*time.Hour).Format(time.RFC3339))
	require.Contains(t, report, "urban-management")
	require.Contains(t, report, "market-regulation")
}

func TestWhistlectlErrorsAreReadable(t *testing.T) {
	t.Parallel()
	s := startSystem(t, options{})
	var out, errOut bytes.Buffer
	env := map[string]string{"WHISTLE_URL": s.url, "WHISTLE_TOKEN": streetToken(t, s, donghuamen)}
	code := whistlectl.Run(context.Background(), []string{"raise", "--category", "no-such", "--description", "x", "--lat", "91", "--lng", "116.4"},
		&out, &errOut, func(k string) string { return env[k] })
	require.Equal(t, 1, code)
	require.Contains(t, errOut.String(), "INVALID_ARGUMENT (HTTP 400)")
	require.Contains(t, errOut.String(), "location.lat:")

	errOut.Reset()
	env["WHISTLE_CONFIG"] = filepath.Join(t.TempDir(), "missing.yaml")
	code = whistlectl.Run(context.Background(), []string{"list"}, &out, &errOut, func(k string) string { return env[k] })
	require.Equal(t, 1, code)
	require.Contains(t, errOut.String(), "missing.yaml")
}

// syncBuffer is a bytes.Buffer safe to read while whistlectl writes to it.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func TestWhistlectlWatchFollowsTheStream(t *testing.T) {
	t.Parallel()
	s := startSystem(t, options{})
	env := map[string]string{"WHISTLE_URL": s.url, "WHISTLE_TOKEN": streetToken(t, s, donghuamen)}
	ctx, cancel := context.WithCancel(context.Background())
	var out syncBuffer
	var errOut bytes.Buffer
	done := make(chan int, 1)
	go func() {
		done <- whistlectl.Run(ctx, []string{"watch"}, &out, &errOut, func(k string) string { return env[k] })
	}()
	eventually(t, "watch connected", func() bool { return strings.Contains(out.String(), "stream.ready") })

	id, _ := raise(t, s, donghuamen, "garbage", 2)
	eventually(t, "the raise on the watch", func() bool {
		return strings.Contains(out.String(), "whistle.raised") && strings.Contains(out.String(), id)
	})
	cancel()
	require.Equal(t, 0, <-done, "Ctrl-C ends watch cleanly: %s", errOut.String())
}
