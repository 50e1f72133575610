package ctl_test

import (
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mattn/go-runewidth"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"
)

// sameObjects decodes a JSON and a YAML text and compares what they hold,
// numbers compared as JSON numbers.
func sameObjects(t *testing.T, jsonText, yamlText string) {
	t.Helper()
	var fromJSON, fromYAML any
	require.NoError(t, json.Unmarshal([]byte(jsonText), &fromJSON), jsonText)
	require.NoError(t, yaml.Unmarshal([]byte(yamlText), &fromYAML), yamlText)
	again, err := json.Marshal(fromYAML)
	require.NoError(t, err)
	var normalized any
	require.NoError(t, json.Unmarshal(again, &normalized))
	require.Equal(t, fromJSON, normalized)
}

func TestYAMLPrintsTheGatewaysObjectsFaithfully(t *testing.T) {
	t.Parallel()
	_, url := startFake(t, http.StatusOK, whistleJSON)
	env := map[string]string{"WHISTLE_URL": url, "WHISTLE_TOKEN": "t"}

	code, jsonOut, errOut := run(t, env, "show", "w-1", "-o", "json")
	require.Equal(t, 0, code, errOut)
	code, yamlOut, errOut := run(t, env, "show", "w-1", "-o", "yaml")
	require.Equal(t, 0, code, errOut)

	sameObjects(t, jsonOut, yamlOut)
	require.True(t, strings.HasPrefix(yamlOut, "id: w-1\nstreet_id: \"110101001\"\n"),
		"keys in the gateway's order, a number-like string stays a string:\n%s", yamlOut)
	require.Contains(t, yamlOut, "some_future_field: true", "fields newer than the CLI are printed too")
	require.Contains(t, yamlOut, "resolve_by: null")
}

// TestEveryCommandPrintsOneWay: each command that prints an answer prints
// the gateway's body as it came with -o json and -o yaml, through one path.
func TestEveryCommandPrintsOneWay(t *testing.T) {
	t.Parallel()
	const body = `{"zz_future":{"code":"007","ok":true,"names":["东华门街道","Donghuamen"]}}`
	_, url := startFake(t, http.StatusOK, body)
	env := map[string]string{"WHISTLE_URL": url, "WHISTLE_TOKEN": streetToken()}
	commands := [][]string{
		{"list"}, {"show", "w-1"}, {"timeline", "w-1"}, {"cancel", "w-1"}, {"reopen", "w-1", "--reason", "r"},
		{"feedback", "w-1", "--satisfaction", "5"}, {"queue"}, {"dispatch", "d-1"}, {"ack", "d-1"},
		{"arrive", "d-1", "--lat", "39.9", "--lng", "116.4"}, {"resolve", "d-1"},
		{"return", "d-1", "--reason", "r", "--code", "duplicate"}, {"escalate", "d-1"},
		{"categories"}, {"districts"}, {"streets"}, {"departments"}, {"arbitrations"},
		{"arbitrate", "a-1", "--department", "police"}, {"report", "sla", "--to", "2026-12-01"},
		{"sla", "policies"}, {"sla", "calendar", "2026"}, {"sla", "clocks", "d-1"},
		{"catalogue", "diff"}, {"catalogue", "publish"},
		{"reports", "list"}, {"reports", "show", "r-1"}, {"reports", "inbox"},
		{"reports", "triage", "r-1", "--action", "local"}, {"tickets", "show", "BJ-1"},
		{"roster", "list"}, {"roster", "desks"}, {"roster", "delete", "s-1"},
		{"endpoints", "list"}, {"endpoints", "delete", "1"}, {"service-accounts", "list"},
		{"service-accounts", "revoke", "sa-1"}, {"deadletters", "list"}, {"deadletters", "replay", "dl-1"},
		{"deliveries", "d-1"},
		{"merge", "w-2", "--into", "w-1"}, {"keep", "w-2"}, {"confirm-location", "w-1"}, {"routing", "w-1"},
		{"add-department", "w-1", "--department", "transport"},
		{"extension", "request", "d-1", "--clock", "ack", "--until", "2026-11-28 18:00", "--reason", "r"},
		{"extension", "list"}, {"extension", "decide", "d-1", "x-1", "--approve"},
		{"appeal", "file", "d-1", "--clock", "ack", "--code", "other", "--reason", "r"}, {"appeal", "list"},
		{"appeal", "decide", "a-1", "--reject"}, {"report", "scorecards"}, {"report", "hotspots"},
		{"report", "monthly", "--month", "2026-11"}, {"sla", "policies", "set", "--category", "noise"},
		{"sla", "calendar", "set", "2027-02-06", "--kind", "holiday"}, {"sla", "calendar", "delete", "2027-02-06"},
		{"departments", "save", "water-affairs", "--name", "区水务局"}, {"board", "show", "w-1"},
		{"board", "note", "w-1", "--text", "t"}, {"board", "complete", "w-1"}, {"risk"},
		{"streets", "rename", "110101001", "--name", "n"}, {"streets", "locate", "--street", "110101001", "--lat", "1", "--lng", "2"},
		{"catalogue", "show"}, {"channels", "list"}, {"channels", "update", "7", "--enable"}, {"channels", "delete", "7"},
		{"grants", "list"}, {"grants", "set", "u-1", "--role", "admin"}, {"grants", "revoke", "u-1"},
		{"report", "whistle", "w-1"}, {"report", "weights", "set", "2026-12", "--arrival", "1"},
		{"eta", "show", "w-1"}, {"eta", "set", "d-1", "--at", "2026-11-28 10:40"},
	}
	for _, args := range commands {
		code, jsonOut, errOut := run(t, env, append(args, "-o", "json")...)
		require.Equal(t, 0, code, "%v: %s", args, errOut)
		require.JSONEq(t, body, jsonOut, "%v", args)
		code, yamlOut, errOut := run(t, env, append(args, "-o", "yaml")...)
		require.Equal(t, 0, code, "%v: %s", args, errOut)
		sameObjects(t, body, yamlOut)
	}

	// Answers that are not a gateway body take the same path.
	code, out, errOut := run(t, env, "version", "-o", "yaml")
	require.Equal(t, 0, code, errOut)
	var v map[string]any
	require.NoError(t, yaml.Unmarshal([]byte(out), &v), out)
	require.Contains(t, v, "version")
}

