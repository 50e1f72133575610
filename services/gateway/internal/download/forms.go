package download

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/chuishao/whistle/platform/rpcerr"
	feedbackv1 "github.com/chuishao/whistle/proto/gen/whistle/feedback/v1"
	intakev1 "github.com/chuishao/whistle/proto/gen/whistle/intake/v1"
	responsev1 "github.com/chuishao/whistle/proto/gen/whistle/response/v1"

	"github.com/chuishao/whistle/services/gateway/internal/forms"
)

// The printed forms as PDF. The dispatch forms are for whoever may read the
// dispatch (its department's desk in its district, the district's
// supervisors; the order also for the street that raised the whistle, which
// names it with ?whistle_id=); the scorecard for whoever may read the district's
// scorecards (its supervisors, the city's, an admin).
const (
	OrderPDFPath     = "/v1/dispatches/{id}/order.pdf"
	NoticePDFPath    = "/v1/dispatches/{id}/supervision-notice.pdf"
	ScorecardPDFPath = "/v1/reports/monthly.pdf"
)

const mediaPDF = "application/pdf"

var (
	dispatchStatusNames = map[responsev1.Dispatch_Status]string{
		responsev1.Dispatch_PENDING: "待签收", responsev1.Dispatch_ACKNOWLEDGED: "已签收", responsev1.Dispatch_ARRIVED: "已到场",
		responsev1.Dispatch_RESOLVED: "已办结", responsev1.Dispatch_RETURNED: "已退单", responsev1.Dispatch_CANCELLED: "已撤销",
	}
	roleNames = map[string]string{"lead": "主办", "cooperating": "协办"}
)

// OrderPDF answers GET OrderPDFPath: a dispatch's 派单单 as PDF.
func (h *Handler) OrderPDF(w http.ResponseWriter, r *http.Request) { h.dispatchForm(w, r, false) }

// NoticePDF answers GET NoticePDFPath: a dispatch's 督办通知书 as PDF.
func (h *Handler) NoticePDF(w http.ResponseWriter, r *http.Request) { h.dispatchForm(w, r, true) }

// dispatchForm answers the dispatch order, or the supervision notice of a
// dispatch under 督办 (escalation level 2 or more).
func (h *Handler) dispatchForm(w http.ResponseWriter, r *http.Request, notice bool) {
	ctx, ok := h.annotate(w, r, responsev1.DispatchService_GetDispatch_FullMethodName)
	if !ok {
		return
	}
	d, err := h.Response.GetDispatch(ctx, &responsev1.GetDispatchRequest{Id: r.PathValue("id")})
	var wh *intakev1.Whistle
	if status.Code(err) == codes.PermissionDenied && !notice && r.URL.Query().Get("whistle_id") != "" {
		// A street does not read dispatches from response; it prints the
		// order of a dispatch of a whistle it raised, as intake shows it.
		d, wh, err = h.raisersDispatch(ctx, r.PathValue("id"), r.URL.Query().Get("whistle_id"))
	}
	if err != nil {
		h.fail(ctx, w, r, err)
		return
	}
	if notice && d.GetEscalationLevel() < 2 {
		h.fail(ctx, w, r, status.Errorf(codes.FailedPrecondition,
			"dispatch %s is not under 督办 (escalation level %d): a supervision notice is for level 2 (督办) or 3 (挂牌督办)", d.GetId(), d.GetEscalationLevel()))
		return
	}
	if wh == nil {
		if wh, err = h.Intake.GetWhistle(ctx, &intakev1.GetWhistleRequest{Id: d.GetWhistleId()}); err != nil {
			h.fail(ctx, w, r, err)
			return
		}
	}
	n, err := h.names(ctx)
	if err != nil {
		h.fail(ctx, w, r, err)
		return
	}
	f := n.dispatch(d, wh)
	now := h.Clock.Now()
	render, name := forms.Order, "order-"
	if notice {
		render, name = forms.Notice, "supervision-notice-"
	}
	pdf, err := render(f, now)
	if err != nil {
		h.fail(ctx, w, r, status.Errorf(codes.Internal, "render form: %v", err))
		return
	}
	write(w, mediaPDF, "inline", name+d.GetId()+".pdf", string(pdf))
}

