package client

import (
	"context"
	"net/http"
	"net/url"

	feedbackv1 "github.com/chuishao/whistle/proto/gen/whistle/feedback/v1"
)

// Timeline is GET /v1/whistles/{id}/timeline.
func (c *Client) Timeline(ctx context.Context, whistleID string) (*feedbackv1.GetTimelineResponse, []byte, error) {
	return send[feedbackv1.GetTimelineResponse](ctx, c, http.MethodGet, "/v1/whistles/"+id(whistleID)+"/timeline", nil, nil)
}

// VerifyAudit is POST /v1/audit:verify.
func (c *Client) VerifyAudit(ctx context.Context, whistleID string) (*feedbackv1.VerifyAuditResponse, []byte, error) {
	return send[feedbackv1.VerifyAuditResponse](ctx, c, http.MethodPost, "/v1/audit:verify", nil, &feedbackv1.VerifyAuditRequest{WhistleId: whistleID})
}

// SlaReport is GET /v1/reports/sla (district, from, to in q).
func (c *Client) SlaReport(ctx context.Context, q url.Values) (*feedbackv1.SlaReport, []byte, error) {
	return send[feedbackv1.SlaReport](ctx, c, http.MethodGet, "/v1/reports/sla", q, nil)
}

// SlaReportCsv is GET /v1/reports/sla:csv.
func (c *Client) SlaReportCsv(ctx context.Context, q url.Values) (*feedbackv1.SlaReportCsv, []byte, error) {
	return send[feedbackv1.SlaReportCsv](ctx, c, http.MethodGet, "/v1/reports/sla:csv", q, nil)
}

// Scorecards is GET /v1/reports/scorecards (district, from, to, group_by in q).
func (c *Client) Scorecards(ctx context.Context, q url.Values) (*feedbackv1.GetScorecardsResponse, []byte, error) {
	return send[feedbackv1.GetScorecardsResponse](ctx, c, http.MethodGet, "/v1/reports/scorecards", q, nil)
}

// DrillReport is GET /v1/drills/{drill_id}/report with the district and real period in q.
func (c *Client) DrillReport(ctx context.Context, drillID string, q url.Values) (*feedbackv1.DrillReport, []byte, error) {
	return send[feedbackv1.DrillReport](ctx, c, http.MethodGet, "/v1/drills/"+id(drillID)+"/report", q, nil)
}

// AnalyzeHotspots is GET /v1/reports/hotspots:analyze (未诉先办 over every channel).
func (c *Client) AnalyzeHotspots(ctx context.Context, q url.Values) (*feedbackv1.HotspotAnalysis, []byte, error) {
	return send[feedbackv1.HotspotAnalysis](ctx, c, http.MethodGet, "/v1/reports/hotspots:analyze", q, nil)
}

// MonthlyScorecard is GET /v1/reports/monthly (治理成绩单 as data).
func (c *Client) MonthlyScorecard(ctx context.Context, q url.Values) (*feedbackv1.MonthlyScorecard, []byte, error) {
	return send[feedbackv1.MonthlyScorecard](ctx, c, http.MethodGet, "/v1/reports/monthly", q, nil)
}

// MonthlyScorecardDocument is GET /v1/reports/monthly.{html,pdf}: the printable 治理成绩单.
func (c *Client) MonthlyScorecardDocument(ctx context.Context, format string, q url.Values) ([]byte, error) {
	return c.download(ctx, "/v1/reports/monthly."+format, q)
}

// FileAppeal is POST /v1/appeals: a department disputes a breach (申诉).
func (c *Client) FileAppeal(ctx context.Context, req *feedbackv1.FileAppealRequest) (*feedbackv1.Appeal, []byte, error) {
	return send[feedbackv1.Appeal](ctx, c, http.MethodPost, "/v1/appeals", nil, req)
}

// DecideAppeal is POST /v1/appeals/{id}:decide.
func (c *Client) DecideAppeal(ctx context.Context, appealID string, accept bool, note string) (*feedbackv1.Appeal, []byte, error) {
	return send[feedbackv1.Appeal](ctx, c, http.MethodPost, "/v1/appeals/"+id(appealID)+":decide", nil,
		&feedbackv1.DecideAppealRequest{Accept: accept, Note: note})
}

// ListAppeals is GET /v1/appeals, optionally of one status.
func (c *Client) ListAppeals(ctx context.Context, status string) (*feedbackv1.ListAppealsResponse, []byte, error) {
	q := url.Values{}
	setIf(q, "status", status)
	return send[feedbackv1.ListAppealsResponse](ctx, c, http.MethodGet, "/v1/appeals", q, nil)
}

// WhistleReport is GET /v1/whistles/{id}/report: the upward report (上报材料) of one whistle.
func (c *Client) WhistleReport(ctx context.Context, whistleID string) (*feedbackv1.WhistleReport, []byte, error) {
	return send[feedbackv1.WhistleReport](ctx, c, http.MethodGet, "/v1/whistles/"+id(whistleID)+"/report", nil, nil)
}

// SetScorecardWeights is PUT /v1/reports/weights/{month}: the composite's weights from that month on (admins).
func (c *Client) SetScorecardWeights(ctx context.Context, month string, w *feedbackv1.Weights) (*feedbackv1.Weights, []byte, error) {
	return send[feedbackv1.Weights](ctx, c, http.MethodPut, "/v1/reports/weights/"+id(month), nil, w)
}

// WhistleEtas is GET /v1/etas: each whistle's expected arrival and resolution
// per dispatch (预计到场 / 预计办结), for the whistles the caller may see.
func (c *Client) WhistleEtas(ctx context.Context, whistleIDs []string) (*feedbackv1.ListWhistleEtasResponse, []byte, error) {
	return send[feedbackv1.ListWhistleEtasResponse](ctx, c, http.MethodGet, "/v1/etas", url.Values{"whistle_ids": whistleIDs}, nil)
}