// columnStarts is where each of cells begins in line, in terminal cells.
func columnStarts(t *testing.T, line string, cells ...string) []int {
	t.Helper()
	var out []int
	from := 0
	for _, c := range cells {
		i := strings.Index(line[from:], c)
		require.GreaterOrEqual(t, i, 0, "%q in %q", c, line)
		out = append(out, runewidth.StringWidth(line[:from+i]))
		from += i + len(c)
	}
	return out
}

func TestTablesAlignChineseNamesByDisplayWidth(t *testing.T) {
	t.Parallel()
	_, url := startFake(t, http.StatusOK, `{"streets":[
	  {"id":"110101001","name":"东华门街道","name_en":"Donghuamen","district_id":"110101","centroid":{"lat":39.9146,"lng":116.4036}},
	  {"id":"110101002","name":"景山街道","name_en":"Jingshan","district_id":"110101","centroid":{"lat":39.9247,"lng":116.3973}},
	  {"id":"110105x","name":"Test Street","name_en":"ASCII only","district_id":"110105","centroid":{"lat":39.9,"lng":116.4}}]}`)
	code, out, errOut := run(t, map[string]string{"WHISTLE_URL": url, "WHISTLE_TOKEN": "t"}, "streets")
	require.Equal(t, 0, code, errOut)
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	require.Len(t, lines, 4, out)

	header := columnStarts(t, lines[0], "ID", "NAME", "DISTRICT", "CENTROID")
	for i, row := range [][]string{
		{"110101001", "东华门街道 / Donghuamen", "110101", "39.914600"},
		{"110101002", "景山街道 / Jingshan", "110101", "39.924700"},
		{"110105x", "Test Street / ASCII only", "110105", "39.900000"},
	} {
		require.Equal(t, header, columnStarts(t, lines[i+1], row...), "row %d:\n%s", i+1, out)
	}
}

func TestCompletionScripts(t *testing.T) {
	t.Parallel()
	// A broken config file must not break completion.
	cfg := filepath.Join(t.TempDir(), "config.yaml")
	require.NoError(t, os.WriteFile(cfg, []byte("no_such_key: 1\n"), 0o600))
	env := map[string]string{"WHISTLE_CONFIG": cfg}

	checks := map[string][]string{"bash": {"bash", "-n"}, "zsh": {"zsh", "-n"}, "fish": {"fish", "--no-execute"}}
	for _, shell := range []string{"bash", "zsh", "fish", "powershell"} {
		code, script, errOut := run(t, env, "completion", shell)
		require.Equal(t, 0, code, errOut)
		require.Contains(t, script, "whistlectl", shell)
		check, ok := checks[shell]
		if !ok {
			continue
		}
		if _, err := exec.LookPath(check[0]); err != nil {
			require.NotEqual(t, "bash", shell, "bash is needed to check the bash script")
			t.Logf("%s is not installed: its script is not parsed", shell)
			continue
		}
		path := filepath.Join(t.TempDir(), "whistlectl."+shell)
		require.NoError(t, os.WriteFile(path, []byte(script), 0o600))
		parsed, err := exec.Command(check[0], append(check[1:], path)...).CombinedOutput()
		require.NoError(t, err, "%s does not parse its script: %s", shell, parsed)
	}

	// What the scripts ask whistlectl: subcommands and -o values.
	code, out, errOut := run(t, env, "__complete", "tick")
	require.Equal(t, 0, code, errOut)
	require.Contains(t, out, "tickets\t")
	code, out, errOut = run(t, env, "__complete", "list", "-o", "")
	require.Equal(t, 0, code, errOut)
	require.Equal(t, []string{"table", "json", "yaml", ":4"}, strings.Fields(strings.Split(out, "Completion ended")[0]))
}
