package ctl_test

import (
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

func writeConfig(t *testing.T, body string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "config.yaml")
	require.NoError(t, os.WriteFile(path, []byte(body), 0o600))
	return path
}

func TestConfigFileIsOverriddenByEnvAndFlags(t *testing.T) {
	t.Parallel()
	fake, url := startFake(t, http.StatusOK, whistleJSON)
	cfg := writeConfig(t, "url: "+url+"\ntoken: from-file\n")

	code, _, errOut := run(t, map[string]string{"WHISTLE_CONFIG": cfg}, "show", "w-1")
	require.Equal(t, 0, code, errOut)
	require.Equal(t, "Bearer from-file", fake.last(t).Header.Get("Authorization"), "the file alone is enough")

	code, _, errOut = run(t, map[string]string{"WHISTLE_CONFIG": cfg, "WHISTLE_TOKEN": "from-env"}, "show", "w-1")
	require.Equal(t, 0, code, errOut)
	require.Equal(t, "Bearer from-env", fake.last(t).Header.Get("Authorization"), "the environment beats the file")

	code, _, errOut = run(t, map[string]string{"WHISTLE_CONFIG": cfg, "WHISTLE_TOKEN": "from-env"}, "--token", "from-flag", "show", "w-1")
	require.Equal(t, 0, code, errOut)
	require.Equal(t, "Bearer from-flag", fake.last(t).Header.Get("Authorization"), "a flag beats both")
}

func TestDefaultConfigFileUnderHome(t *testing.T) {
	t.Parallel()
	fake, url := startFake(t, http.StatusOK, whistleJSON)
	home := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(home, ".config", "whistle"), 0o700))
	require.NoError(t, os.WriteFile(filepath.Join(home, ".config", "whistle", "config.yaml"), []byte("url: "+url+"\ntoken: home\noutput: json\n"), 0o600))
	code, out, errOut := run(t, map[string]string{"HOME": home}, "show", "w-1")
	require.Equal(t, 0, code, errOut)
	require.Equal(t, "Bearer home", fake.last(t).Header.Get("Authorization"))
	require.Contains(t, out, `"street_id": "110101001"`, "output: json from the file")

	// No file under HOME is fine: the defaults apply.
	code, _, errOut = run(t, map[string]string{"HOME": t.TempDir(), "WHISTLE_URL": url, "WHISTLE_TOKEN": "t"}, "show", "w-1")
	require.Equal(t, 0, code, errOut)
}

func TestBadConfigFileIsNamed(t *testing.T) {
	t.Parallel()
	cfg := writeConfig(t, "url: http://x\ncolour: red\n")
	code, _, errOut := run(t, map[string]string{"WHISTLE_CONFIG": cfg}, "show", "w-1")
	require.Equal(t, 1, code)
	require.Contains(t, errOut, cfg)
	require.Contains(t, errOut, "colour")

	code, _, errOut = run(t, map[string]string{"WHISTLE_CONFIG": filepath.Join(t.TempDir(), "nope.yaml")}, "show", "w-1")
	require.Equal(t, 1, code)
	require.Contains(t, errOut, "nope.yaml")
}

func TestEscalateAndArbitrateCallTheirRoutes(t *testing.T) {
	t.Parallel()
	fake, url := startFake(t, http.StatusOK, dispatchJSON)
	env := map[string]string{"WHISTLE_URL": url, "WHISTLE_TOKEN": "t"}
	code, out, errOut := run(t, env, "escalate", "d-1", "--reason", "超时未到场")
	require.Equal(t, 0, code, errOut)
	req := fake.last(t)
	require.Equal(t, "/v1/dispatches/d-1:escalate", req.Path)
	require.Equal(t, "超时未到场", req.Body["reason"])
	require.Contains(t, out, "ARRIVED")

	code, _, errOut = run(t, env, "arbitrate", "a-1")
	require.Equal(t, 1, code)
	require.Contains(t, errOut, "department")
	code, _, errOut = run(t, env, "arbitrate", "a-1", "--department", "urban-management", "--reset-sla")
	require.Equal(t, 1, code)
	require.Contains(t, errOut, "--reset-reason")

	fake2, url2 := startFake(t, http.StatusOK, `{"id":"a-1","whistle_id":"w-1","status":"decided"}`)
	code, out, errOut = run(t, map[string]string{"WHISTLE_URL": url2, "WHISTLE_TOKEN": "t"}, "arbitrate", "a-1", "--department", "urban-management")
	require.Equal(t, 0, code, errOut)
	require.Equal(t, "/v1/arbitrations/a-1:decide", fake2.last(t).Path)
	require.Equal(t, "urban-management", fake2.last(t).Body["department"])
	require.Contains(t, out, "decided")
}

