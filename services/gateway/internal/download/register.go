package download

import (
	"bytes"
	"context"
	"encoding/csv"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"

	intakev1 "github.com/chuishao/whistle/proto/gen/whistle/intake/v1"
	responsev1 "github.com/chuishao/whistle/proto/gen/whistle/response/v1"
	routingv1 "github.com/chuishao/whistle/proto/gen/whistle/routing/v1"
)

// The whistle register (台账): the whistles a search finds (the query
// parameters of GET /v1/search/whistles, without paging), one row each.
const (
	RegisterXLSXPath = "/v1/registers/whistles.xlsx"
	RegisterCSVPath  = "/v1/registers/whistles.csv"
)

// MaxRegisterRows bounds a register: a larger one is refused, asking for a
// narrower period or filters, rather than held in memory.
const MaxRegisterRows = 50_000

// registerHeader is the register's first row.
var registerHeader = []string{
	"编号", "标题", "区", "街道", "类别", "紧急程度", "状态", "承办部门",
	"发起时间", "签收时间", "到场时间", "办结时间", "超时环节", "满意度", "回访意见", "地址", "问题描述",
}

// beijing is the register's time zone (UTC+8, no daylight saving).
var beijing = time.FixedZone("CST", 8*3600)

var (
	statusNames = map[intakev1.Whistle_Status]string{
		intakev1.Whistle_RAISED: "已吹哨", intakev1.Whistle_ROUTED: "已派单", intakev1.Whistle_RESPONDING: "处置中",
		intakev1.Whistle_RESOLVED: "已办结", intakev1.Whistle_CLOSED: "已关闭", intakev1.Whistle_UNROUTABLE: "待人工派单",
		intakev1.Whistle_CANCELLED: "已撤销", intakev1.Whistle_REOPENED: "已重启",
	}
	urgencyNames = map[intakev1.Whistle_Urgency]string{
		intakev1.Whistle_NORMAL: "一般", intakev1.Whistle_HIGH: "紧急", intakev1.Whistle_CRITICAL: "特急",
	}
	clockNames = map[string]string{"ack": "签收", "arrive": "到场", "resolve": "办结"}
)

// names are routing's names of the codes a register or form shows, and
// each street's district.
type names struct {
	districts, streets, categories, departments map[string]string
	streetDistricts                             map[string]string
}

func (n names) of(m map[string]string, code string) string {
	if name := m[code]; name != "" {
		return name
	}
	return code
}

// RegisterXLSX answers GET RegisterXLSXPath: the whistle register as a workbook.
func (h *Handler) RegisterXLSX(w http.ResponseWriter, r *http.Request) {
	rows, ctx, ok := h.register(w, r)
	if !ok {
		return
	}
	doc, err := xlsxDocument("台账", registerWidths, rows)
	if err != nil {
		h.fail(ctx, w, r, status.Errorf(codes.Internal, "write register: %v", err))
		return
	}
	write(w, xlsxType, "attachment", registerName(r, "xlsx"), doc)
}

// registerWidths are the register's column widths.
var registerWidths = []float64{38, 24, 10, 14, 12, 8, 10, 20, 18, 18, 18, 18, 18, 6, 24, 28, 48}

// xlsxType is the media type of an .xlsx workbook.
const xlsxType = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

// xlsxDocument is rows as a workbook of one sheet, every cell text.
func xlsxDocument(sheet string, widths []float64, rows [][]string) (string, error) {
	f := excelize.NewFile()
	defer func() { _ = f.Close() }()
	if err := f.SetSheetName("Sheet1", sheet); err != nil {
		return "", err
	}
	sw, err := f.NewStreamWriter(sheet)
	if err != nil {
		return "", err
	}
	for col, width := range widths {
		if err := sw.SetColWidth(col+1, col+1, width); err != nil {
			return "", err
		}
	}
	for i, row := range rows {
		cells := make([]any, len(row))
		for j, v := range row {
			cells[j] = v
		}
		cell, err := excelize.CoordinatesToCellName(1, i+1)
		if err != nil {
			return "", err
		}
		if err := sw.SetRow(cell, cells); err != nil {
			return "", err
		}
	}
	if err := sw.Flush(); err != nil {
		return "", err
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		return "", err
	}
	return buf.String(), nil
}

// RegisterCSV answers GET RegisterCSVPath: the whistle register as CSV.
func (h *Handler) RegisterCSV(w http.ResponseWriter, r *http.Request) {
	rows, ctx, ok := h.register(w, r)
	if !ok {
		return
	}
	doc, err := csvDocument(rows)
	if err != nil {
		h.fail(ctx, w, r, status.Errorf(codes.Internal, "write register: %v", err))
		return
	}
	write(w, "text/csv; charset=utf-8", "attachment", registerName(r, "csv"), doc)
}

// csvDocument is rows as CSV after a UTF-8 byte order mark, so that
// spreadsheet programs read the Chinese as UTF-8.
func csvDocument(rows [][]string) (string, error) {
	var buf bytes.Buffer
	buf.WriteString(utf8BOM)
	cw := csv.NewWriter(&buf)
	if err := cw.WriteAll(rows); err != nil {
		return "", err
	}
	return buf.String(), nil
}

