package e2e_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/chuishao/whistle/cli/whistlectl"
)

// exportRows are one 12345 export: the header, good tickets with Chinese
// text, one with an empty received_at and one malformed row.
var exportRows = [][]string{
	{"external_number", "street_id", "category", "description", "lat", "lng", "address", "received_at", "due_at"},
	{"BJ12345-F01", donghuamen, "garbage", "东华门大街垃圾堆积，异味明显", "39.9146", "116.4036", "东华门大街12号", "2026-11-23 08:05", "2026-11-26 08:00"},
	{"BJ12345-F02", "110101002", "noise", "景山前街夜间施工噪声扰民（22:00后）", "39.9247", "116.3973", "景山前街", "2026-11-23 09:30:15", "2026-11-30 18:00"},
	{"BJ12345-F03", donghuamen, "street-vending", "王府井路口流动摊贩占道，“早高峰”堵塞", "", "", "王府井大街与东华门大街交叉口", "", "2026-11-27 12:00"},
	{"BJ12345-F04", donghuamen, "garbage", "坐标写成了文字", "北纬39度", "116.40", "", "2026-11-23 10:00", "2026-11-26 08:00"},
	{"BJ12345-F05", "110101002", "road-damage", "人行道塌陷约一米见方，存在安全隐患", "39.9201", "116.3990", "", "2026-11-23 11:45", "2026-11-24 11:45"},
}

func csvText(rows [][]string) string {
	var b strings.Builder
	for _, r := range rows {
		b.WriteString(strings.Join(r, ",") + "\r\n") // as Excel saves a CSV
	}
	return b.String()
}

// xlsxExport is exportRows as a workbook the way a spreadsheet holds them:
// coordinates as numbers, the first due_at as a date cell, the rest text.
func xlsxExport(t *testing.T) []byte {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	for i, r := range exportRows {
		cells := make([]any, len(r))
		for j, c := range r {
			cells[j] = c
			if n, err := strconv.ParseFloat(c, 64); err == nil && i > 0 && (j == 4 || j == 5) {
				cells[j] = n
			}
		}
		if i == 1 {
			cells[8] = time.Date(2026, 11, 26, 8, 0, 0, 0, time.UTC) // a date cell: wall-clock time
		}
		cell, err := excelize.CoordinatesToCellName(1, i+1)
		require.NoError(t, err)
		require.NoError(t, f.SetSheetRow("Sheet1", cell, &cells))
	}
	var buf bytes.Buffer
	require.NoError(t, f.Write(&buf))
	return buf.Bytes()
}

// TestTicketImportFormats is issue 23's acceptance for imports: the same
// 12345 export as UTF-8 CSV, UTF-8 CSV with a BOM, GB18030 CSV and .xlsx,
// each uploaded with whistlectl through the gateway's REST route, imports
// the same tickets and names the same bad row.
func TestTicketImportFormats(t *testing.T) {
	t.Parallel()
	s := startSystem(t, options{})
	sup := supervisorToken(t, s, dongcheng)
	env := map[string]string{"WHISTLE_URL": s.url, "WHISTLE_TOKEN": sup, "HOME": t.TempDir()}

	text := csvText(exportRows)
	gb, err := simplifiedchinese.GB18030.NewEncoder().Bytes([]byte(text))
	require.NoError(t, err)
	require.NotEqual(t, []byte(text), gb)
	files := map[string][]byte{
		"utf8.csv":    []byte(text),
		"bom.csv":     append([]byte("\ufeff"), text...),
		"gb18030.csv": gb,
		"export.xlsx": xlsxExport(t),
	}
	// Each format imports under its own source, so none is "already imported".
	answers := map[string]map[string]any{}
	dir := t.TempDir()
	for name, data := range files {
		path := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(path, data, 0o600))
		answers[name] = cliJSON(t, env, "tickets", "import", path, "--source", "12345-"+name)
	}
	want := answers["utf8.csv"]
	require.EqualValues(t, 5, want["rows"])
	require.EqualValues(t, 4, want["imported"])
	require.Len(t, list(want["errors"]), 1)
	bad := obj(list(want["errors"])[0])
	require.EqualValues(t, 5, bad["line"], "the malformed row is named by its line")
	require.Equal(t, "lat", bad["field"])
	for name, got := range answers {
		require.Equal(t, want, got, name)
	}

	// The tickets themselves are the same, but for their ids.
	for _, r := range exportRows[1:] {
		number := r[0]
		var first map[string]any
		for name := range files {
			tk := s.do(t, http.MethodGet, "/v1/tickets/"+url.PathEscape(number)+"?source=12345-"+url.QueryEscape(name), sup, nil)
			if number == "BJ12345-F04" {
				require.Equal(t, http.StatusNotFound, tk.status, "%s %s: %s", name, number, tk.raw)
				continue
			}
			require.Equal(t, http.StatusOK, tk.status, "%s %s: %s", name, number, tk.raw)
			delete(tk.body, "id")
			if first == nil {
				first = tk.body
				require.Equal(t, r[3], first["description"], "Chinese text arrives intact")
				continue
			}
			a, _ := json.Marshal(first)
			b, _ := json.Marshal(tk.body)
			require.JSONEq(t, string(a), string(b), "%s %s", name, number)
		}
	}

	// A file in no known encoding is refused with its line.
	broken := append([]byte(csvText(exportRows[:2])), 0xFF, 0xFE, 0x80, '\n')
	path := filepath.Join(dir, "broken.csv")
	require.NoError(t, os.WriteFile(path, broken, 0o600))
	var out, errOut bytes.Buffer
	code := whistlectl.Run(context.Background(), []string{"tickets", "import", path}, &out, &errOut, func(k string) string { return env[k] })
	require.Equal(t, 1, code, out.String())
	require.Contains(t, errOut.String(), "INVALID_ARGUMENT (HTTP 400)")
	require.Contains(t, errOut.String(), "neither UTF-8 (it breaks at line 3, character 1) nor GB18030/GBK (it breaks at line 2, character ")
}