func TestAuditVerifyFailsOnABrokenChain(t *testing.T) {
	t.Parallel()
	_, url := startFake(t, http.StatusOK, `{"ok":false,"whistles_checked":"2","entries_checked":"9","broken":[{"whistle_id":"w-2","seq":"4","event_id":"e-4"}]}`)
	code, out, errOut := run(t, map[string]string{"WHISTLE_URL": url, "WHISTLE_TOKEN": "t"}, "audit", "verify")
	require.Equal(t, 1, code)
	require.Contains(t, out, "BROKEN: 2 whistles, 9 entries checked")
	require.Regexp(t, `w-2\s+4\s+e-4`, out)
	require.Contains(t, errOut, "does not verify")
}

func TestReportSlaAsCSVAndTable(t *testing.T) {
	t.Parallel()
	fake, url := startFake(t, http.StatusOK, `{"filename":"sla.csv","content_type":"text/csv","csv":"department,dispatched\npolice,3\n"}`)
	env := map[string]string{"WHISTLE_URL": url, "WHISTLE_TOKEN": "t"}
	code, out, errOut := run(t, env, "report", "sla", "--district", "110101", "--from", "2026-11-01", "--to", "2026-12-01", "--csv")
	require.Equal(t, 0, code, errOut)
	require.Equal(t, "department,dispatched\npolice,3\n", out)
	req := fake.last(t)
	require.Equal(t, "/v1/reports/sla:csv", req.Path)
	require.Equal(t, []string{"110101"}, req.Query["district"])
	require.NotEmpty(t, req.Query["from"])

	code, _, errOut = run(t, env, "report", "sla", "--from", "last tuesday")
	require.Equal(t, 1, code)
	require.Contains(t, errOut, "--from")
}

func TestSlaClocksShowsEveryDeadlineStateAndLevel(t *testing.T) {
	t.Parallel()
	fake, url := startFake(t, http.StatusOK, `{"id": "d-1", "status": "ACKNOWLEDGED", "escalation_level": 2,
	  "clocks": [
	    {"clock": "ack", "due_at": "2026-03-02T01:05:01Z", "state": "MET", "met_at": "2026-03-02T01:02:00Z"},
	    {"clock": "arrive", "due_at": "2026-03-02T02:30:01Z", "original_due_at": "2026-03-02T01:30:01Z", "state": "BREACHED"},
	    {"clock": "resolve", "due_at": "2026-03-04T01:00:01Z", "state": "WARNING"}]}`)
	code, out, errOut := run(t, map[string]string{"WHISTLE_URL": url, "WHISTLE_TOKEN": "t"}, "sla", "clocks", "d-1")
	require.Equal(t, 0, code, errOut)
	require.Equal(t, "/v1/dispatches/d-1", fake.last(t).Path)
	require.Contains(t, out, "escalation level 2 督办")
	require.Regexp(t, `ack\s+\S+ \S+\s+-\s+MET\s+\S+ \S+`, out)
	require.Regexp(t, `arrive\s+\S+ \S+\s+\S+ \S+\s+BREACHED\s+-`, out)
	require.Regexp(t, `resolve\s+\S+ \S+\s+-\s+WARNING`, out)
}

func TestSlaCalendarMarksProvisionalDays(t *testing.T) {
	t.Parallel()
	fake, url := startFake(t, http.StatusOK, `{"days": [
	    {"date": "2027-02-06", "kind": "HOLIDAY", "name": "春节", "provisional": true},
	    {"date": "2026-10-10", "kind": "WORKDAY", "name": "国庆节调休"}]}`)
	code, out, errOut := run(t, map[string]string{"WHISTLE_URL": url, "WHISTLE_TOKEN": "t"}, "sla", "calendar", "2027")
	require.Equal(t, 0, code, errOut)
	require.Equal(t, "/v1/sla/calendar/2027", fake.last(t).Path)
	require.Regexp(t, `2027-02-06\s+HOLIDAY\s+春节\s+暂定 provisional`, out)
	require.Regexp(t, `2026-10-10\s+WORKDAY\s+国庆节调休\s+-`, out)
}
