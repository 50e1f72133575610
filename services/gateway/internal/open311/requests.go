package open311

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	feedbackv1 "github.com/chuishao/whistle/proto/gen/whistle/feedback/v1"
	intakev1 "github.com/chuishao/whistle/proto/gen/whistle/intake/v1"
	responsev1 "github.com/chuishao/whistle/proto/gen/whistle/response/v1"
)

// Request answers RequestPattern: one service request.
func (h *Handler) Request(w http.ResponseWriter, r *http.Request) {
	id, format, ctx, ok := h.openResource(w, r)
	if !ok {
		return
	}
	wh, err := h.Intake.GetWhistle(ctx, &intakev1.GetWhistleRequest{Id: id})
	if notFound(err) {
		rep, err := h.reportRequest(ctx, id)
		if err != nil {
			h.fail(w, r, format, err)
			return
		}
		write(w, format, http.StatusOK, []Request{*rep}, requestsXML{Requests: []Request{*rep}})
		return
	}
	if err != nil {
		h.fail(w, r, format, err)
		return
	}
	ref, err := h.reference(ctx)
	if err != nil {
		h.fail(w, r, format, err)
		return
	}
	reqs := []Request{toRequest(wh, ref)}
	reqs[0].MediaURL = mediaURL(r, wh)
	h.withEtas(ctx, reqs)
	write(w, format, http.StatusOK, reqs, requestsXML{Requests: reqs})
}

// Token answers TokenPattern: the request a resident's follow-up token names.
func (h *Handler) Token(w http.ResponseWriter, r *http.Request) {
	token, format, ctx, ok := h.openResource(w, r)
	if !ok {
		return
	}
	// A whistle exists as soon as it is raised, so its token is its id.
	wh, err := h.Intake.GetWhistle(ctx, &intakev1.GetWhistleRequest{Id: token})
	if notFound(err) {
		// A resident's request has a follow-up token instead.
		answer, err := h.followUpToken(ctx, token)
		if err != nil {
			h.fail(w, r, format, err)
			return
		}
		write(w, format, http.StatusOK, []TokenAnswer{answer}, tokensXML{Requests: []TokenAnswer{answer}})
		return
	}
	if err != nil {
		h.fail(w, r, format, err)
		return
	}
	answers := []TokenAnswer{{ServiceRequestID: wh.GetId(), Token: token}}
	write(w, format, http.StatusOK, answers, tokensXML{Requests: answers})
}

// listFilter is GET requests.json's query.
type listFilter struct {
	ids        []string
	codes      []string
	start, end time.Time
	statuses   []string // open, closed
}

func parseListFilter(q map[string][]string, now time.Time) (listFilter, error) {
	get := func(name string) string {
		if v := q[name]; len(v) > 0 {
			return strings.TrimSpace(v[0])
		}
		return ""
	}
	var f listFilter
	f.ids = splitList(get("service_request_id"))
	f.codes = splitList(get("service_code"))
	for _, s := range splitList(get("status")) {
		if s != "open" && s != "closed" {
			return f, fmt.Errorf("status must be open or closed, got %q", s)
		}
		f.statuses = append(f.statuses, s)
	}
	var err error
	if v := get("start_date"); v != "" {
		if f.start, err = time.Parse(time.RFC3339, v); err != nil {
			return f, fmt.Errorf("start_date must be a W3C (RFC 3339) datetime such as 2026-11-23T09:00:00+08:00, got %q", v)
		}
	}
	if v := get("end_date"); v != "" {
		if f.end, err = time.Parse(time.RFC3339, v); err != nil {
			return f, fmt.Errorf("end_date must be a W3C (RFC 3339) datetime such as 2026-11-23T18:00:00+08:00, got %q", v)
		}
	}
	if !f.start.IsZero() && !f.end.IsZero() && f.end.Before(f.start) {
		return f, fmt.Errorf("end_date must not be before start_date")
	}
	if f.start.IsZero() && f.end.IsZero() {
		f.start = now.Add(-defaultWindow)
	} else if f.start.IsZero() {
		f.start = f.end.Add(-defaultWindow)
	}
	return f, nil
}

