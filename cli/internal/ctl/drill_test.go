package ctl_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/chuishao/whistle/cli/internal/ctl"
)

func supervisorToken() string {
	enc := base64.RawURLEncoding.EncodeToString
	return enc([]byte(`{"alg":"EdDSA"}`)) + "." + enc([]byte(`{"role":"supervisor","district":"110101"}`)) + ".sig"
}

// stepClock advances only when a replay sleeps on it.
type stepClock struct {
	now   time.Time
	slept []time.Duration
}

func (c *stepClock) Now() time.Time { return c.now }
func (c *stepClock) Sleep(_ context.Context, d time.Duration) error {
	c.slept = append(c.slept, d)
	c.now = c.now.Add(d)
	return nil
}

func TestDrillRecordAnonymisesTheSearch(t *testing.T) {
	t.Parallel()
	fake, url := startFake(t, http.StatusOK, `{"whistles": [
	  {"id": "w-2", "street_id": "110101002", "district_id": "110101", "category": "noise", "title": "王先生家楼下",
	   "description": "电话 13800138000", "address": "东华门大街 12 号", "location": {"lat": 39.91, "lng": 116.40},
	   "urgency": "HIGH", "raised_at": "2026-11-30T18:00:00Z"},
	  {"id": "w-1", "street_id": "110101001", "district_id": "110101", "category": "garbage", "description": "垃圾",
	   "location": {"lat": 39.92, "lng": 116.41}, "urgency": "NORMAL", "raised_at": "2026-11-30T17:00:00Z"}]}`)
	file := filepath.Join(t.TempDir(), "day.jsonl")
	env := map[string]string{"WHISTLE_URL": url, "WHISTLE_TOKEN": supervisorToken()}
	code, out, errOut := run(t, env, "drill", "record", "--from", "2026-12-01", "--to", "2026-12-02", "--out", file)
	require.Equal(t, 0, code, errOut)
	require.Contains(t, out, "recorded 2 raises of 110101")
	req := fake.last(t)
	require.Equal(t, "/v1/search/whistles", req.Path)
	require.Equal(t, []string{"110101"}, req.Query["district_id"], "the token's district")
	require.Equal(t, []string{"2026-11-30T16:00:00Z"}, req.Query["raised_from"], "a date is a Beijing day")
	require.Equal(t, []string{"2026-12-01T16:00:00Z"}, req.Query["raised_to"])

	raw, err := os.ReadFile(file)
	require.NoError(t, err)
	require.Equal(t, `{"format":"whistle-drill-recording","version":1,"district":"110101","from":"2026-11-30T16:00:00Z","to":"2026-12-01T16:00:00Z",`, string(raw[:bytes.Index(raw, []byte(`"recorded_at"`))]))
	require.Contains(t, string(raw), `{"seq":1,"offset_ms":3600000,"street_id":"110101001","category":"garbage","urgency":"NORMAL","lat":39.92,"lng":116.41}`)
	require.Contains(t, string(raw), `{"seq":2,"offset_ms":7200000,"street_id":"110101002","category":"noise","urgency":"HIGH","lat":39.91,"lng":116.4}`)
	for _, secret := range []string{"王先生", "13800138000", "东华门大街", "w-1", "w-2"} {
		require.NotContains(t, string(raw), secret)
	}

	code, _, errOut = run(t, env, "drill", "record", "--from", "2026-12-02", "--to", "2026-12-01")
	require.Equal(t, 1, code)
	require.Contains(t, errOut, "--to after --from")
}