// registerName is the file's name: the register, its period when given.
func registerName(r *http.Request, ext string) string {
	name := "whistle-register"
	for _, p := range []string{"raised_from", "raised_to"} {
		if t, err := time.Parse(time.RFC3339Nano, r.URL.Query().Get(p)); err == nil {
			name += "-" + t.In(beijing).Format("20060102")
		}
	}
	return name + "." + ext
}

// register reads the search of the request page by page with the caller's
// token (so the caller's scope applies) and turns it into the register's
// rows, the header first; or answers the error and returns false.
func (h *Handler) register(w http.ResponseWriter, r *http.Request) ([][]string, context.Context, bool) {
	var req intakev1.SearchWhistlesRequest
	ctx, ok := h.prepare(w, r, intakev1.IntakeService_SearchWhistles_FullMethodName, &req)
	if !ok {
		return nil, nil, false
	}
	req.PageSize, req.PageToken = 100, ""
	var whistles []*intakev1.Whistle
	for {
		page, err := h.Intake.SearchWhistles(ctx, &req)
		if err != nil {
			h.fail(ctx, w, r, err)
			return nil, nil, false
		}
		whistles = append(whistles, page.GetWhistles()...)
		if len(whistles) > MaxRegisterRows {
			h.fail(ctx, w, r, status.Errorf(codes.InvalidArgument,
				"more than %d whistles match: narrow the period (raised_from, raised_to) or the filters", MaxRegisterRows))
			return nil, nil, false
		}
		if req.PageToken = page.GetNextPageToken(); req.PageToken == "" {
			break
		}
	}
	n, err := h.names(ctx)
	if err != nil {
		h.fail(ctx, w, r, err)
		return nil, nil, false
	}
	rows := [][]string{registerHeader}
	for _, wh := range whistles {
		rows = append(rows, n.row(wh))
	}
	return rows, ctx, true
}

// names asks routing for the names of districts, streets, categories and departments.
func (h *Handler) names(ctx context.Context) (names, error) {
	n := names{districts: map[string]string{}, streets: map[string]string{}, categories: map[string]string{}, departments: map[string]string{},
		streetDistricts: map[string]string{}}
	ds, err := h.Routing.ListDistricts(ctx, &routingv1.ListDistrictsRequest{})
	if err != nil {
		return n, err
	}
	for _, d := range ds.GetDistricts() {
		n.districts[d.GetId()] = d.GetName()
	}
	ss, err := h.Routing.ListStreets(ctx, &routingv1.ListStreetsRequest{})
	if err != nil {
		return n, err
	}
	for _, s := range ss.GetStreets() {
		n.streets[s.GetId()] = s.GetName()
		n.streetDistricts[s.GetId()] = s.GetDistrictId()
	}
	cs, err := h.Routing.ListCategories(ctx, &routingv1.ListCategoriesRequest{})
	if err != nil {
		return n, err
	}
	for _, c := range cs.GetCategories() {
		n.categories[c.GetCode()] = c.GetName()
	}
	deps, err := h.Routing.ListDepartments(ctx, &routingv1.ListDepartmentsRequest{})
	if err != nil {
		return n, err
	}
	for _, d := range deps.GetDepartments() {
		n.departments[d.GetCode()] = d.GetName()
	}
	return n, nil
}

// row is a whistle's line of the register. The acknowledgement and arrival
// are the first of any department's; the departments are those dispatched
// (returned and cancelled dispatches left out).
func (n names) row(w *intakev1.Whistle) []string {
	var departments, breaches []string
	var acked, arrived *timestamppb.Timestamp
	seen := map[string]bool{}
	for _, d := range w.GetDispatches() {
		dept := n.of(n.departments, d.GetDepartment())
		switch d.GetStatus() {
		case responsev1.Dispatch_RETURNED, responsev1.Dispatch_CANCELLED:
		default:
			if !seen[dept] {
				seen[dept] = true
				departments = append(departments, dept)
			}
		}
		acked = earliest(acked, d.GetAcknowledgedAt())
		arrived = earliest(arrived, d.GetArrivedAt())
		for _, c := range d.GetBreaches() {
			breaches = append(breaches, dept+"："+n.of(clockNames, c))
		}
	}
	satisfaction := ""
	if s := w.GetSatisfaction(); s > 0 {
		satisfaction = strconv.Itoa(int(s))
	}
	return []string{
		w.GetId(), w.GetTitle(), n.of(n.districts, w.GetDistrictId()), n.of(n.streets, w.GetStreetId()),
		n.of(n.categories, w.GetCategory()), urgencyNames[w.GetUrgency()], statusNames[w.GetStatus()],
		strings.Join(departments, "、"),
		at(w.GetRaisedAt()), at(acked), at(arrived), at(w.GetResolvedAt()),
		strings.Join(breaches, "；"), satisfaction, w.GetFeedbackComment(), w.GetAddress(), w.GetDescription(),
	}
}

func earliest(a, b *timestamppb.Timestamp) *timestamppb.Timestamp {
	if a == nil || (b != nil && b.AsTime().Before(a.AsTime())) {
		return b
	}
	return a
}

// at is a time as the register shows it, in Beijing time; "" when unset.
func at(t *timestamppb.Timestamp) string {
	if t == nil {
		return ""
	}
	return t.AsTime().In(beijing).Format("2006-01-02 15:04:05")
}
