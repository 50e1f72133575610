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
	"strings"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/chuishao/whistle/platform/auth"
	"github.com/chuishao/whistle/platform/blob"
	"github.com/chuishao/whistle/platform/clock"
	feedbackv1 "github.com/chuishao/whistle/proto/gen/whistle/feedback/v1"
	intakev1 "github.com/chuishao/whistle/proto/gen/whistle/intake/v1"
	routingv1 "github.com/chuishao/whistle/proto/gen/whistle/routing/v1"

	"github.com/chuishao/whistle/services/gateway/internal/apierror"
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
	// Feedback, when set, gives expected_datetime from the whistles' ETA
	// (docs/eta.md); without it, or when it fails, the SLA deadline stands.
	Feedback feedbackv1.FeedbackServiceClient
}

// The Open311 routes, as net/http patterns; everything else under Prefix
// is NotFound's.
const (
	ListPattern    = "GET " + Prefix + "{file}"
	PostPattern    = "POST " + Prefix + "{file}"
	ServicePattern = "GET " + Prefix + "services/{file}"
	RequestPattern = "GET " + Prefix + "requests/{file}"
	TokenPattern   = "GET " + Prefix + "tokens/{file}"
	MediaPattern   = "GET " + Prefix + "media/{whistle_id}/{file}"
)

// NotFound answers every path under Prefix that no pattern names with the
// spec's error list.
func (h *Handler) NotFound(w http.ResponseWriter, r *http.Request) {
	_, format, ok := splitFormat(r.URL.Path)
	if !ok {
		format = formatJSON
	}
	writeError(w, format, http.StatusNotFound, fmt.Sprintf("no Open311 resource %s %s", r.Method, r.URL.Path))
}

// List answers ListPattern: services.json and requests.json.
func (h *Handler) List(w http.ResponseWriter, r *http.Request) {
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

// Post answers PostPattern: requests.json raises a whistle (or takes a
// resident's report).
func (h *Handler) Post(w http.ResponseWriter, r *http.Request) {
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

// openResource starts an answer about one resource, /{name}.{json|xml}: its
// name, the format asked for, and the request's context as the public
// reader. When either fails it has answered the request and ok is false.
func (h *Handler) openResource(w http.ResponseWriter, r *http.Request) (name, format string, ctx context.Context, ok bool) {
	name, format, ok = splitFormat(r.PathValue("file"))
	if !ok {
		writeError(w, formatJSON, http.StatusNotFound, "unknown format: use .json or .xml")
		return "", "", nil, false
	}
	ctx, err := h.asReader(r.Context())
	if err != nil {
		h.fail(w, r, format, err)
		return "", "", nil, false
	}
	return name, format, ctx, true
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
