package e2e_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/chuishao/whistle/cli/whistlectl"
)

// cliAs is the environment of whistlectl signed in with token against s.
func cliAs(t *testing.T, s *system, token string) map[string]string {
	return map[string]string{"WHISTLE_URL": s.url, "WHISTLE_TOKEN": token, "HOME": t.TempDir()}
}

// cliTry runs whistlectl and returns its exit code and output, for
// commands that may not succeed yet (the caller polls).
func cliTry(env map[string]string, args ...string) (int, string, string) {
	var out, errOut bytes.Buffer
	code := whistlectl.Run(context.Background(), args, &out, &errOut, func(k string) string { return env[k] })
	return code, out.String(), errOut.String()
}

// TestWhistlectlStreetDuplicatesLocationAndDepartments: a street merges a
// duplicate into the whistle it repeats, keeps another, confirms a location
// the jurisdiction check doubted and calls one more department — each through
// whistlectl against the whole system.
func TestWhistlectlStreetDuplicatesLocationAndDepartments(t *testing.T) {
	t.Parallel()
	s := startSystem(t, options{})
	street := cliAs(t, s, streetToken(t, s, donghuamen))
	first, _ := raise(t, s, donghuamen, "noise", 3)

	// Two noise whistles 40 m from the first: both name it as a possible duplicate.
	raiseNear := func(metres float64) string {
		w := cliJSON(t, street, "raise", "--category", "noise", "--description", "夜间噪音扰民",
			"--lat", fmt.Sprint(39.9146+metres/111195.0), "--lng", "116.4036")
		require.Equal(t, first, str(obj(list(w["duplicate_candidates"])[0])["whistle_id"]), w)
		id := str(w["id"])
		eventually(t, "dispatches of "+id, func() bool { return len(list(cliJSON(t, street, "show", id)["dispatches"])) == 3 })
		return id
	}
	dup, other := raiseNear(40), raiseNear(-40)

	merged := cliJSON(t, street, "merge", dup, "--into", first)
	require.Equal(t, "CANCELLED", merged["status"])
	require.Equal(t, first, merged["merged_into"])
	require.Regexp(t, `STATUS\s+ROUTED`, cli(t, street, "show", first), "the survivor goes on")
	eventually(t, "the merge on the survivor", func() bool {
		return len(list(cliJSON(t, street, "show", first)["merged_whistle_ids"])) == 1
	})

	kept := cliJSON(t, street, "keep", other)
	require.NotEqual(t, "CANCELLED", kept["status"])
	require.Empty(t, kept["merged_into"])
	code, _, errOut := cliTry(street, "merge", other, "--into", other)
	require.Equal(t, 1, code)
	require.Contains(t, errOut, "--into must name another whistle")

	// 700 m outside Donghuamen, in Jingshan: the street confirms the place.
	w := cliJSON(t, street, "raise", "--category", "street-vending", "--description", "占道经营", "--lat", "39.93", "--lng", "116.392")
	outside := str(w["id"])
	eventually(t, "the jurisdiction check", func() bool {
		return obj(cliJSON(t, street, "show", outside)["routing"])["jurisdiction"] != nil
	})
	require.Contains(t, cli(t, street, "routing", outside), "needs confirmation 待确认")
	confirmed := cliJSON(t, street, "confirm-location", outside, "--note", "两街交界")
	require.NotEmpty(t, obj(confirmed["jurisdiction"])["confirmed_at"], confirmed)
	require.Contains(t, cli(t, street, "routing", outside), "CONFIRMED")

	// 增派: transport joins the first whistle.
	added := cli(t, street, "add-department", first, "--department", "transport", "--reason", "占用机动车道")
	require.Regexp(t, `transport\s+`, added)
	eventually(t, "transport dispatched", func() bool {
		for _, d := range list(cliJSON(t, street, "show", first)["dispatches"]) {
			if str(obj(d)["department"]) == "transport" {
				return true
			}
		}
		return false
	})
	code, _, errOut = cliTry(street, "add-department", first, "--department", "no-such-department")
	require.Equal(t, 1, code)
	require.Contains(t, errOut, "department")
}

