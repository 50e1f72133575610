package reports

import (
	"bytes"
	"context"
	"embed"
	"fmt"
	"html/template"
	"time"

	"github.com/chuishao/whistle/platform/auth"

	"github.com/chuishao/whistle/services/feedback/internal/feedback"
)

//go:embed templates/monthly.html
var templateFS embed.FS

var monthlyPage = template.Must(template.New("monthly.html").Funcs(template.FuncMap{
	"pct":      func(r float64) string { return fmt.Sprintf("%.1f%%", 100*r) },
	"minutes":  func(sec float64) string { return fmt.Sprintf("%.1f 分钟", sec/60) },
	"deptName": feedback.DepartmentName,
}).ParseFS(templateFS, "templates/monthly.html"))

// monthlyData is what the page shows.
type monthlyData struct {
	District, DistrictName, MonthLabel, From, To, Generated string
	Report                                                  SlaReport
	Total                                                   Line
	Weights                                                 feedback.Weights
	Departments, Streets                                    []Scorecard
	Hotspots                                                []Hotspot
	// The names of the streets and categories the page shows, by code.
	StreetNames, CategoryNames map[string]string
}

// MonthlyHotspots is how many hotspots the monthly page lists.
const MonthlyHotspots = 10

// MonthlyScorecard renders the district's 治理成绩单 for a month (YYYY-MM,
// Beijing time): the 三率 and ranking of its departments and streets, the
// SLA details and the hotspots at the month's end, as one printable HTML
// page.
func (s *Service) MonthlyScorecard(ctx context.Context, caller auth.Identity, district, month string) (string, error) {
	var v feedback.Violations
	district, err := districtScope(caller, district, &v)
	if err != nil {
		return "", err
	}
	start, perr := time.ParseInLocation("2006-01", month, feedback.ReportZone)
	if perr != nil {
		v.Add("month", "must be YYYY-MM")
	}
	if err := v.Err(); err != nil {
		return "", err
	}
	return s.renderMonthly(ctx, Period{District: district, From: start, To: start.AddDate(0, 1, 0)})
}

func (s *Service) renderMonthly(ctx context.Context, p Period) (string, error) {
	rep, err := s.slaReport(ctx, p)
	if err != nil {
		return "", err
	}
	w, err := s.periodWeights(ctx, p.From)
	if err != nil {
		return "", err
	}
	depts, err := s.scorecards(ctx, p, w, false)
	if err != nil {
		return "", err
	}
	streets, err := s.scorecards(ctx, p, w, true)
	if err != nil {
		return "", err
	}
	hot, err := s.hotspots(ctx, p.District, p.To, MonthlyHotspots, 0)
	if err != nil {
		return "", err
	}
	data := monthlyData{
		District:     p.District,
		DistrictName: feedback.DistrictName(p.District),
		MonthLabel:   p.From.Format("2006年1月"),
		From:         p.From.Format("2006-01-02"),
		To:           p.To.AddDate(0, 0, -1).Format("2006-01-02"),
		Generated:    s.Clock.Now().In(feedback.ReportZone).Format("2006-01-02 15:04"),
		Report:       rep,
		Total:        rep.Total,
		Weights:      w,
		Departments:  depts.Cards,
		Streets:      streets.Cards,
		Hotspots:     hot.Hotspots,
	}
	names := s.Names.Book()
	for _, sc := range data.Streets {
		names.Street(ctx, sc.Key)
	}
	for _, h := range data.Hotspots {
		names.Street(ctx, h.StreetID)
		names.Category(ctx, h.Category)
	}
	data.StreetNames, data.CategoryNames = names.Streets, names.Categories
	var buf bytes.Buffer
	if err := monthlyPage.Execute(&buf, data); err != nil {
		return "", fmt.Errorf("render monthly scorecard of %s: %w", p.District, err)
	}
	return buf.String(), nil
}
