// Package open311 serves Open311 GeoReport v2 under /open311/v2/, so existing
// 311 apps can raise and follow whistles: categories are services, whistles
// are service requests. Reads are public; raising needs an api_key, which the
// gateway's configuration binds to one street. The handler calls the backends
// over gRPC like any client, with short-lived tokens it signs itself: the
// public's read-only identity (auth.RolePublic) for the public reads, whose
// answers the backends reduce to their public view, and the bound street's
// identity for a raise (see docs/decisions.md).
package open311

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/chuishao/whistle/platform/auth"
	"github.com/chuishao/whistle/platform/blob"
	"github.com/chuishao/whistle/platform/clock"
	intakev1 "github.com/chuishao/whistle/proto/gen/whistle/intake/v1"
	responsev1 "github.com/chuishao/whistle/proto/gen/whistle/response/v1"
	routingv1 "github.com/chuishao/whistle/proto/gen/whistle/routing/v1"
	typesv1 "github.com/chuishao/whistle/proto/gen/whistle/types/v1"

	"github.com/chuishao/whistle/services/gateway/internal/apierror"
	"github.com/chuishao/whistle/services/gateway/internal/httpapi"
	"github.com/chuishao/whistle/services/gateway/internal/logpath"
)

// Prefix is where the Open311 endpoints are mounted.
const Prefix = "/open311/v2/"

// ReaderSubject is the subject of the tokens the public reads run with.
const ReaderSubject = "open311-public"

// tokenTTL is how long a token the handler signs lives: one request's worth.
const tokenTTL = 2 * time.Minute

// Limits of GET requests.json, as the GeoReport v2 spec suggests.
const (
	defaultWindow = 90 * 24 * time.Hour
	maxResults    = 1000
	listPageSize  = 100
)

// beijing is the time zone of the datetimes: Open311 clients show them as
// local time.
var beijing = time.FixedZone("CST", 8*3600)

// Handler serves the Open311 endpoints.
type Handler struct {
	Keys    Keys
	Signer  *auth.Signer
	Clock   clock.Clock
	Log     *slog.Logger
	Intake  intakev1.IntakeServiceClient
	Routing routingv1.RoutingServiceClient
	// Reports, when set, takes residents' requests (attribute[reporter]=resident)
	// as reports and answers their follow-up tokens.
	Reports intakev1.ReportServiceClient
	// Media, when set, serves photo thumbnails for media_url.
	Media blob.Store
}

// Routes returns the mux of every Open311 endpoint; unknown paths get the
// spec's error list.
func (h *Handler) Routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+Prefix+"{file}", h.getTop)
	mux.HandleFunc("POST "+Prefix+"{file}", h.postTop)
	mux.HandleFunc("GET "+Prefix+"services/{file}", h.getService)
	mux.HandleFunc("GET "+Prefix+"requests/{file}", h.getRequest)
	mux.HandleFunc("GET "+Prefix+"tokens/{file}", h.getToken)
	mux.HandleFunc(mediaPath, h.getMedia)
	mux.HandleFunc(Prefix, func(w http.ResponseWriter, r *http.Request) {
		_, format, ok := splitFormat(r.URL.Path)
		if !ok {
			format = formatJSON
		}
		writeError(w, format, http.StatusNotFound, fmt.Sprintf("no Open311 resource %s %s", r.Method, r.URL.Path))
	})
	return mux
}

func (h *Handler) getTop(w http.ResponseWriter, r *http.Request) {
	name, format, ok := splitFormat(r.PathValue("file"))
	switch {
	case !ok:
		writeError(w, formatJSON, http.StatusNotFound, "unknown format: use .json or .xml")
	case name == "services":
		h.listServices(w, r, format)
	case name == "requests":
		h.listRequests(w, r, format)
	default:
		writeError(w, format, http.StatusNotFound, "no Open311 resource "+r.URL.Path)
	}
}

func (h *Handler) postTop(w http.ResponseWriter, r *http.Request) {
	name, format, ok := splitFormat(r.PathValue("file"))
	switch {
	case !ok:
		writeError(w, formatJSON, http.StatusNotFound, "unknown format: use .json or .xml")
	case name == "requests":
		h.createRequest(w, r, format)
	default:
		writeError(w, format, http.StatusMethodNotAllowed, "only requests accepts POST")
	}
}

// asReader returns ctx carrying the public's read-only token: the backends
// let it call only their public-view reads and answer those without
// personal data.
func (h *Handler) asReader(ctx context.Context) (context.Context, error) {
	return h.as(ctx, auth.Identity{Subject: ReaderSubject, Role: auth.RolePublic})
}