// TestWhistlectlExtensionsAndAppeals: a desk asks for a later deadline and
// the supervisor approves it; a desk appeals a breach and the supervisor
// accepts it; the supervisor escalates a dispatch.
func TestWhistlectlExtensionsAndAppeals(t *testing.T) {
	t.Parallel()
	s := startSystem(t, options{})
	_, w := raise(t, s, donghuamen, "joint-enforcement", 3)
	police, urban := str(dispatchOf(t, w, "police")["id"]), dispatchOf(t, w, "urban-management")
	policeDesk := cliAs(t, s, deskToken(t, s, dongcheng, "police"))
	urbanDesk := cliAs(t, s, deskToken(t, s, dongcheng, "urban-management"))
	sup := cliAs(t, s, supervisorToken(t, s, dongcheng))

	// 延期: the police desk asks to move its resolve deadline a day.
	acked := cliJSON(t, policeDesk, "ack", police)
	resolveBy := parseTime(t, clockOf(t, acked, "resolve")["due_at"])
	until := resolveBy.Add(24 * time.Hour)
	asked := cliJSON(t, policeDesk, "extension", "request", police, "--clock", "resolve", "--until", until.Format(time.RFC3339), "--reason", "需协调产权单位到场")
	ext := obj(list(asked["extensions"])[0])
	require.Equal(t, "PENDING", ext["status"])
	code, _, errOut := cliTry(policeDesk, "extension", "decide", police, str(ext["id"]), "--approve")
	require.Equal(t, 1, code, "a desk does not decide its own extension")
	require.Contains(t, errOut, "PERMISSION_DENIED")

	require.Regexp(t, str(ext["id"])+`\s+`+police, cli(t, sup, "extension", "list"))
	decided := cliJSON(t, sup, "extension", "decide", police, str(ext["id"]), "--approve", "--note", "同意延期")
	require.True(t, parseTime(t, clockOf(t, decided, "resolve")["due_at"]).Equal(until))
	require.Contains(t, cli(t, sup, "extension", "list"), "No extension waits for a decision.")

	// 申诉: urban management misses its acknowledgement and appeals the breach.
	s.clock.Advance(parseTime(t, obj(urban["deadlines"])["ack_by"]).Sub(s.clock.Now()))
	var appeal map[string]any
	eventually(t, "the breach appealed", func() bool {
		s.clock.Advance(10 * time.Second) // small steps: a poller may have just gone to sleep
		code, out, _ := cliTry(urbanDesk, "appeal", "file", str(urban["id"]), "--clock", "ack", "--code", "force_majeure",
			"--reason", "暴雨封路，值班员无法签收", "-o", "json")
		if code != 0 {
			return false
		}
		appeal = decodeJSON(t, out)
		return true
	})
	require.Equal(t, "PENDING", appeal["status"])
	require.Regexp(t, str(appeal["id"])+`\s+`+str(urban["id"])+`\s+urban-management\s+ack\s+force_majeure\s+PENDING`,
		cli(t, sup, "appeal", "list", "--status", "pending"))
	accepted := cliJSON(t, sup, "appeal", "decide", str(appeal["id"]), "--accept", "--note", "气象部门发布暴雨红色预警")
	require.Equal(t, "ACCEPTED", accepted["status"])
	require.Contains(t, cli(t, urbanDesk, "appeal", "list"), "ACCEPTED")

	// 督办: the supervisor escalates the late dispatch by hand.
	escalated := cliJSON(t, sup, "escalate", str(urban["id"]), "--reason", "超时未签收")
	require.Equal(t, str(urban["id"]), escalated["id"])
	require.NotZero(t, escalated["escalation_level"])
}