func TestDrillRunReplaysAtSpeedWithKeys(t *testing.T) {
	t.Parallel()
	fake, url := startFake(t, http.StatusOK, `{"id": "drill-d1-w", "street_id": "110101001", "drill_id": "d1"}`)
	file := filepath.Join(t.TempDir(), "day.jsonl")
	require.NoError(t, os.WriteFile(file, []byte(
		`{"format":"whistle-drill-recording","version":1,"district":"110101","from":"2026-11-30T16:00:00Z","to":"2026-12-01T16:00:00Z","raises":2}`+"\n"+
			`{"seq":1,"offset_ms":3600000,"street_id":"110101001","category":"garbage","urgency":"NORMAL","lat":39.92,"lng":116.41}`+"\n"+
			`{"seq":2,"offset_ms":7200000,"street_id":"110101002","category":"noise","urgency":"HIGH","lat":39.91,"lng":116.4}`+"\n"), 0o600))
	clock := &stepClock{now: time.Date(2026, 12, 7, 2, 0, 0, 0, time.UTC)}
	var out, errOut bytes.Buffer
	env := map[string]string{"WHISTLE_URL": url, "WHISTLE_TOKEN": supervisorToken()}
	code := ctl.ExecuteWithClock(context.Background(), clock, []string{"drill", "run", file, "--drill", "d1", "--speed", "60"},
		&out, &errOut, func(k string) string { return env[k] })
	require.Equal(t, 0, code, errOut.String())
	require.Equal(t, []time.Duration{time.Minute, time.Minute}, clock.slept, "an hour apart in the day, a minute apart at 60×")
	require.Contains(t, out.String(), "drill d1: 2 raises replayed at 60×")

	require.Len(t, fake.seen, 2)
	first, second := fake.seen[0], fake.seen[1]
	require.Equal(t, "/v1/whistles", first.Path)
	require.Equal(t, "seq-1", first.Header.Get("Idempotency-Key"), "a re-run raises the same whistles")
	require.Equal(t, "seq-2", second.Header.Get("Idempotency-Key"))
	require.Equal(t, "d1", first.Body["drill_id"])
	require.Equal(t, "110101001", first.Body["street_id"])
	require.Equal(t, "garbage", first.Body["category"])
	require.Equal(t, "HIGH", second.Body["urgency"])
	require.Contains(t, first.Body["description"], "演练 d1 第 1 条")

	code, _, errStr := run(t, env, "drill", "run", file)
	require.Equal(t, 1, code)
	require.Contains(t, errStr, "--drill is required")
	bad := filepath.Join(t.TempDir(), "bad.jsonl")
	require.NoError(t, os.WriteFile(bad, []byte(`{"format":"something-else","version":1}`+"\n"), 0o600))
	code, _, errStr = run(t, env, "drill", "run", bad, "--drill", "d1")
	require.Equal(t, 1, code)
	require.Contains(t, errStr, "not a whistle-drill-recording version 1 file")
}

func TestDrillReportComparesWithTheRealPeriod(t *testing.T) {
	t.Parallel()
	fake, url := startFake(t, http.StatusOK, `{"drill_id": "d1", "district": "110101", "group_by": "CATEGORY",
	  "real_from": "2026-11-30T16:00:00Z", "real_to": "2026-12-01T16:00:00Z",
	  "rows": [{"key": "noise", "drill": {"dispatched": 4, "acked_on_time": 3, "arrival_base": 4, "arrived_on_time": 2, "resolved_on_time": 1,
	             "ack_rate": 0.75, "arrive_rate": 0.5, "resolve_rate": 0.25},
	            "real": {"dispatched": 2, "acked_on_time": 2, "arrival_base": 2, "arrived_on_time": 2, "resolved_on_time": 2,
	             "ack_rate": 1, "arrive_rate": 1, "resolve_rate": 1}}],
	  "total": {"key": "total", "drill": {"dispatched": 4, "ack_rate": 0.75, "arrival_base": 4, "arrive_rate": 0.5, "resolve_rate": 0.25},
	            "real": {"dispatched": 2, "ack_rate": 1, "arrival_base": 2, "arrive_rate": 1, "resolve_rate": 1}}}`)
	file := filepath.Join(t.TempDir(), "day.jsonl")
	require.NoError(t, os.WriteFile(file, []byte(
		`{"format":"whistle-drill-recording","version":1,"district":"110101","from":"2026-11-30T16:00:00Z","to":"2026-12-01T16:00:00Z","raises":0}`+"\n"), 0o600))
	env := map[string]string{"WHISTLE_URL": url, "WHISTLE_TOKEN": supervisorToken()}
	code, out, errOut := run(t, env, "drill", "report", "--drill", "d1", "--recording", file, "--by", "category")
	require.Equal(t, 0, code, errOut)
	req := fake.last(t)
	require.Equal(t, "/v1/drills/d1/report", req.Path)
	require.Equal(t, []string{"110101"}, req.Query["district"])
	require.Equal(t, []string{"2026-11-30T16:00:00Z"}, req.Query["real_from"])
	require.Equal(t, []string{"2026-12-01T16:00:00Z"}, req.Query["real_to"])
	require.Equal(t, []string{"true"}, req.Query["by_category"])
	require.Regexp(t, `noise\s+4\s+75\.0%\s+50\.0%\s+25\.0%\s+2\s+100\.0%\s+100\.0%\s+100\.0%`, out)
	require.Regexp(t, `total\s+4\s+75\.0%`, out)

	code, _, errOut = run(t, env, "drill", "report", "--drill", "d1", "--from", "2026-12-01", "--to", "2026-12-02", "--by", "week")
	require.Equal(t, 1, code)
	require.Contains(t, errOut, "must be department, street or category")
}
