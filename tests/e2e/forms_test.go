package e2e_test

import (
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// pdfTools skips t, saying why, when poppler-utils (pdftotext, pdftoppm) is
// not installed; CI installs it.
func pdfTools(t *testing.T) {
	t.Helper()
	for _, tool := range []string{"pdftotext", "pdftoppm"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s missing: apt-get install poppler-utils (CI installs it) to check the printed forms", tool)
		}
	}
}

// pdfPage writes pdf to dir and returns its text (pdftotext, the spaces of
// its layout dropped) and its first page as a PNG (pdftoppm).
func pdfPage(t *testing.T, dir, pdf string) (string, []byte) {
	t.Helper()
	file := filepath.Join(dir, "form.pdf")
	require.NoError(t, os.WriteFile(file, []byte(pdf), 0o600))
	text, err := exec.Command("pdftotext", "-layout", file, "-").Output()
	require.NoError(t, err)
	out, err := exec.Command("pdftoppm", "-png", "-r", "80", "-f", "1", "-l", "1", "-singlefile", file, filepath.Join(dir, "page")).CombinedOutput()
	require.NoError(t, err, string(out))
	png, err := os.ReadFile(filepath.Join(dir, "page.png"))
	require.NoError(t, err)
	return strings.Join(strings.Fields(string(text)), ""), png
}

