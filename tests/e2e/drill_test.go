package e2e_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/stretchr/testify/require"

	"github.com/chuishao/whistle/cli/whistlectl"
	"github.com/chuishao/whistle/platform/auth"
)

// replayClock paces `whistlectl drill run` on the system's fake clock: each
// wait of the replay moves the whole stack's time on by as much.
type replayClock struct{ c *clockwork.FakeClock }

func (r replayClock) Now() time.Time { return r.c.Now() }
func (r replayClock) Sleep(_ context.Context, d time.Duration) error {
	r.c.Advance(d)
	return nil
}

// The acceptance of drills: a real day is recorded (anonymised), replayed at
// 60× into a drill, the desks work the drill's dispatches, the drill report
// gives the drill's on-time rates next to the real ones, and the real
// scorecards and SLA report are exactly what they were.
func TestDrillReplaysARecordedDayAt60xWithoutTouchingRealScores(t *testing.T) {
	t.Parallel()
	s := startSystem(t, options{})
	supTok := s.token(t, authIdentity(auth.RoleSupervisor, "", dongcheng, ""))
	dayStart := s.clock.Now()

	// The real day: three garbage whistles an hour apart, every dispatch
	// acknowledged, arrived and resolved on time.
	var realIDs []string
	for i := range 3 {
		if i > 0 {
			s.clock.Advance(time.Hour)
		}
		id, w := raise(t, s, donghuamen, "garbage", 2)
		realIDs = append(realIDs, id)
		for _, d := range list(w["dispatches"]) {
			d := obj(d)
			tok := deskToken(t, s, dongcheng, str(d["department"]))
			work(t, s, tok, str(d["id"]), 39.9146, 116.4036, "已清运")
		}
	}
	dayEnd := s.clock.Now().Add(time.Minute)
	// The real reports over a period that holds the drill too.
	q := url.Values{"district": {dongcheng}, "from": {dayStart.Format(time.RFC3339)}, "to": {dayEnd.Add(24 * time.Hour).Format(time.RFC3339)}}
	realReports := func() (string, string) {
		sc := s.do(t, http.MethodGet, "/v1/reports/scorecards?"+q.Encode(), supTok, nil)
		require.Equal(t, http.StatusOK, sc.status, sc.raw)
		sla := s.do(t, http.MethodGet, "/v1/reports/sla?"+q.Encode(), supTok, nil)
		require.Equal(t, http.StatusOK, sla.status, sla.raw)
		return sc.raw, sla.raw
	}
	eventually(t, "the real day in the SLA report", func() bool {
		r := s.do(t, http.MethodGet, "/v1/reports/sla?"+q.Encode(), supTok, nil)
		total := obj(r.body["total"])
		return str(total["dispatched"]) == "6" && str(total["resolved_on_time"]) == "6"
	})
	scorecardsBefore, slaBefore := realReports()

	// Record the day as the district's supervisor.
	env := map[string]string{"WHISTLE_URL": s.url, "WHISTLE_TOKEN": supTok, "HOME": t.TempDir()}
	file := filepath.Join(t.TempDir(), "day.jsonl")
	cli(t, env, "drill", "record", "--district", dongcheng, "--from", dayStart.Format(time.RFC3339Nano), "--to", dayEnd.Format(time.RFC3339Nano), "--out", file)
	raw, err := os.ReadFile(file)
	require.NoError(t, err)
	lines := strings.Split(strings.TrimSpace(string(raw)), "\n")
	require.Len(t, lines, 4, "a header and three raises: %s", raw)
	require.Contains(t, lines[0], `"format":"whistle-drill-recording","version":1,"district":"110101"`)
	require.Contains(t, lines[2], `"offset_ms":3600000,"street_id":"110101001","category":"garbage","urgency":"HIGH"`)
	for _, secret := range append([]string{"东华门大街", "噪声", "street-"}, realIDs...) {
		require.NotContains(t, string(raw), secret, "the recording is anonymised")
	}

	// Replay it at 60× into drill e2e_day: two hours of the day take two minutes.
	replay := func() {
		var out, errOut bytes.Buffer
		code := whistlectl.RunWithClock(context.Background(), replayClock{s.clock}, []string{"drill", "run", file, "--drill", "e2e_day", "--speed", "60"},
			&out, &errOut, func(k string) string { return env[k] })
		require.Equal(t, 0, code, errOut.String())
		require.Contains(t, out.String(), "drill e2e_day: 3 raises replayed at 60×")
	}
	replayStart := s.clock.Now()
	replay()
	require.Equal(t, 2*time.Minute, s.clock.Now().Sub(replayStart))

	// The drill's whistles: the supervisor lists them, marked; each is dispatched like a real one.
	drillWhistles := func() []map[string]any {
		var out []map[string]any
		for _, w := range list(s.do(t, http.MethodGet, "/v1/whistles?page_size=100", supTok, nil).body["whistles"]) {
			if obj(w)["drill_id"] == "e2e_day" {
				out = append(out, obj(w))
			}
		}
		return out
	}
	var drills []map[string]any
	eventually(t, "the drill's dispatches", func() bool {
		drills = drillWhistles()
		if len(drills) != 3 {
			return false
		}
		for _, w := range drills {
			if len(list(w["dispatches"])) != 2 {
				return false
			}
		}
		return true
	})
	for _, w := range drills {
		require.True(t, strings.HasPrefix(str(w["id"]), "drill-e2e_day-"), w["id"])
		require.Empty(t, w["duplicate_candidates"], "a drill whistle is no duplicate of a real one")
	}
	// A re-run raises nothing twice.
	replay()
	require.Len(t, drillWhistles(), 3)

	// The desks work the first replayed whistle at once; the rest stay untouched.
	first := drills[len(drills)-1] // the list is newest first
	for _, d := range list(first["dispatches"]) {
		d := obj(d)
		r := s.do(t, http.MethodPost, "/v1/dispatches/"+str(d["id"])+":acknowledge", deskToken(t, s, dongcheng, str(d["department"])), map[string]any{})
		require.Equal(t, http.StatusOK, r.status, r.raw)
	}

	// The drill report: the drill's rates next to the real day's.
	rq := url.Values{"district": {dongcheng}, "real_from": {dayStart.Format(time.RFC3339Nano)}, "real_to": {dayEnd.Format(time.RFC3339Nano)}}
	var rep map[string]any
	eventually(t, "the drill report", func() bool {
		r := s.do(t, http.MethodGet, "/v1/drills/e2e_day/report?"+rq.Encode(), supTok, nil)
		require.Equal(t, http.StatusOK, r.status, r.raw)
		rep = r.body
		d := obj(obj(rep["total"])["drill"])
		return str(d["dispatched"]) == "6" && str(d["acked_on_time"]) == "2"
	})
	total := obj(rep["total"])
	require.InDelta(t, 2.0/6, obj(total["drill"])["ack_rate"], 1e-9)
	require.Equal(t, 0.0, numOr0(obj(total["drill"])["arrive_rate"]))
	require.Equal(t, "6", str(obj(total["real"])["dispatched"]))
	for _, rate := range []string{"ack_rate", "arrive_rate", "resolve_rate"} {
		require.Equal(t, 1.0, obj(total["real"])[rate], rate)
	}
	require.Len(t, list(rep["rows"]), 2, "one row per department")
	out := cli(t, env, "drill", "report", "--drill", "e2e_day", "--recording", file)
	require.Regexp(t, `total\s+6\s+33\.3%\s+0\.0%\s+0\.0%\s+6\s+100\.0%\s+100\.0%\s+100\.0%`, out)

	// Nothing of the drill reached the real record.
	scorecardsAfter, slaAfter := realReports()
	require.JSONEq(t, scorecardsBefore, scorecardsAfter, "the real scorecards are unchanged")
	require.JSONEq(t, slaBefore, slaAfter, "the real SLA report is unchanged")
	drillID := str(first["id"])
	streetTok := streetToken(t, s, donghuamen)
	require.Equal(t, http.StatusNotFound, s.do(t, http.MethodGet, "/v1/whistles/"+drillID, streetTok, nil).status, "the street did not raise it")
	require.NotContains(t, s.do(t, http.MethodGet, "/v1/whistles", streetTok, nil).raw, "drill-")
	require.NotContains(t, s.do(t, http.MethodGet, "/v1/search/whistles?page_size=100", supTok, nil).raw, "drill-", "registers are real")
	public := func(path string) (int, string) {
		resp, err := http.Get(s.url + path)
		require.NoError(t, err)
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		return resp.StatusCode, string(body)
	}
	code, body := public("/open311/v2/requests.json")
	require.Equal(t, http.StatusOK, code, body)
	require.Contains(t, body, realIDs[0])
	require.NotContains(t, body, "drill-", "the public list has no drill")
	if code, body := public("/open311/v2/requests/" + drillID + ".json"); code == http.StatusOK {
		require.NotContains(t, body, `"service_request_id"`, "a drill whistle is no public request")
	}
}

func numOr0(v any) float64 {
	f, _ := v.(float64)
	return f
}
