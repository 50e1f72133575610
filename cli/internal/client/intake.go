package client

import (
	"context"
	"fmt"
	"net/http"
	"net/url"

	"google.golang.org/protobuf/proto"

	intakev1 "github.com/chuishao/whistle/proto/gen/whistle/intake/v1"
)

// RaiseWhistle is POST /v1/whistles; idempotencyKey makes retries safe.
func (c *Client) RaiseWhistle(ctx context.Context, req *intakev1.RaiseWhistleRequest, idempotencyKey string) (*intakev1.Whistle, []byte, error) {
	h := http.Header{}
	if idempotencyKey != "" {
		h.Set("Idempotency-Key", idempotencyKey)
	}
	out := &intakev1.Whistle{}
	raw, err := c.call(ctx, http.MethodPost, "/v1/whistles", nil, h, req, out)
	return out, raw, err
}

// GetWhistle is GET /v1/whistles/{id}.
func (c *Client) GetWhistle(ctx context.Context, whistleID string) (*intakev1.Whistle, []byte, error) {
	return send[intakev1.Whistle](ctx, c, http.MethodGet, "/v1/whistles/"+id(whistleID), nil, nil)
}

// ListWhistles is GET /v1/whistles.
func (c *Client) ListWhistles(ctx context.Context, streetID, status string, pageSize int, pageToken string) (*intakev1.ListWhistlesResponse, []byte, error) {
	q := url.Values{}
	setIf(q, "street_id", streetID)
	setIf(q, "status", status)
	setIf(q, "page_token", pageToken)
	if pageSize > 0 {
		q.Set("page_size", fmt.Sprint(pageSize))
	}
	return send[intakev1.ListWhistlesResponse](ctx, c, http.MethodGet, "/v1/whistles", q, nil)
}

// SearchWhistles is GET /v1/search/whistles with the filters in q.
func (c *Client) SearchWhistles(ctx context.Context, q url.Values) (*intakev1.SearchWhistlesResponse, []byte, error) {
	return send[intakev1.SearchWhistlesResponse](ctx, c, http.MethodGet, "/v1/search/whistles", q, nil)
}

// WhistleRegister is GET /v1/registers/whistles.{csv,xlsx}: the 台账 file.
func (c *Client) WhistleRegister(ctx context.Context, format string, q url.Values) ([]byte, error) {
	return c.download(ctx, "/v1/registers/whistles."+format, q)
}

// CancelWhistle is POST /v1/whistles/{id}:cancel.
func (c *Client) CancelWhistle(ctx context.Context, whistleID, reason string) (*intakev1.Whistle, []byte, error) {
	return c.whistleAction(ctx, whistleID, "cancel", &intakev1.CancelWhistleRequest{Reason: reason})
}

// SubmitFeedback is POST /v1/whistles/{id}:feedback.
func (c *Client) SubmitFeedback(ctx context.Context, whistleID string, satisfaction int32, comment string) (*intakev1.Whistle, []byte, error) {
	return c.whistleAction(ctx, whistleID, "feedback", &intakev1.SubmitFeedbackRequest{Satisfaction: satisfaction, Comment: comment})
}

// ReopenWhistle is POST /v1/whistles/{id}:reopen.
func (c *Client) ReopenWhistle(ctx context.Context, whistleID, reason string) (*intakev1.Whistle, []byte, error) {
	return c.whistleAction(ctx, whistleID, "reopen", &intakev1.ReopenWhistleRequest{Reason: reason})
}

// MergeWhistle is POST /v1/whistles/{id}:merge: a duplicate joins intoID (合并).
func (c *Client) MergeWhistle(ctx context.Context, whistleID, intoID string) (*intakev1.Whistle, []byte, error) {
	return c.whistleAction(ctx, whistleID, "merge", &intakev1.MergeWhistleRequest{IntoWhistleId: intoID})
}

// KeepWhistle is POST /v1/whistles/{id}:keep: a possible duplicate stays its own whistle.
func (c *Client) KeepWhistle(ctx context.Context, whistleID string) (*intakev1.Whistle, []byte, error) {
	return c.whistleAction(ctx, whistleID, "keep", &intakev1.KeepWhistleRequest{})
}