func (h *Handler) as(ctx context.Context, id auth.Identity) (context.Context, error) {
	tok, err := h.Signer.Sign(id, h.Clock.Now(), tokenTTL)
	if err != nil {
		return nil, fmt.Errorf("sign open311 token for %s: %w", id.Subject, err)
	}
	return metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+tok), nil
}

// fail answers a backend error in the spec's format, keeping field reasons.
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, format string, err error) {
	st := status.Convert(err)
	switch st.Code() {
	case codes.InvalidArgument, codes.FailedPrecondition, codes.OutOfRange:
		msg := st.Message()
		var reasons []string
		for _, d := range apierror.FieldDetails(st) {
			reasons = append(reasons, openField(d.Field)+" "+d.Reason)
		}
		if len(reasons) > 0 {
			msg = strings.Join(reasons, "; ")
		}
		writeError(w, format, http.StatusBadRequest, msg)
	case codes.NotFound:
		writeError(w, format, http.StatusNotFound, st.Message())
	case codes.PermissionDenied:
		writeError(w, format, http.StatusForbidden, st.Message())
	case codes.Unavailable, codes.DeadlineExceeded:
		h.Log.WarnContext(r.Context(), "open311 backend unavailable", "path", logpath.Redact(r.URL.Path), "err", st.Message())
		writeError(w, format, http.StatusServiceUnavailable, "a backend service is unavailable; try again shortly")
	default:
		h.Log.ErrorContext(r.Context(), "open311 request failed", "path", logpath.Redact(r.URL.Path), "code", st.Code().String(), "err", st.Message())
		writeError(w, format, http.StatusInternalServerError, "internal error")
	}
}

// openField names a whistle field by the Open311 parameter it came from.
func openField(f string) string {
	switch f {
	case "location.lat":
		return "lat"
	case "location.lng":
		return "long"
	case "category":
		return "service_code"
	case "address":
		return "address_string"
	}
	return f
}

// reference is the routing data a request's conversion needs.
type reference struct {
	categories  map[string]*routingv1.Category
	departments map[string]*routingv1.Department
}

func (h *Handler) reference(ctx context.Context) (reference, error) {
	cats, err := h.Routing.ListCategories(ctx, &routingv1.ListCategoriesRequest{})
	if err != nil {
		return reference{}, err
	}
	depts, err := h.Routing.ListDepartments(ctx, &routingv1.ListDepartmentsRequest{})
	if err != nil {
		return reference{}, err
	}
	ref := reference{categories: map[string]*routingv1.Category{}, departments: map[string]*routingv1.Department{}}
	for _, c := range cats.GetCategories() {
		ref.categories[c.GetCode()] = c
	}
	for _, d := range depts.GetDepartments() {
		ref.departments[d.GetCode()] = d
	}
	return ref, nil
}

func (h *Handler) listServices(w http.ResponseWriter, r *http.Request, format string) {
	ctx, err := h.asReader(r.Context())
	if err != nil {
		h.fail(w, r, format, err)
		return
	}
	resp, err := h.Routing.ListCategories(ctx, &routingv1.ListCategoriesRequest{})
	if err != nil {
		h.fail(w, r, format, err)
		return
	}
	services := make([]Service, 0, len(resp.GetCategories()))
	for _, c := range resp.GetCategories() {
		services = append(services, toService(c))
	}
	write(w, format, http.StatusOK, services, servicesXML{Services: services})
}

func toService(c *routingv1.Category) Service {
	desc := c.GetDescription()
	if desc == "" {
		desc = c.GetNameEn()
	}
	return Service{
		ServiceCode: c.GetCode(),
		ServiceName: c.GetName(),
		Description: optional(desc),
		Metadata:    true, // the urgency and title attributes
		Type:        "realtime",
		Keywords:    optional(c.GetNameEn()),
		Group:       optional(c.GetLeadDepartment()),
	}
}

func (h *Handler) getService(w http.ResponseWriter, r *http.Request) {
	code, format, ok := splitFormat(r.PathValue("file"))
	if !ok {
		writeError(w, formatJSON, http.StatusNotFound, "unknown format: use .json or .xml")
		return
	}
	ctx, err := h.asReader(r.Context())
	if err != nil {
		h.fail(w, r, format, err)
		return
	}
	if _, err := h.Routing.GetCategory(ctx, &routingv1.GetCategoryRequest{Code: code}); err != nil {
		h.fail(w, r, format, err)
		return
	}
	def := ServiceDefinition{ServiceCode: code, Attributes: h.attributes()}
	write(w, format, http.StatusOK, def, def)
}

