package open311

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	routingv1 "github.com/chuishao/whistle/proto/gen/whistle/routing/v1"
)

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

// Service answers ServicePattern: one service's definition.
func (h *Handler) Service(w http.ResponseWriter, r *http.Request) {
	code, format, ctx, ok := h.openResource(w, r)
	if !ok {
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