func (c *Client) whistleAction(ctx context.Context, whistleID, verb string, in proto.Message) (*intakev1.Whistle, []byte, error) {
	return send[intakev1.Whistle](ctx, c, http.MethodPost, "/v1/whistles/"+id(whistleID)+":"+verb, nil, in)
}

// ListReports is GET /v1/discovery/reports, or GET /v1/whistles/{id}/reports
// when whistleID is set: grid and resident reports (发现).
func (c *Client) ListReports(ctx context.Context, whistleID string, q url.Values) (*intakev1.ListReportsResponse, []byte, error) {
	path := "/v1/discovery/reports"
	if whistleID != "" {
		path = "/v1/whistles/" + id(whistleID) + "/reports"
	}
	return send[intakev1.ListReportsResponse](ctx, c, http.MethodGet, path, q, nil)
}

// GetReport is GET /v1/discovery/reports/{id}.
func (c *Client) GetReport(ctx context.Context, reportID string) (*intakev1.Report, []byte, error) {
	return send[intakev1.Report](ctx, c, http.MethodGet, "/v1/discovery/reports/"+id(reportID), nil, nil)
}

// Inbox is GET /v1/streets/{id}/inbox: a street's reports to triage.
func (c *Client) Inbox(ctx context.Context, streetID string) (*intakev1.Inbox, []byte, error) {
	return send[intakev1.Inbox](ctx, c, http.MethodGet, "/v1/streets/"+id(streetID)+"/inbox", nil, nil)
}

// TriageReports is POST /v1/discovery/reports:triage.
func (c *Client) TriageReports(ctx context.Context, req *intakev1.TriageReportsRequest) (*intakev1.TriageReportsResponse, []byte, error) {
	return send[intakev1.TriageReportsResponse](ctx, c, http.MethodPost, "/v1/discovery/reports:triage", nil, req)
}

// ImportTickets is POST /v1/tickets:importCsv with a CSV or xlsx file of 12345 tickets.
func (c *Client) ImportTickets(ctx context.Context, q url.Values, contentType string, data []byte) (*intakev1.ImportTicketsCsvResponse, []byte, error) {
	out := &intakev1.ImportTicketsCsvResponse{}
	raw, err := c.upload(ctx, "/v1/tickets:importCsv", q, contentType, data, out)
	return out, raw, err
}

// GetTicket is GET /v1/tickets/{external_number}.
func (c *Client) GetTicket(ctx context.Context, number string, q url.Values) (*intakev1.Report, []byte, error) {
	return send[intakev1.Report](ctx, c, http.MethodGet, "/v1/tickets/"+id(number), q, nil)
}

// FileReport is POST /v1/discovery/reports: a grid worker's (or street's) report (上报).
func (c *Client) FileReport(ctx context.Context, req *intakev1.FileReportRequest) (*intakev1.FiledReport, []byte, error) {
	return send[intakev1.FiledReport](ctx, c, http.MethodPost, "/v1/discovery/reports", nil, req)
}

// AttachToWhistle is POST /v1/whistles/{id}/attachments: one photo or file
// as evidence at stage (raise, arrival, resolution); the gateway sniffs its type.
func (c *Client) AttachToWhistle(ctx context.Context, whistleID, stage, fileName string, data []byte) (*intakev1.Attachment, []byte, error) {
	q := url.Values{"stage": {stage}, "file_name": {fileName}}
	out := &intakev1.Attachment{}
	raw, err := c.upload(ctx, "/v1/whistles/"+id(whistleID)+"/attachments", q, "application/octet-stream", data, out)
	return out, raw, err
}

// AttachToReport is POST /v1/discovery/reports/{id}/attachments: a report's photo.
func (c *Client) AttachToReport(ctx context.Context, reportID, fileName string, data []byte) (*intakev1.Attachment, []byte, error) {
	q := url.Values{"file_name": {fileName}}
	out := &intakev1.Attachment{}
	raw, err := c.upload(ctx, "/v1/discovery/reports/"+id(reportID)+"/attachments", q, "application/octet-stream", data, out)
	return out, raw, err
}
