// Package download serves the reports that are documents, not data, as real
// downloads: the SLA report as a CSV file, the monthly scorecard (治理成绩单)
// as a printable HTML page and as PDF, the whistle register (台账) and the
// 12345 return files as .xlsx and CSV, and the dispatch forms (派单单,
// 督办通知书) as PDF. The gRPC API carries them as strings (their REST
// mapping wraps them in JSON); these routes call the same methods with the
// caller's token and answer with the document itself. Errors keep the
// contract's JSON shape.
package download

import (
	"context"
	"mime"
	"net/http"
	"strconv"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"github.com/grpc-ecosystem/grpc-gateway/v2/utilities"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"github.com/chuishao/whistle/platform/clock"

	feedbackv1 "github.com/chuishao/whistle/proto/gen/whistle/feedback/v1"
	intakev1 "github.com/chuishao/whistle/proto/gen/whistle/intake/v1"
	responsev1 "github.com/chuishao/whistle/proto/gen/whistle/response/v1"
	routingv1 "github.com/chuishao/whistle/proto/gen/whistle/routing/v1"
)

// The download routes; their query parameters are those of GET
// /v1/reports/sla:csv and GET /v1/reports/monthly.
const (
	SlaCSVPath      = "/v1/reports/sla.csv"
	MonthlyHTMLPath = "/v1/reports/monthly.html"
)

// utf8BOM starts the CSV so that spreadsheet programs read its Chinese as UTF-8.
const utf8BOM = "\ufeff"

// pageCSP keeps the scorecard page to its own inline styles: it is rendered
// from data (street and department names) and runs no script.
const pageCSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

// Handler serves the downloads. Mux is the REST gateway: its header
// matching forwards the caller's token, and its error handler writes the
// contract's error shape.
type Handler struct {
	Mux      *runtime.ServeMux
	Feedback feedbackv1.FeedbackServiceClient
	Intake   intakev1.IntakeServiceClient
	Reports  intakev1.ReportServiceClient
	Routing  routingv1.RoutingServiceClient
	Response responsev1.DispatchServiceClient
	// Clock dates the printed forms.
	Clock clock.Clock
}

// SlaCSV answers GET SlaCSVPath: the SLA report as a CSV file.
func (h *Handler) SlaCSV(w http.ResponseWriter, r *http.Request) {
	var req feedbackv1.ExportSlaReportRequest
	ctx, ok := h.prepare(w, r, feedbackv1.FeedbackService_ExportSlaReport_FullMethodName, &req)
	if !ok {
		return
	}
	doc, err := h.Feedback.ExportSlaReport(ctx, &req)
	if err != nil {
		h.fail(ctx, w, r, err)
		return
	}
	name := doc.GetFilename()
	if name == "" {
		name = "sla.csv"
	}
	write(w, or(doc.GetContentType(), "text/csv; charset=utf-8"), "attachment", name, utf8BOM+doc.GetCsv())
}

// Monthly answers GET MonthlyHTMLPath: the monthly scorecard as a printable page.
func (h *Handler) Monthly(w http.ResponseWriter, r *http.Request) {
	var req feedbackv1.GetMonthlyScorecardRequest
	ctx, ok := h.prepare(w, r, feedbackv1.FeedbackService_GetMonthlyScorecard_FullMethodName, &req)
	if !ok {
		return
	}
	page, err := h.Feedback.GetMonthlyScorecard(ctx, &req)
	if err != nil {
		h.fail(ctx, w, r, err)
		return
	}
	w.Header().Set("Content-Security-Policy", pageCSP)
	name := "scorecard-" + or(req.GetDistrict(), "city") + "-" + req.GetMonth() + ".html"
	write(w, or(page.GetContentType(), "text/html; charset=utf-8"), "inline", name, page.GetHtml())
}

// prepare reads the query into req and makes the outgoing call's context
// (the caller's token as metadata), or answers the error and returns false.
func (h *Handler) prepare(w http.ResponseWriter, r *http.Request, method string, req proto.Message) (context.Context, bool) {
	ctx, ok := h.annotate(w, r, method)
	if !ok {
		return nil, false
	}
	if err := runtime.PopulateQueryParameters(req, r.URL.Query(), utilities.NewDoubleArray(nil)); err != nil {
		h.fail(ctx, w, r, status.Error(codes.InvalidArgument, err.Error()))
		return nil, false
	}
	return ctx, true
}

// annotate makes the outgoing call's context (the caller's token as
// metadata), or answers the error and returns false.
func (h *Handler) annotate(w http.ResponseWriter, r *http.Request, method string) (context.Context, bool) {
	ctx, err := runtime.AnnotateContext(r.Context(), h.Mux, r, method, runtime.WithHTTPPathPattern(r.URL.Path))
	if err != nil {
		h.fail(r.Context(), w, r, err)
		return nil, false
	}
	return ctx, true
}

func (h *Handler) fail(ctx context.Context, w http.ResponseWriter, r *http.Request, err error) {
	_, out := runtime.MarshalerForRequest(h.Mux, r)
	runtime.HTTPError(ctx, h.Mux, out, w, r, err)
}

// write answers with a document: its type, whether to save (attachment) or
// show it (inline) under a file name, and no caching (reports are personal).
func write(w http.ResponseWriter, contentType, disposition, filename, body string) {
	hd := w.Header()
	hd.Set("Content-Type", contentType)
	hd.Set("Content-Disposition", mime.FormatMediaType(disposition, map[string]string{"filename": filename}))
	hd.Set("Content-Length", strconv.Itoa(len(body)))
	hd.Set("Cache-Control", "private, no-store")
	hd.Set("X-Content-Type-Options", "nosniff")
	_, _ = w.Write([]byte(body))
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