// attributes are the extra fields every service accepts; reporter only when
// residents' requests are taken as reports.
func (h *Handler) attributes() []Attribute {
	attrs := []Attribute{
		{
			Variable: true, Code: "urgency", Datatype: "singlevaluelist", Required: false, Order: 1,
			Description: ptr("How urgent the problem is (NORMAL when not given)."),
			Values: []AttributeValue{
				{Key: "NORMAL", Name: "一般 normal"}, {Key: "HIGH", Name: "紧急 high"}, {Key: "CRITICAL", Name: "特急 critical"},
			},
		},
		{
			Variable: true, Code: "title", Datatype: "string", Required: false, Order: 2,
			DatatypeDescription: ptr("up to 200 characters"),
			Description:         ptr("A short title for the request."),
		},
	}
	if h.Reports != nil {
		attrs = append(attrs, reporterAttribute)
	}
	return attrs
}

func (h *Handler) getRequest(w http.ResponseWriter, r *http.Request) {
	id, format, ok := splitFormat(r.PathValue("file"))
	if !ok {
		writeError(w, formatJSON, http.StatusNotFound, "unknown format: use .json or .xml")
		return
	}
	ctx, err := h.asReader(r.Context())
	if err != nil {
		h.fail(w, r, format, err)
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
	write(w, format, http.StatusOK, reqs, requestsXML{Requests: reqs})
}

func (h *Handler) getToken(w http.ResponseWriter, r *http.Request) {
	token, format, ok := splitFormat(r.PathValue("file"))
	if !ok {
		writeError(w, formatJSON, http.StatusNotFound, "unknown format: use .json or .xml")
		return
	}
	ctx, err := h.asReader(r.Context())
	if err != nil {
		h.fail(w, r, format, err)
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
	write(w, format, http.StatusOK, reqs, requestsXML{Requests: reqs})
}

// createRequest raises a whistle for the api_key's street.
func (h *Handler) createRequest(w http.ResponseWriter, r *http.Request, format string) {
	if err := r.ParseForm(); err != nil {
		if httpapi.BodyTooLarge(err) {
			writeError(w, format, http.StatusRequestEntityTooLarge, "the request body exceeds 1 MiB")
			return
		}
		writeError(w, format, http.StatusBadRequest, "malformed form body: "+err.Error())
		return
	}
	key := r.Form.Get("api_key")
	street, ok := h.Keys[key]
	if key == "" || !ok {
		writeError(w, format, http.StatusForbidden, "a valid api_key is required to submit requests")
		return
	}
	in, problems := parseCreate(r.Form)
	if len(problems) > 0 {
		writeError(w, format, http.StatusBadRequest, strings.Join(problems, "; "))
		return
	}
	ctx, err := h.asReader(r.Context())
	if err != nil {
		h.fail(w, r, format, err)
		return
	}
	st, err := h.Routing.GetStreet(ctx, &routingv1.GetStreetRequest{Id: street})
	if err != nil {
		h.Log.ErrorContext(r.Context(), "open311 key bound to an unknown street", "street", street, "err", err)
		writeError(w, format, http.StatusInternalServerError, "this api_key is bound to a street that does not exist")
		return
	}
	cat, err := h.Routing.GetCategory(ctx, &routingv1.GetCategoryRequest{Code: in.category})
	if status.Code(err) == codes.NotFound {
		writeError(w, format, http.StatusBadRequest, fmt.Sprintf("service_code %q is not a service (see services.json)", in.category))
		return
	}
	if err != nil {
		h.fail(w, r, format, err)
		return
	}
	if in.location == nil {
		// An address alone: the street's centre (WGS-84) stands in.
		in.location, in.coordSys = st.GetCentroid(), "WGS84"
	}
	if h.Reports != nil && isResident(r.Form) {
		created, err := h.residentReport(ctx, street, in, r.Form)
		if err != nil {
			h.fail(w, r, format, err)
			return
		}
		h.Log.InfoContext(r.Context(), "open311 resident report filed", "client", clientID(key), "report", created.ServiceRequestID, "street", street)
		write(w, format, http.StatusOK, []Created{created}, createdXML{Requests: []Created{created}})
		return
	}
	client := clientID(key)
	raiseCtx, err := h.as(r.Context(), auth.Identity{Subject: client, Role: auth.RoleStreet, StreetID: street, DistrictID: st.GetDistrictId()})
	if err != nil {
		h.fail(w, r, format, err)
		return
	}
	if k := r.Header.Get("Idempotency-Key"); k != "" {
		raiseCtx = metadata.AppendToOutgoingContext(raiseCtx, "idempotency-key", client+":"+k)
	}
	wh, err := h.Intake.RaiseWhistle(raiseCtx, &intakev1.RaiseWhistleRequest{
		StreetId: street, Category: in.category, Description: in.description, Location: in.location, CoordSys: in.coordSys,
		Title: in.title, Address: in.address, Urgency: in.urgency,
	})
	if err != nil {
		h.fail(w, r, format, err)
		return
	}
	h.Log.InfoContext(r.Context(), "open311 request raised", "client", client, "whistle", wh.GetId(), "street", street)
	created := []Created{{ServiceRequestID: wh.GetId(), Token: wh.GetId(), ServiceNotice: serviceNotice(cat.GetSla())}}
	write(w, format, http.StatusOK, created, createdXML{Requests: created})
}

// createInput is a parsed POST requests.json.
type createInput struct {
	category, description, title, address string
	location                              *typesv1.LatLng
	// coordSys is the system lat and long are in (an extension: WGS84,
	// GCJ02 or BD09; intake's default when empty). Intake checks it.
	coordSys string
	urgency  intakev1.Whistle_Urgency
}

// parseCreate reads the form, naming every problem by its Open311 parameter.
// Contact fields (email, names, phone, device_id) are accepted and dropped:
// Whistle keeps no personal data of the reporter.
func parseCreate(form map[string][]string) (createInput, []string) {
	get := func(name string) string {
		if v := form[name]; len(v) > 0 {
			return strings.TrimSpace(v[0])
		}
		return ""
	}
	var in createInput
	var problems []string
	if in.category = get("service_code"); in.category == "" {
		problems = append(problems, "service_code is required")
	}
	if in.description = get("description"); in.description == "" {
		problems = append(problems, "description is required")
	}
	in.address = get("address_string")
	lat, lng := get("lat"), get("long")
	switch {
	case lat != "" || lng != "":
		la, errLat := strconv.ParseFloat(lat, 64)
		lo, errLng := strconv.ParseFloat(lng, 64)
		if errLat != nil {
			problems = append(problems, "lat must be a number (degrees)")
		}
		if errLng != nil {
			problems = append(problems, "long must be a number (degrees)")
		}
		in.location = &typesv1.LatLng{Lat: la, Lng: lo}
	case in.address == "" && get("address_id") == "":
		problems = append(problems, "a location is required: lat and long, address_string or address_id")
	}
	in.coordSys = get("coord_sys")
	in.title = get("attribute[title]")
	if u := get("attribute[urgency]"); u != "" {
		v, ok := intakev1.Whistle_Urgency_value[strings.ToUpper(u)]
		if !ok || v == 0 {
			problems = append(problems, "attribute[urgency] must be NORMAL, HIGH or CRITICAL")
		}
		in.urgency = intakev1.Whistle_Urgency(v)
	}
	return in, problems
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

// serviceNotice says what the SLA promises.
func serviceNotice(sla *routingv1.SlaPolicy) string {
	if sla == nil {
		return ""
	}
	var parts []string
	if d := sla.GetAckWithin(); d != nil {
		parts = append(parts, "acknowledge within "+human(d.AsDuration()))
	}
	if d := sla.GetArriveWithin(); d != nil {
		parts = append(parts, "arrive on site within "+human(d.AsDuration()))
	}
	if d := sla.GetResolveWithin(); d != nil {
		parts = append(parts, "resolve within "+human(d.AsDuration()))
	}
	switch len(parts) {
	case 0:
		return ""
	case 1:
		return "The departments " + parts[0] + "."
	}
	return "The departments " + strings.Join(parts[:len(parts)-1], ", ") + " and " + parts[len(parts)-1] + "."
}

func human(d time.Duration) string {
	unit := func(n int, name string) string {
		if n == 1 {
			return "1 " + name
		}
		return strconv.Itoa(n) + " " + name + "s"
	}
	switch {
	case d >= 24*time.Hour && d%(24*time.Hour) == 0:
		return unit(int(d/(24*time.Hour)), "day")
	case d >= time.Hour && d%time.Hour == 0:
		return unit(int(d/time.Hour), "hour")
	default:
		return unit(int(d.Round(time.Minute)/time.Minute), "minute")
	}
}