// TestWhistlectlSupervisorReportsAndAdminEdits: seeded whistles show in the
// supervisor's scorecards, hotspots and monthly 成绩单; an admin edits SLA
// policy, the calendar, the departments and the routing catalogue.
func TestWhistlectlSupervisorReportsAndAdminEdits(t *testing.T) {
	t.Parallel()
	s := startSystem(t, options{})
	street := cliAs(t, s, streetToken(t, s, donghuamen))
	sup := cliAs(t, s, supervisorToken(t, s, dongcheng))
	admin := cliAs(t, s, adminToken(t, s))

	// seed raises demo whistles around the street's centre, one category after another.
	seeded := cliJSON(t, street, "seed", "--count", "7")
	ids := list(seeded["whistle_ids"])
	require.Len(t, ids, 7)
	listed := cli(t, street, "list", "--page-size", "20")
	for _, id := range ids {
		require.Contains(t, listed, str(id))
	}
	code, _, errOut := cliTry(street, "seed", "--count", "0")
	require.Equal(t, 1, code)
	require.Contains(t, errOut, "--count must be 1..50")
	code, _, errOut = cliTry(sup, "seed")
	require.Equal(t, 1, code)
	require.Contains(t, errOut, "seed needs a street token")

	// 未诉先办: street-vending came back twice this month, by whistles alone,
	// named as the console names it.
	hotspots := []string{"report", "hotspots", "--district", dongcheng, "--to", t0.Format("2006-01")}
	var out string
	hotspot := regexp.MustCompile(`东华门街道 ` + donghuamen + `\s+\S+ street-vending\s+2\s+0\s+0\s+2\s+2\s+\+2`)
	// Until the projection has every seeded whistle (the street shows up with the first).
	eventually(t, "the hotspot", func() bool {
		out = cli(t, sup, hotspots...)
		return hotspot.MatchString(out)
	})
	require.Regexp(t, hotspot, out)

	period := []string{"--district", dongcheng, "--from", t0.Add(-time.Hour).Format(time.RFC3339), "--to", t0.Add(24 * time.Hour).Format(time.RFC3339)}
	eventually(t, "scorecards", func() bool {
		return len(list(cliJSON(t, sup, append([]string{"report", "scorecards"}, period...)...)["scorecards"])) > 0
	})
	require.Contains(t, cli(t, sup, append([]string{"report", "scorecards", "--by", "street"}, period...)...), donghuamen)
	month := t0.Format("2006-01")
	require.Contains(t, cli(t, sup, "report", "monthly", "--district", dongcheng, "--month", month), "</html>")
	pdf := filepath.Join(t.TempDir(), "成绩单.pdf")
	cli(t, sup, "report", "monthly", "--month", month, "--format", "pdf", "--out", pdf)
	doc, err := os.ReadFile(pdf)
	require.NoError(t, err)
	require.True(t, bytes.HasPrefix(doc, []byte("%PDF-")), "a PDF")
	// The upward report of one whistle, and the composite's weights from next month on.
	upward := cliJSON(t, sup, "report", "whistle", str(ids[0]))
	require.NotEmpty(t, upward["text"])
	require.Contains(t, cli(t, sup, "report", "whistle", str(ids[0])), strings.SplitN(str(upward["text"]), "\n", 2)[0])
	require.Contains(t, cli(t, admin, "report", "weights", "set", t0.AddDate(0, 1, 0).Format("2006-01"),
		"--response", "0.2", "--arrival", "0.4", "--resolution", "0.2", "--satisfaction", "0.2"), "arrival 0.40")
	code, _, errOut = cliTry(sup, "report", "weights", "set", "2026-12", "--arrival", "1")
	require.Equal(t, 1, code)
	require.Contains(t, errOut, "PERMISSION_DENIED")
	code, _, errOut = cliTry(cliAs(t, s, deskToken(t, s, dongcheng, "police")), "report", "scorecards")
	require.Equal(t, 1, code)
	require.Contains(t, errOut, "PERMISSION_DENIED")

	// SLA policy: noise in Dongcheng, arrive within 20 minutes.
	cli(t, admin, "sla", "policies", "set", "--category", "noise", "--district", dongcheng, "--ack", "5m", "--arrive", "20m", "--resolve", "48h")
	require.Regexp(t, `noise\s+`+dongcheng+`\s+5m0s\s+20m0s\s+48h0m0s`, cli(t, admin, "sla", "policies"))
	code, _, errOut = cliTry(street, "sla", "policies", "set", "--category", "noise", "--arrive", "1m")
	require.Equal(t, 1, code)
	require.Contains(t, errOut, "PERMISSION_DENIED")

	// The calendar: a day off, then an ordinary day again.
	cli(t, admin, "sla", "calendar", "set", "2027-03-17", "--kind", "holiday", "--name", "演练假日")
	require.Regexp(t, `2027-03-17\s+HOLIDAY\s+演练假日\s+-`, cli(t, admin, "sla", "calendar", "2027"))
	cli(t, admin, "sla", "calendar", "set", "2027-02-06", "--kind", "holiday", "--name", "春节")
	require.Regexp(t, `2027-02-06\s+HOLIDAY\s+春节\s+-`, cli(t, admin, "sla", "calendar", "2027"), "set by an admin, a seeded day is final")
	cli(t, admin, "sla", "calendar", "delete", "2027-03-17")
	require.NotContains(t, cli(t, admin, "sla", "calendar", "2027"), "2027-03-17")

	// A new department.
	cli(t, admin, "departments", "save", "water-affairs", "--name", "区水务局", "--name-en", "Water Affairs")
	require.Regexp(t, `water-affairs\s+区水务局 / Water Affairs`, cli(t, street, "departments"))

	// The catalogue: the draft shown, edited through a file, diffed and published.
	draft := cliJSON(t, admin, "catalogue", "show", "--version", "draft")
	rules := append(list(draft["rules"]), map[string]any{"category": "noise", "district_id": dongcheng, "lead_department": "environment",
		"cooperating_departments": []string{"police", "water-affairs"}, "sla": obj(list(draft["rules"])[0])["sla"]})
	draft["rules"], draft["description"] = rules, "东城噪声加水务"
	file := filepath.Join(t.TempDir(), "draft.json")
	raw, err := json.Marshal(draft)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(file, raw, 0o600))
	require.Contains(t, cli(t, admin, "catalogue", "draft", file), "东城噪声加水务")
	require.Regexp(t, `added\s+noise\s+`+dongcheng+`\s+-\s+environment \+ police, water-affairs`, cli(t, admin, "catalogue", "diff"))
	require.Contains(t, cli(t, admin, "catalogue", "publish"), "Published v2")
	require.Regexp(t, `noise\s+`+dongcheng+`\s+environment \+ police, water-affairs`, cli(t, admin, "catalogue", "show"))
}

func decodeJSON(t *testing.T, out string) map[string]any {
	t.Helper()
	var v map[string]any
	require.NoError(t, json.Unmarshal([]byte(out), &v), out)
	return v
}
