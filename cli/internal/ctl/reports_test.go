package ctl_test

import (
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

const reportJSON = `{"id": "r-1", "source": "GRID", "street_id": "110101001", "district_id": "110101", "grid_id": "DHM-01",
	"category": "joint-enforcement", "description": "占道经营", "status": "RECEIVED", "received_at": "2026-11-23T01:00:00Z",
	"triage_by": "2026-11-23T03:00:00Z", "triage_sla": "OK"}`

func TestReportsListShowInboxAndTriage(t *testing.T) {
	t.Parallel()
	fake, url := startFake(t, http.StatusOK, `{"reports": [`+reportJSON+`], "groups": [{"id": "r-1", "category": "joint-enforcement",
		"triage_by": "2026-11-23T03:00:00Z", "reports": [`+reportJSON+`]}]}`)
	env := map[string]string{"WHISTLE_URL": url, "WHISTLE_TOKEN": streetToken()}

	code, out, errOut := run(t, env, "reports", "list", "--status", "received", "--limit", "5")
	require.Equal(t, 0, code, errOut)
	req := fake.last(t)
	require.Equal(t, "/v1/discovery/reports", req.Path)
	require.Equal(t, []string{"RECEIVED"}, req.Query["status"])
	require.Equal(t, []string{"5"}, req.Query["page_size"])
	require.Regexp(t, `r-1\s+GRID\s+RECEIVED\s+110101001\s+DHM-01\s+joint-enforcement\s+2026-11-23 09:00\s+OK\s+-\s+占道经营`, out)

	code, _, errOut = run(t, env, "reports", "list", "--whistle", "w-1")
	require.Equal(t, 0, code, errOut)
	require.Equal(t, "/v1/whistles/w-1/reports", fake.last(t).Path)

	code, _, errOut = run(t, env, "reports", "list", "--status", "lost")
	require.Equal(t, 1, code)
	require.Contains(t, errOut, "must be one of")

	code, out, errOut = run(t, env, "reports", "inbox")
	require.Equal(t, 0, code, errOut)
	require.Equal(t, "/v1/streets/110101001/inbox", fake.last(t).Path, "the token's own street")
	require.Regexp(t, `r-1\s+joint-enforcement\s+2026-11-23 11:00\s+r-1\s+GRID\s+占道经营`, out)

	_, url = startFake(t, http.StatusOK, reportJSON)
	code, out, errOut = run(t, map[string]string{"WHISTLE_URL": url, "WHISTLE_TOKEN": streetToken()}, "reports", "show", "r-1")
	require.Equal(t, 0, code, errOut)
	require.Regexp(t, `GRID\s+DHM-01`, out)
	require.Regexp(t, `TRIAGE BY\s+2026-11-23 11:00 OK`, out)

	tri, url := startFake(t, http.StatusOK, `{"reports": [`+reportJSON+`], "whistle": {"id": "w-9", "status": "RAISED"}}`)
	env = map[string]string{"WHISTLE_URL": url, "WHISTLE_TOKEN": streetToken()}
	code, out, errOut = run(t, env, "reports", "triage", "r-1", "r-2", "--action", "whistle")
	require.Equal(t, 0, code, errOut)
	req = tri.last(t)
	require.Equal(t, http.MethodPost, req.Method)
	require.Equal(t, "/v1/discovery/reports:triage", req.Path)
	require.Equal(t, []any{"r-1", "r-2"}, req.Body["report_ids"])
	require.Equal(t, "BLOW_WHISTLE", req.Body["action"])
	require.Contains(t, out, "whistle w-9 (RAISED)")

	code, _, errOut = run(t, env, "reports", "triage", "r-1", "--action", "local", "--result", "已劝离")
	require.Equal(t, 0, code, errOut)
	require.Equal(t, "HANDLE_LOCALLY", tri.last(t).Body["action"])
	require.Equal(t, "已劝离", tri.last(t).Body["result"])

	code, _, errOut = run(t, env, "reports", "triage", "r-1", "--action", "reject", "--result", "不属于街道职责")
	require.Equal(t, 0, code, errOut)
	require.Equal(t, "REJECT", tri.last(t).Body["action"])
	require.Equal(t, "不属于街道职责", tri.last(t).Body["result"])

	code, _, errOut = run(t, env, "reports", "triage", "r-1", "--action", "ignore")
	require.Equal(t, 1, code)
	require.Contains(t, errOut, "must be one of local, merge, whistle, reject")
}

func TestTicketsImportCsv(t *testing.T) {
	t.Parallel()
	fake, url := startFake(t, http.StatusOK, `{"rows": 3, "imported": 2, "already_imported": 0,
		"errors": [{"line": 3, "field": "due_at", "reason": "is required"}]}`)
	file := filepath.Join(t.TempDir(), "tickets.csv")
	csv := "external_number,street_id,category,description,lat,lng,address,received_at,due_at\n" +
		"T1,110101001,joint-enforcement,占道,39.91,116.40,,2026-11-23 08:00,2026-11-24 08:00\n" +
		"T2,110101001,joint-enforcement,占道,39.91,116.40,,2026-11-23 08:00,\n"
	require.NoError(t, os.WriteFile(file, []byte(csv), 0o600))
	env := map[string]string{"WHISTLE_URL": url, "WHISTLE_TOKEN": streetToken()}

	code, out, errOut := run(t, env, "tickets", "import", file, "--coord-sys", "GCJ02")
	require.Equal(t, 0, code, errOut)
	req := fake.last(t)
	require.Equal(t, http.MethodPost, req.Method)
	require.Equal(t, "/v1/tickets:importCsv", req.Path)
	require.Equal(t, []string{"GCJ02"}, req.Query["coord_sys"])
	require.Equal(t, csv, string(req.Raw), "the file is sent as it is")
	require.Equal(t, "text/csv", req.Header.Get("Content-Type"))
	require.Contains(t, out, "rows 3, imported 2, already imported 0, errors 1")
	require.Regexp(t, `3\s+due_at\s+is required`, out)

	_, many := startFake(t, http.StatusOK, `{"rows": 1500, "imported": 0, "already_imported": 0,
		"errors": [{"line": 2, "field": "row", "reason": "bare quote in a field"}], "errors_omitted": 1499}`)
	code, out, errOut = run(t, map[string]string{"WHISTLE_URL": many, "WHISTLE_TOKEN": streetToken()}, "tickets", "import", file)
	require.Equal(t, 0, code, errOut)
	require.Contains(t, out, "and 1499 more problems not listed")

	code, _, errOut = run(t, env, "tickets", "import", filepath.Join(t.TempDir(), "missing.csv"))
	require.Equal(t, 1, code)
	require.Contains(t, errOut, "missing.csv")

	// A workbook goes as one, with the source asked for.
	book := filepath.Join(t.TempDir(), "12345导出.XLSX")
	require.NoError(t, os.WriteFile(book, []byte("PK\x03\x04 a workbook"), 0o600))
	code, _, errOut = run(t, env, "tickets", "import", book, "--source", "12345-dongcheng")
	require.Equal(t, 0, code, errOut)
	req = fake.last(t)
	require.Equal(t, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", req.Header.Get("Content-Type"))
	require.Equal(t, []string{"12345-dongcheng"}, req.Query["source"])

	big := filepath.Join(t.TempDir(), "big.csv")
	require.NoError(t, os.WriteFile(big, make([]byte, 3<<20+1), 0o600))
	code, _, errOut = run(t, env, "tickets", "import", big)
	require.Equal(t, 1, code)
	require.Contains(t, errOut, "at most 3072 KiB at once: split it")
}