// raisersDispatch is dispatch id of whistle whistleID as the caller reads the
// whistle from intake, which checks the caller's scope: only the street that
// raised it (not a neighbour informed of it) gets the dispatch; anyone else,
// and a dispatch not on the whistle, is not found.
func (h *Handler) raisersDispatch(ctx context.Context, id, whistleID string) (*responsev1.Dispatch, *intakev1.Whistle, error) {
	wh, err := h.Intake.GetWhistle(ctx, &intakev1.GetWhistleRequest{Id: whistleID})
	if err != nil {
		return nil, nil, err
	}
	notFound := status.Errorf(codes.NotFound, "dispatch %s not found on whistle %s", id, whistleID)
	if wh.GetViewerRole() != "" {
		return nil, nil, notFound
	}
	for _, d := range wh.GetDispatches() {
		if d.GetId() == id {
			return d, wh, nil
		}
	}
	return nil, nil, notFound
}

// dispatch is the form's view of a dispatch and its whistle, by name.
func (n names) dispatch(d *responsev1.Dispatch, wh *intakev1.Whistle) forms.Dispatch {
	f := forms.Dispatch{
		ID: d.GetId(), WhistleID: d.GetWhistleId(),
		District: n.of(n.districts, d.GetDistrictId()), Street: n.of(n.streets, d.GetStreetId()),
		Category: n.of(n.categories, d.GetCategory()), Department: n.of(n.departments, d.GetDepartment()),
		Role: n.of(roleNames, d.GetRole()), Title: wh.GetTitle(), Description: wh.GetDescription(), Address: wh.GetAddress(),
		Urgency: urgencyNames[wh.GetUrgency()], Status: dispatchStatusNames[d.GetStatus()],
		RaisedAt: when(wh.GetRaisedAt()), DispatchedAt: when(d.GetDispatchedAt()),
		AckBy: when(d.GetDeadlines().GetAckBy()), ArriveBy: when(d.GetDeadlines().GetArriveBy()), ResolveBy: when(d.GetDeadlines().GetResolveBy()),
		AcknowledgedAt: when(d.GetAcknowledgedAt()), ArrivedAt: when(d.GetArrivedAt()),
		EscalationLevel: int(d.GetEscalationLevel()),
	}
	if f.Title == "" {
		f.Title = f.Category
	}
	for _, c := range d.GetBreaches() {
		f.Breached = append(f.Breached, n.of(clockNames, c))
	}
	return f
}

// when is t as a time; the zero time when unset.
func when(t *timestamppb.Timestamp) time.Time {
	if t == nil {
		return time.Time{}
	}
	return t.AsTime()
}

