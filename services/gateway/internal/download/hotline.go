package download

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	intakev1 "github.com/chuishao/whistle/proto/gen/whistle/intake/v1"
)

// The 12345 return files: a district's tickets closed or followed up in a
// period (the query parameters of GET /v1/districts/{district_id}/ticket-returns,
// without paging), one row each, in the columns of docs/hotline.md.
const (
	ReturnsCSVPath  = "/v1/districts/{district_id}/ticket-returns.csv"
	ReturnsXLSXPath = "/v1/districts/{district_id}/ticket-returns.xlsx"
)

// MaxReturnRows bounds a return file, like MaxRegisterRows a register.
const MaxReturnRows = 50_000

// ReturnColumn is one column of the hotline's return format: its header, the
// TicketReturn field it carries and how the value is written.
type ReturnColumn struct {
	Header string
	Field  string
	value  func(*intakev1.TicketReturn) string
}

// ReturnColumns are the return format's columns in order; docs/hotline.md
// documents them (a test holds the two equal).
var ReturnColumns = []ReturnColumn{
	{"工单编号", "external_number", (*intakev1.TicketReturn).GetExternalNumber},
	{"工单来源", "source", (*intakev1.TicketReturn).GetSource},
	{"工单类型", "ticket_type", func(r *intakev1.TicketReturn) string {
		return or(ticketTypeNames[r.GetTicketType()], r.GetTicketType())
	}},
	{"区编码", "district_id", (*intakev1.TicketReturn).GetDistrictId},
	{"街道编码", "street_id", (*intakev1.TicketReturn).GetStreetId},
	{"办理状态", "status", func(r *intakev1.TicketReturn) string { return or(reportStatusNames[r.GetStatus()], r.GetStatus()) }},
	{"办理结果", "result", (*intakev1.TicketReturn).GetResult},
	{"受理时间", "received_at", func(r *intakev1.TicketReturn) string { return at(r.GetReceivedAt()) }},
	{"办理时限", "due_at", func(r *intakev1.TicketReturn) string { return at(r.GetDueAt()) }},
	{"办结时间", "closed_at", func(r *intakev1.TicketReturn) string { return at(r.GetClosedAt()) }},
	{"是否超期", "overdue", func(r *intakev1.TicketReturn) string { return yesNo(r.GetOverdue()) }},
	{"吹哨编号", "whistle_id", (*intakev1.TicketReturn).GetWhistleId},
	{"回访时间", "followed_up_at", func(r *intakev1.TicketReturn) string { return at(r.GetFollowedUpAt()) }},
	{"回访满意度", "satisfaction", func(r *intakev1.TicketReturn) string {
		if r.GetSatisfaction() == 0 {
			return ""
		}
		return strconv.Itoa(int(r.GetSatisfaction()))
	}},
	{"是否解决", "fixed", func(r *intakev1.TicketReturn) string {
		if r.GetFollowedUpAt() == nil {
			return ""
		}
		return yesNo(r.GetFixed())
	}},
	{"回访意见", "follow_up_comment", (*intakev1.TicketReturn).GetFollowUpComment},
}

var (
	ticketTypeNames   = map[string]string{"urgent": "紧急", "expedited": "加急", "general": "一般", "complex": "复杂"}
	reportStatusNames = map[string]string{"RECEIVED": "已受理", "IN_PROGRESS": "办理中", "CLOSED": "已办结"}
	returnWidths      = []float64{20, 8, 8, 8, 12, 8, 40, 18, 18, 18, 8, 38, 18, 10, 8, 30}
)

func yesNo(b bool) string {
	if b {
		return "是"
	}
	return "否"
}

// ReturnsCSV answers GET ReturnsCSVPath: a district's 12345 return file as CSV.
func (h *Handler) ReturnsCSV(w http.ResponseWriter, r *http.Request) {
	rows, ctx, ok := h.returns(w, r)
	if !ok {
		return
	}
	doc, err := csvDocument(rows)
	if err != nil {
		h.fail(ctx, w, r, status.Errorf(codes.Internal, "write returns: %v", err))
		return
	}
	write(w, "text/csv; charset=utf-8", "attachment", returnsName(r, "csv"), doc)
}

// ReturnsXLSX answers GET ReturnsXLSXPath: a district's 12345 return file as a workbook.
func (h *Handler) ReturnsXLSX(w http.ResponseWriter, r *http.Request) {
	rows, ctx, ok := h.returns(w, r)
	if !ok {
		return
	}
	doc, err := xlsxDocument("回复", returnWidths, rows)
	if err != nil {
		h.fail(ctx, w, r, status.Errorf(codes.Internal, "write returns: %v", err))
		return
	}
	write(w, xlsxType, "attachment", returnsName(r, "xlsx"), doc)
}

// returnsName is the file's name: the district and the day it was made.
func returnsName(r *http.Request, ext string) string {
	return "12345-returns-" + r.PathValue("district_id") + "-" + time.Now().In(beijing).Format("20060102") + "." + ext
}

// returns reads the district's returns page by page with the caller's token
// (so the caller's scope applies) and turns them into rows, the header
// first; or answers the error and returns false.
func (h *Handler) returns(w http.ResponseWriter, r *http.Request) ([][]string, context.Context, bool) {
	var req intakev1.ListTicketReturnsRequest
	ctx, ok := h.prepare(w, r, intakev1.ReportService_ListTicketReturns_FullMethodName, &req)
	if !ok {
		return nil, nil, false
	}
	req.DistrictId, req.PageSize, req.PageToken = r.PathValue("district_id"), 1000, ""
	header := make([]string, len(ReturnColumns))
	for i, c := range ReturnColumns {
		header[i] = c.Header
	}
	rows := [][]string{header}
	for {
		page, err := h.Reports.ListTicketReturns(ctx, &req)
		if err != nil {
			h.fail(ctx, w, r, err)
			return nil, nil, false
		}
		for _, ret := range page.GetReturns() {
			row := make([]string, len(ReturnColumns))
			for i, c := range ReturnColumns {
				row[i] = c.value(ret)
			}
			rows = append(rows, row)
		}
		if len(rows) > MaxReturnRows+1 {
			h.fail(ctx, w, r, status.Errorf(codes.InvalidArgument, "more than %d tickets: narrow the period (from, to)", MaxReturnRows))
			return nil, nil, false
		}
		if req.PageToken = page.GetNextPageToken(); req.PageToken == "" {
			return rows, ctx, true
		}
	}
}
