package open311

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/chuishao/whistle/platform/auth"
	intakev1 "github.com/chuishao/whistle/proto/gen/whistle/intake/v1"
	routingv1 "github.com/chuishao/whistle/proto/gen/whistle/routing/v1"
	typesv1 "github.com/chuishao/whistle/proto/gen/whistle/types/v1"

	"github.com/chuishao/whistle/services/gateway/internal/httpapi"
)

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
