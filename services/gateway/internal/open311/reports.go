package open311

import (
	"context"
	"strings"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	intakev1 "github.com/chuishao/whistle/proto/gen/whistle/intake/v1"
)

// ReporterAttribute marks a request filed by a resident (value "resident"):
// it becomes a report in the street's inbox instead of a whistle,
// and its token is the reporter's follow-up token.
const ReporterAttribute = "attribute[reporter]"

// reporterAttribute declares attribute[reporter] in every service definition.
var reporterAttribute = Attribute{
	Variable: true, Code: "reporter", Datatype: "singlevaluelist", Required: false, Order: 3,
	Description: ptr("Who files the request. resident: a resident's report, triaged by the street (the request's token " +
		"follows it, first_name/last_name/phone are kept for the street's callback only); not given: the api_key's " +
		"organisation raises a whistle."),
	Values: []AttributeValue{{Key: "resident", Name: "居民 resident"}},
}

// residentReport files a resident's request as a report of the api_key's
// street, keeping the optional contact for the street's callback.
func (h *Handler) residentReport(ctx context.Context, street string, in createInput, form map[string][]string) (Created, error) {
	get := func(name string) string {
		if v := form[name]; len(v) > 0 {
			return strings.TrimSpace(v[0])
		}
		return ""
	}
	filed, err := h.Reports.SubmitPublicReport(ctx, &intakev1.SubmitPublicReportRequest{
		StreetId: street, Category: in.category, Description: in.description, Location: in.location, CoordSys: in.coordSys, Address: in.address,
		ContactName:  strings.TrimSpace(get("first_name") + " " + get("last_name")),
		ContactPhone: get("phone"),
		Photos:       photoReference(get("media_url")),
	})
	if err != nil {
		return Created{}, err
	}
	return Created{ServiceRequestID: filed.GetReport().GetId(), Token: filed.GetFollowUpToken(),
		ServiceNotice: "已转街道受理，将在2小时内分拣 (triaged by the street within 2 hours)"}, nil
}

// reportRequest answers requests/{id} for a report id when it is no whistle:
// its public view, without the reporter's words or address.
func (h *Handler) reportRequest(ctx context.Context, id string) (*Request, error) {
	if h.Reports == nil {
		return nil, status.Error(codes.NotFound, "request not found")
	}
	rep, err := h.Reports.GetReport(ctx, &intakev1.GetReportRequest{Id: id})
	if err != nil {
		return nil, err
	}
	req := &Request{
		ServiceRequestID:  rep.GetId(),
		Status:            "open",
		ServiceCode:       rep.GetCategory(),
		RequestedDatetime: rep.GetReceivedAt().AsTime().In(beijing).Format(time.RFC3339),
		StatusNotes:       ptr(reportNotes(rep)),
	}
	if rep.GetStatus() == intakev1.Report_CLOSED {
		req.Status = "closed"
		req.UpdatedDatetime = ptr(rep.GetClosedAt().AsTime().In(beijing).Format(time.RFC3339))
	}
	return req, nil
}

func reportNotes(r *intakev1.Report) string {
	switch r.GetStatus() {
	case intakev1.Report_RECEIVED:
		return "Received by the street; waiting for triage."
	case intakev1.Report_IN_PROGRESS:
		return "The street blew the whistle; departments are handling it (whistle " + r.GetWhistleId() + ")."
	}
	return "Closed by the street."
}

// followUpToken answers tokens/{token} for a follow-up token.
func (h *Handler) followUpToken(ctx context.Context, token string) (TokenAnswer, error) {
	if h.Reports == nil {
		return TokenAnswer{}, status.Error(codes.NotFound, "token not found")
	}
	fu, err := h.Reports.GetFollowUp(ctx, &intakev1.GetFollowUpRequest{Token: token})
	if err != nil {
		return TokenAnswer{}, err
	}
	if fu.GetReportId() == "" {
		return TokenAnswer{}, status.Error(codes.NotFound, "token not found")
	}
	return TokenAnswer{ServiceRequestID: fu.GetReportId(), Token: token}, nil
}

func isResident(form map[string][]string) bool {
	v := form[ReporterAttribute]
	return len(v) > 0 && strings.EqualFold(strings.TrimSpace(v[0]), "resident")
}

// notFound tells whether a backend answered NotFound.
func notFound(err error) bool { return status.Code(err) == codes.NotFound }

// photoReference keeps a resident's media_url as a reference on the report
// (intake accepts https links only). It is never fetched: the gateway makes
// no requests to addresses a client names (docs/security.md).
func photoReference(url string) []*intakev1.Photo {
	if url == "" {
		return nil
	}
	return []*intakev1.Photo{{Url: url}}
}