// ScorecardPDF answers GET ScorecardPDFPath: the month's 治理成绩单 of a district (query district,
// month YYYY-MM), or of one of its departments (department) or streets
// (street).
func (h *Handler) ScorecardPDF(w http.ResponseWriter, r *http.Request) {
	ctx, ok := h.annotate(w, r, feedbackv1.FeedbackService_GetScorecards_FullMethodName)
	if !ok {
		return
	}
	q := r.URL.Query()
	district, dept, street := q.Get("district"), q.Get("department"), q.Get("street")
	month, err := time.ParseInLocation("2006-01", q.Get("month"), forms.Beijing)
	if err != nil {
		h.fail(ctx, w, r, rpcerr.Invalid("month", "must be YYYY-MM"))
		return
	}
	if dept != "" && street != "" {
		h.fail(ctx, w, r, rpcerr.Invalid("street", "give a department or a street, not both"))
		return
	}
	from, to := timestamppb.New(month), timestamppb.New(month.AddDate(0, 1, 0))
	sla, err := h.Feedback.GetSlaReport(ctx, &feedbackv1.GetSlaReportRequest{District: district, From: from, To: to})
	if err != nil {
		h.fail(ctx, w, r, err)
		return
	}
	district = sla.GetDistrict()
	cards := map[feedbackv1.GetScorecardsRequest_GroupBy]*feedbackv1.GetScorecardsResponse{}
	for _, g := range []feedbackv1.GetScorecardsRequest_GroupBy{feedbackv1.GetScorecardsRequest_DEPARTMENT, feedbackv1.GetScorecardsRequest_STREET} {
		if cards[g], err = h.Feedback.GetScorecards(ctx, &feedbackv1.GetScorecardsRequest{District: district, From: from, To: to, GroupBy: g}); err != nil {
			h.fail(ctx, w, r, err)
			return
		}
	}
	n, err := h.names(ctx)
	if err != nil {
		h.fail(ctx, w, r, err)
		return
	}
	if err := n.checkUnit(district, dept, street); err != nil {
		h.fail(ctx, w, r, err)
		return
	}
	s := forms.Scorecard{
		District: n.of(n.districts, district), Month: month, Total: line(sla.GetTotal(), 0, ""),
		Weights:     weights(cards[feedbackv1.GetScorecardsRequest_DEPARTMENT].GetWeights()),
		Departments: n.lines(cards[feedbackv1.GetScorecardsRequest_DEPARTMENT], n.departments),
		Streets:     n.lines(cards[feedbackv1.GetScorecardsRequest_STREET], n.streets),
	}
	name := "scorecard-" + district + "-" + month.Format("2006-01")
	switch {
	case dept != "":
		s.Unit, name = n.of(n.departments, dept), name+"-"+dept
	case street != "":
		s.Unit, s.UnitIsStreet, name = n.of(n.streets, street), true, name+"-"+street
	}
	pdf, err := forms.MonthScorecard(s, h.Clock.Now())
	if err != nil {
		h.fail(ctx, w, r, status.Errorf(codes.Internal, "render scorecard: %v", err))
		return
	}
	write(w, mediaPDF, "inline", name+".pdf", string(pdf))
}

// checkUnit refuses a department or street the scorecard cannot be of.
func (n names) checkUnit(district, dept, street string) error {
	if dept != "" && n.departments[dept] == "" {
		return rpcerr.Invalid("department", "unknown department %q", dept)
	}
	if street != "" && n.streetDistricts[street] != district {
		return rpcerr.Invalid("street", "%q is not a street of district %s", street, district)
	}
	return nil
}

func (n names) lines(cards *feedbackv1.GetScorecardsResponse, names map[string]string) []forms.Line {
	var out []forms.Line
	for _, c := range cards.GetScorecards() {
		l := line(c.GetSla(), int(c.GetRank()), n.of(names, c.GetKey()))
		l.Breaches = [3]int64{c.GetBreachesLevel1(), c.GetBreachesLevel2(), c.GetBreachesLevel3()}
		l.Composite = c.GetComposite()
		out = append(out, l)
	}
	return out
}

func line(s *feedbackv1.DepartmentSla, rank int, name string) forms.Line {
	return forms.Line{
		Rank: rank, Name: name, Dispatched: s.GetDispatched(), Returned: s.GetReturned(),
		Response: s.GetResponseRate(), Arrival: s.GetArrivalRate(), Resolution: s.GetResolutionRate(), Satisfaction: s.GetSatisfactionRate(),
	}
}

func weights(w *feedbackv1.Weights) string {
	return fmtWeight("响应", w.GetResponse()) + " / " + fmtWeight("到场", w.GetArrival()) + " / " +
		fmtWeight("解决", w.GetResolution()) + " / " + fmtWeight("满意", w.GetSatisfaction())
}

func fmtWeight(name string, v float64) string {
	return name + " " + strconv.FormatFloat(v, 'f', -1, 64)
}
