package grpcapi

import (
	"bytes"
	"context"
	"embed"
	"fmt"
	"html/template"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/chuishao/whistle/platform/auth"
	"github.com/chuishao/whistle/platform/rpcerr"
	feedbackv1 "github.com/chuishao/whistle/proto/gen/whistle/feedback/v1"

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
	Report                                                  *feedbackv1.SlaReport
	Total                                                   *feedbackv1.DepartmentSla
	Weights                                                 feedback.Weights
	Departments, Streets                                    []*feedbackv1.Scorecard
	Hotspots                                                []*feedbackv1.Hotspot
	// The names of the streets and categories the page shows, by code.
	StreetNames, CategoryNames map[string]string
}

// GetMonthlyScorecard renders the district's 治理成绩单 for a month: the
// 三率 and ranking of its departments and streets, the SLA details and the
// hotspots at the month's end, as one printable HTML page.
func (s *Server) GetMonthlyScorecard(ctx context.Context, req *feedbackv1.GetMonthlyScorecardRequest) (*feedbackv1.MonthlyScorecard, error) {
	id, ok := auth.FromContext(ctx)
	if !ok {
		return nil, status.Error(codes.Unauthenticated, "missing identity")
	}
	district, err := feedback.ReportScope(id, req.GetDistrict())
	if err != nil {
		return nil, s.toStatus(ctx, err)
	}
	var v rpcerr.Violations
	if district == "" {
		v.Add("district", "is required")
	}
	month, perr := time.ParseInLocation("2006-01", req.GetMonth(), feedback.ReportZone)
	if perr != nil {
		v.Add("month", "must be YYYY-MM")
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	p := period{district: district, from: month, to: month.AddDate(0, 1, 0)}
	html, err := s.renderMonthly(ctx, p)
	if err != nil {
		return nil, s.toStatus(ctx, err)
	}
	return &feedbackv1.MonthlyScorecard{ContentType: "text/html; charset=utf-8", Html: html}, nil
}

func (s *Server) renderMonthly(ctx context.Context, p period) (string, error) {
	rep, err := s.slaReport(ctx, p)
	if err != nil {
		return "", err
	}
	w, err := s.periodWeights(ctx, p.from)
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
	hot, err := s.hotspots(ctx, p.district, p.to, 10, 0)
	if err != nil {
		return "", err
	}
	data := monthlyData{
		District:     p.district,
		DistrictName: feedback.DistrictName(p.district),
		MonthLabel:   p.from.Format("2006年1月"),
		From:         p.from.Format("2006-01-02"),
		To:           p.to.AddDate(0, 0, -1).Format("2006-01-02"),
		Generated:    s.clock.Now().In(feedback.ReportZone).Format("2006-01-02 15:04"),
		Report:       rep,
		Total:        rep.GetTotal(),
		Weights:      w,
		Departments:  depts.GetScorecards(),
		Streets:      streets.GetScorecards(),
		Hotspots:     hot.GetHotspots(),
	}
	names := s.nameBook()
	for _, sc := range data.Streets {
		names.street(ctx, sc.GetKey())
	}
	for _, h := range data.Hotspots {
		names.street(ctx, h.GetStreetId())
		names.category(ctx, h.GetCategory())
	}
	data.StreetNames, data.CategoryNames = names.streets, names.categories
	var buf bytes.Buffer
	if err := monthlyPage.Execute(&buf, data); err != nil {
		return "", fmt.Errorf("render monthly scorecard of %s: %w", p.district, err)
	}
	return buf.String(), nil
}