// The printed forms come out of the gateway as PDF with names, the issuing
// office and the date: the 督办通知书 of a dispatch the supervisor put under
// 督办, its 派单单, and the district's 治理成绩单. Each is for those who may
// read what it prints; another district's is refused like an unknown one.
func TestPrintedFormsArePDFsWithNamesForTheirReaders(t *testing.T) {
	t.Parallel()
	pdfTools(t)
	s := startSystem(t, options{})
	_, w := raise(t, s, donghuamen, "joint-enforcement", 3)
	urban := str(dispatchOf(t, w, "urban-management")["id"])
	desk := deskToken(t, s, dongcheng, "urban-management")
	sup := supervisorToken(t, s, dongcheng)
	notice := "/v1/dispatches/" + urban + "/supervision-notice.pdf"
	order := "/v1/dispatches/" + urban + "/order.pdf"

	// Not under 督办 yet: no notice.
	resp, body := getRaw(t, s, notice, sup)
	require.Equal(t, http.StatusBadRequest, resp.StatusCode, body)
	require.Contains(t, body, "FAILED_PRECONDITION")

	// Nobody acknowledges: the acknowledgement deadline passes, and the
	// supervisor escalates by hand to 督办.
	for range 20 {
		s.clock.Advance(time.Minute)
	}
	eventually(t, "the acknowledgement breached", func() bool {
		s.clock.Advance(10 * time.Second)
		r := s.do(t, http.MethodGet, "/v1/dispatches/"+urban, desk, nil)
		return strings.Contains(r.raw, `"ack"`) && len(list(r.body["breaches"])) > 0
	})
	for {
		r := s.do(t, http.MethodGet, "/v1/dispatches/"+urban, sup, nil)
		if levelOf(r.body) >= 2 {
			break
		}
		esc := s.do(t, http.MethodPost, "/v1/dispatches/"+urban+":escalate", sup, map[string]any{"reason": "群众多次反映"})
		require.Equal(t, http.StatusOK, esc.status, esc.raw)
	}

	dir := t.TempDir()
	for _, who := range []struct{ name, token string }{{"the supervisor", sup}, {"the department's desk", desk}} {
		resp, body = getRaw(t, s, notice, who.token)
		require.Equal(t, http.StatusOK, resp.StatusCode, "%s: %s", who.name, body)
		require.Equal(t, "application/pdf", resp.Header.Get("Content-Type"))
		require.Equal(t, "inline; filename=supervision-notice-"+urban+".pdf", resp.Header.Get("Content-Disposition"))
		require.Equal(t, "private, no-store", resp.Header.Get("Cache-Control"))
	}
	text, png := pdfPage(t, dir, body)
	for _, want := range []string{
		"督办通知书", "东城区城管：", "东城区东华门街道", "东华门大街占道施工扰民", "联合执法",
		"签收", "环节已超过时限", "北京市东城区人民政府督查室", "2026年11月23日", "签发人（签字）：", "回执", "（盖章）",
	} {
		require.Contains(t, text, want, "the notice prints %s", want)
	}
	for _, code := range []string{"urban-management", "joint-enforcement", donghuamen} {
		require.NotContains(t, text, code, "names, not codes")
	}
	require.Greater(t, len(png), 20_000, "the page renders")
	require.NoError(t, os.WriteFile(filepath.Join("..", "..", "docs", "screenshots", "supervision-notice.png"), png, 0o644))

	resp, body = getRaw(t, s, order, desk)
	require.Equal(t, http.StatusOK, resp.StatusCode, body)
	text, _ = pdfPage(t, dir, body)
	for _, want := range []string{"派单单", "东城区城管（", "东城区东华门街道", "联合执法", "紧急程度：紧急", "承办部门签收人（签字）：",
		"北京市东城区东华门街道办事处", "2026年11月23日"} {
		require.Contains(t, text, want, "the order prints %s", want)
	}

	// The street that raised the whistle prints the order too, naming the
	// whistle; another street, a wrong whistle and the notice stay closed.
	street := streetToken(t, s, donghuamen)
	byStreet := order + "?whistle_id=" + str(w["id"])
	resp, body = getRaw(t, s, byStreet, street)
	require.Equal(t, http.StatusOK, resp.StatusCode, body)
	require.Equal(t, "application/pdf", resp.Header.Get("Content-Type"))
	text, _ = pdfPage(t, dir, body)
	require.Contains(t, text, "派单单")
	require.Contains(t, text, "东城区城管（")
	otherWhistle, _ := raise(t, s, donghuamen, "garbage", 2)
	for _, tc := range []struct {
		name, path, token string
		status            int
	}{
		{"another street", byStreet, streetToken(t, s, "110101002"), http.StatusNotFound},
		{"a whistle the dispatch is not on", order + "?whistle_id=" + otherWhistle, street, http.StatusNotFound},
		{"the street's notice", notice + "?whistle_id=" + str(w["id"]), street, http.StatusForbidden},
	} {
		resp, body = getRaw(t, s, tc.path, tc.token)
		require.Equal(t, tc.status, resp.StatusCode, "%s: %s", tc.name, body)
	}

	// The upward report (向上级报告) names the street, the category and the late steps.
	var report string
	eventually(t, "the upward report tells of the breach", func() bool {
		r := s.do(t, http.MethodGet, "/v1/whistles/"+str(w["id"])+"/report", streetToken(t, s, donghuamen), nil)
		report = str(r.body["text"])
		return strings.Contains(report, "超时：")
	})
	require.Contains(t, report, "东城区东华门街道吹哨：东华门大街占道施工扰民（联合执法）。")
	require.Contains(t, report, "城管 ")
	require.Contains(t, report, "超时：签收")
	for _, code := range []string{donghuamen, "joint-enforcement", "ack", "arrive"} {
		require.NotContains(t, report, code, "names, not codes")
	}

	// The district's scorecard, and one department's.
	month := t0.Format("2006-01")
	resp, body = getRaw(t, s, "/v1/reports/monthly.pdf?month="+month, sup)
	require.Equal(t, http.StatusOK, resp.StatusCode, body)
	require.Equal(t, "inline; filename=scorecard-"+dongcheng+"-"+month+".pdf", resp.Header.Get("Content-Disposition"))
	text, _ = pdfPage(t, dir, body)
	for _, want := range []string{"治理成绩单", "东城区·2026年11月", "部门排名", "城管", "公安", "生态环境", "东华门街道", "北京市东城区人民政府督查室"} {
		require.Contains(t, text, want, "the scorecard prints %s", want)
	}
	resp, body = getRaw(t, s, "/v1/reports/monthly.pdf?month="+month+"&department=urban-management", sup)
	require.Equal(t, http.StatusOK, resp.StatusCode, body)
	text, _ = pdfPage(t, dir, body)
	require.Contains(t, text, "被考核单位：城管")

	// Who may not print them: another district's supervisor and desk, another
	// department's desk, a street; bad input keeps the error shape.
	for _, tc := range []struct {
		name, path, token string
		status            int
	}{
		{"another district's supervisor", notice, supervisorToken(t, s, chaoyang), http.StatusNotFound},
		{"another district's desk", order, deskToken(t, s, chaoyang, "urban-management"), http.StatusNotFound},
		{"another department's desk", order, deskToken(t, s, dongcheng, "police"), http.StatusNotFound},
		{"a street", order, streetToken(t, s, donghuamen), http.StatusForbidden},
		{"no token", notice, "", http.StatusUnauthorized},
		{"an unknown dispatch", "/v1/dispatches/0193b7e2-0000-7000-8000-000000000000/order.pdf", sup, http.StatusNotFound},
		{"another district's scorecard", "/v1/reports/monthly.pdf?month=" + month + "&district=" + chaoyang, sup, http.StatusForbidden},
		{"a desk's scorecard", "/v1/reports/monthly.pdf?month=" + month, desk, http.StatusForbidden},
		{"a malformed month", "/v1/reports/monthly.pdf?month=November", sup, http.StatusBadRequest},
		{"another district's street", "/v1/reports/monthly.pdf?month=" + month + "&street=110105001", sup, http.StatusBadRequest},
	} {
		resp, body := getRaw(t, s, tc.path, tc.token)
		require.Equal(t, tc.status, resp.StatusCode, "%s: %s", tc.name, body)
		var e struct {
			Error struct {
				Code string `json:"code"`
			} `json:"error"`
		}
		require.NoError(t, json.Unmarshal([]byte(body), &e), "%s: %s", tc.name, body)
		require.NotEmpty(t, e.Error.Code, tc.name)
	}
}
