package forms_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/chuishao/whistle/services/gateway/internal/forms"
)

var (
	raised = time.Date(2026, 12, 7, 9, 12, 0, 0, forms.Beijing)
	now    = time.Date(2026, 12, 7, 11, 40, 0, 0, forms.Beijing)
)

func dispatch() forms.Dispatch {
	return forms.Dispatch{
		ID: "0193b7e2-5c1a-7d3e-9f10-2a4b6c8d0e1f", WhistleID: "0193b7e2-5a00-7000-8000-000000000001",
		District: "东城区", Street: "东华门街道", Category: "噪声扰民", Department: "城管", Role: "主办",
		Title: "工地夜间施工噪声", Description: "王府井大街 88 号工地 22 点后仍在打桩，居民多次反映。",
		Address: "东城区王府井大街88号", Urgency: "紧急", Status: "已签收",
		RaisedAt: raised, DispatchedAt: raised.Add(time.Minute),
		AckBy: raised.Add(11 * time.Minute), ArriveBy: raised.Add(31 * time.Minute), ResolveBy: raised.Add(49 * time.Hour),
		AcknowledgedAt: raised.Add(25 * time.Minute), Breached: []string{"签收", "到场"}, EscalationLevel: 2,
	}
}

// pdfText is the PDF's text as pdftotext reads it (layout kept), or the
// test is skipped when poppler-utils is not installed.
func pdfText(t *testing.T, pdf []byte) string {
	t.Helper()
	if _, err := exec.LookPath("pdftotext"); err != nil {
		t.Skip("pdftotext missing: apt-get install poppler-utils (CI installs it)")
	}
	path := filepath.Join(t.TempDir(), "form.pdf")
	require.NoError(t, os.WriteFile(path, pdf, 0o600))
	out, err := exec.Command("pdftotext", "-layout", path, "-").Output()
	require.NoError(t, err)
	return string(out)
}

// pngOf renders the PDF's first page to a PNG with pdftoppm and returns it.
func pngOf(t *testing.T, pdf []byte) []byte {
	t.Helper()
	if _, err := exec.LookPath("pdftoppm"); err != nil {
		t.Skip("pdftoppm missing: apt-get install poppler-utils (CI installs it)")
	}
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "form.pdf"), pdf, 0o600))
	out, err := exec.Command("pdftoppm", "-png", "-r", "80", "-f", "1", "-l", "1", "-singlefile",
		filepath.Join(dir, "form.pdf"), filepath.Join(dir, "page")).CombinedOutput()
	require.NoError(t, err, string(out))
	png, err := os.ReadFile(filepath.Join(dir, "page.png"))
	require.NoError(t, err)
	return png
}

// squash drops the spaces pdftotext's layout puts between glyphs.
func squash(s string) string { return strings.Join(strings.Fields(s), "") }

func TestTheSupervisionNoticeNamesTheDepartmentStreetOfficeAndDate(t *testing.T) {
	pdf, err := forms.Notice(dispatch(), now)
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(string(pdf), "%PDF-"))
	text := squash(pdfText(t, pdf))
	for _, want := range []string{
		"督办通知书", "东城区城管：", "东城区东华门街道", "工地夜间施工噪声", "噪声扰民",
		"签收、到场环节已超过时限", "现予以督办", "北京市东城区人民政府督查室", "2026年12月7日",
		"签发人（签字）：", "回执", "签收人（签字）：", "（盖章）",
	} {
		require.Contains(t, text, want)
	}
	require.NotContains(t, text, "noise")
	require.NotContains(t, text, "urban-management")
	png := pngOf(t, pdf)
	require.Greater(t, len(png), 10_000, "the page has content")
}

func TestAListedDispatchGetsAListedNotice(t *testing.T) {
	d := dispatch()
	d.EscalationLevel = 3
	pdf, err := forms.Notice(d, now)
	require.NoError(t, err)
	require.Contains(t, squash(pdfText(t, pdf)), "挂牌督办通知书")
}

func TestTheDispatchOrderIsReadyToSign(t *testing.T) {
	pdf, err := forms.Order(dispatch(), now)
	require.NoError(t, err)
	text := squash(pdfText(t, pdf))
	for _, want := range []string{
		"派单单", "东城区城管（主办）", "东城区东华门街道", "噪声扰民", "紧急程度：紧急", "王府井大街88号工地22点后仍在打桩",
		"2026-12-0709:23前", "承办部门签收人（签字）：", "到场处置人（签字）：",
		"北京市东城区东华门街道办事处", "2026年12月7日", "（盖章）",
	} {
		require.Contains(t, text, want)
	}
}

func TestTheMonthlyScorecardRanksByName(t *testing.T) {
	s := forms.Scorecard{
		District: "东城区", Month: now, Weights: "响应 10 / 到场 0 / 解决 45 / 满意 45",
		Total: forms.Line{Dispatched: 30, Response: 0.9, Arrival: 0.8, Resolution: 0.7, Satisfaction: 0.95},
		Departments: []forms.Line{
			{Rank: 1, Name: "公安", Dispatched: 20, Response: 1, Arrival: 0.9, Resolution: 0.8, Satisfaction: 1, Composite: 91},
			{Rank: 2, Name: "城管", Dispatched: 10, Response: 0.7, Arrival: 0.6, Resolution: 0.5, Satisfaction: 0.8, Breaches: [3]int64{2, 1, 0}, Composite: 65.5},
		},
		Streets: []forms.Line{{Rank: 1, Name: "东华门街道", Dispatched: 30, Composite: 80}},
	}
	pdf, err := forms.MonthScorecard(s, now)
	require.NoError(t, err)
	text := squash(pdfText(t, pdf))
	for _, want := range []string{"治理成绩单", "东城区·2026年12月", "一、部门排名", "公安", "城管", "2/1/0", "65.5", "东华门街道",
		"东城区合计", "北京市东城区人民政府督查室", "2026年12月7日", "审核人（签字）：", "签发人（签字）："} {
		require.Contains(t, text, want)
	}

	s.Unit = "城管"
	pdf, err = forms.MonthScorecard(s, now)
	require.NoError(t, err)
	text = squash(pdfText(t, pdf))
	require.Contains(t, text, "被考核单位：城管")
	require.Contains(t, text, "在全区2个部门中排名第2")
	require.Contains(t, text, "被考核单位负责人（签字）：")
	require.NotContains(t, text, "公安", "a unit's scorecard shows its own line and the district's")
}