func splitList(v string) []string {
	var out []string
	for s := range strings.SplitSeq(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

func (h *Handler) listRequests(w http.ResponseWriter, r *http.Request, format string) {
	f, err := parseListFilter(r.URL.Query(), h.Clock.Now())
	if err != nil {
		writeError(w, format, http.StatusBadRequest, err.Error())
		return
	}
	ctx, err := h.asReader(r.Context())
	if err != nil {
		h.fail(w, r, format, err)
		return
	}
	ref, err := h.reference(ctx)
	if err != nil {
		h.fail(w, r, format, err)
		return
	}
	reqs := []Request{}
	if len(f.ids) > 0 {
		// Asked by id, the other filters do not apply (GeoReport v2).
		for _, id := range f.ids {
			wh, err := h.Intake.GetWhistle(ctx, &intakev1.GetWhistleRequest{Id: id})
			if status.Code(err) == codes.NotFound {
				continue
			}
			if err != nil {
				h.fail(w, r, format, err)
				return
			}
			reqs = append(reqs, toRequest(wh, ref))
		}
		h.withEtas(ctx, reqs)
		write(w, format, http.StatusOK, reqs, requestsXML{Requests: reqs})
		return
	}
	pageToken := ""
	for len(reqs) < maxResults {
		page, err := h.Intake.ListWhistles(ctx, &intakev1.ListWhistlesRequest{PageSize: listPageSize, PageToken: pageToken})
		if err != nil {
			h.fail(w, r, format, err)
			return
		}
		older := false
		for _, wh := range page.GetWhistles() {
			raised := wh.GetRaisedAt().AsTime()
			if raised.Before(f.start) {
				older = true // newest first: everything after this is older still
				break
			}
			if !f.end.IsZero() && raised.After(f.end) {
				continue
			}
			if len(f.codes) > 0 && !slices.Contains(f.codes, wh.GetCategory()) {
				continue
			}
			req := toRequest(wh, ref)
			if len(f.statuses) > 0 && !slices.Contains(f.statuses, req.Status) {
				continue
			}
			reqs = append(reqs, req)
			if len(reqs) == maxResults {
				break
			}
		}
		if pageToken = page.GetNextPageToken(); older || pageToken == "" {
			break
		}
	}
	h.withEtas(ctx, reqs)
	write(w, format, http.StatusOK, reqs, requestsXML{Requests: reqs})
}

// toRequest is a whistle's public view as an Open311 service request: no
// description or address (the street's and residents' words), and the
// coarse location the public view carries.
func toRequest(wh *intakev1.Whistle, ref reference) Request {
	cat := ref.categories[wh.GetCategory()]
	req := Request{
		ServiceRequestID:  wh.GetId(),
		Status:            "open",
		StatusNotes:       ptr(statusNotes(wh)),
		ServiceCode:       wh.GetCategory(),
		RequestedDatetime: wh.GetRaisedAt().AsTime().In(beijing).Format(time.RFC3339),
	}
	switch wh.GetStatus() {
	case intakev1.Whistle_RESOLVED, intakev1.Whistle_CLOSED, intakev1.Whistle_CANCELLED:
		req.Status = "closed"
	}
	if wh.GetUpdatedAt() != nil {
		req.UpdatedDatetime = ptr(wh.GetUpdatedAt().AsTime().In(beijing).Format(time.RFC3339))
	}
	if loc := wh.GetLocation(); loc != nil {
		req.Lat, req.Long = ptr(loc.GetLat()), ptr(loc.GetLng())
	}
	lead := ""
	if cat != nil {
		req.ServiceName = optional(cat.GetName())
		req.ServiceNotice = optional(serviceNotice(cat.GetSla()))
		lead = cat.GetLeadDepartment()
	}
	var expected time.Time
	for _, d := range wh.GetDispatches() {
		if d.GetStatus() == responsev1.Dispatch_RETURNED || d.GetStatus() == responsev1.Dispatch_CANCELLED {
			continue
		}
		if d.GetRole() == "lead" {
			lead = d.GetDepartment() // after a return, whoever took the lead over
		}
		if by := d.GetDeadlines().GetResolveBy(); by != nil && by.AsTime().After(expected) {
			expected = by.AsTime() // the request is done when the last department is
		}
	}
	if expected.IsZero() && cat != nil && cat.GetSla().GetResolveWithin() != nil && wh.GetRaisedAt() != nil {
		expected = wh.GetRaisedAt().AsTime().Add(cat.GetSla().GetResolveWithin().AsDuration())
	}
	if !expected.IsZero() {
		req.ExpectedDatetime = ptr(expected.In(beijing).Format(time.RFC3339))
	}
	if lead != "" {
		name := lead
		if d := ref.departments[lead]; d != nil && d.GetName() != "" {
			name = d.GetName()
		}
		req.AgencyResponsible = &name
	}
	return req
}

// withEtas sets the expected_datetime of reqs to their whistles' expected
// resolution (the latest of their dispatches', from history, the desks' own
// ETAs or the deadlines; docs/eta.md). A whistle without one, or a feedback
// service that does not answer, keeps the SLA deadline toRequest put there.
func (h *Handler) withEtas(ctx context.Context, reqs []Request) {
	if h.Feedback == nil {
		return
	}
	for from := 0; from < len(reqs); from += etaBatch {
		part := reqs[from:min(from+etaBatch, len(reqs))]
		ids := make([]string, 0, len(part))
		for _, r := range part {
			ids = append(ids, r.ServiceRequestID)
		}
		resp, err := h.Feedback.ListWhistleEtas(ctx, &feedbackv1.ListWhistleEtasRequest{WhistleIds: ids})
		if err != nil {
			h.Log.WarnContext(ctx, "open311: no ETA, the SLA deadlines stand", "err", err)
			return
		}
		expected := map[string]time.Time{}
		for _, e := range resp.GetEtas() {
			if e.GetExpectedResolutionAt() != nil {
				expected[e.GetWhistleId()] = e.GetExpectedResolutionAt().AsTime()
			}
		}
		for i := range part {
			if at, ok := expected[part[i].ServiceRequestID]; ok {
				part[i].ExpectedDatetime = ptr(at.In(beijing).Format(time.RFC3339))
			}
		}
	}
}

// etaBatch is how many whistles one ETA call names (the feedback service's limit).
const etaBatch = 100

func statusNotes(wh *intakev1.Whistle) string {
	switch wh.GetStatus() {
	case intakev1.Whistle_RAISED:
		return "Received; being routed to the departments."
	case intakev1.Whistle_ROUTED:
		return "Dispatched to the departments."
	case intakev1.Whistle_RESPONDING:
		return "The departments are responding."
	case intakev1.Whistle_UNROUTABLE:
		return "Waiting for the district to assign a department."
	case intakev1.Whistle_REOPENED:
		return "Reopened: not fixed yet."
	case intakev1.Whistle_RESOLVED:
		return "Resolved by every department; awaiting the street's follow-up."
	case intakev1.Whistle_CLOSED:
		return "Closed after the street's follow-up."
	case intakev1.Whistle_CANCELLED:
		return "Withdrawn by the street."
	}
	return wh.GetStatus().String()
}
