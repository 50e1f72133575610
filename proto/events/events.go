// Package events names and addresses the events of proto/whistle/events/v1:
// an event's name comes from its payload's oneof field (dispatch_acknowledged
// is dispatch.acknowledged) and its subject adds the version and the scope
// (dispatch.v1.acknowledged.<district>.<department>), so consumers can filter
// by district and department.
package events

import (
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/timestamppb"

	eventsv1 "github.com/chuishao/whistle/proto/gen/whistle/events/v1"
	intakev1 "github.com/chuishao/whistle/proto/gen/whistle/intake/v1"
	responsev1 "github.com/chuishao/whistle/proto/gen/whistle/response/v1"
	typesv1 "github.com/chuishao/whistle/proto/gen/whistle/types/v1"
)

// Domains of the event stream, the first token of every subject.
const (
	DomainWhistle  = "whistle"
	DomainDispatch = "dispatch"
	DomainSLA      = "sla"
	DomainFeedback = "feedback"
	// DomainReport is discovery before the whistle.
	DomainReport = "report"
	// DomainAdmin is the audit of admin actions.
	DomainAdmin = "admin"
)

// Subjects lists the subject patterns of the whole stream.
var Subjects = []string{"whistle.v1.>", "dispatch.v1.>", "sla.v1.>", "feedback.v1.>", "report.v1.>", "admin.v1.>"}

// Name is the event's name, e.g. "dispatch.acknowledged", or "" without payload.
func Name(e *eventsv1.Event) string {
	oneof := e.ProtoReflect().Descriptor().Oneofs().ByName("payload")
	field := e.ProtoReflect().WhichOneof(oneof)
	if field == nil {
		return ""
	}
	domain, event, _ := strings.Cut(string(field.Name()), "_")
	return domain + "." + event
}

// Dispatch is the dispatch snapshot the payload carries — every dispatch.* and
// sla.* payload has a `dispatch` field — or nil for other events.
func Dispatch(e *eventsv1.Event) *responsev1.Dispatch {
	d, _ := carried(e, "dispatch").(*responsev1.Dispatch)
	return d
}

// Report is the report snapshot the payload carries — the report.* payloads
// with a `report` field — or nil for other events (report.rated carries only
// an id, report.ticket_returned the ticket's return).
func Report(e *eventsv1.Event) *intakev1.Report {
	r, _ := carried(e, "report").(*intakev1.Report)
	return r
}

// carried is the message in the payload's field of that name, or nil.
func carried(e *eventsv1.Event, name protoreflect.Name) proto.Message {
	m := e.ProtoReflect()
	field := m.WhichOneof(m.Descriptor().Oneofs().ByName("payload"))
	if field == nil || field.Message() == nil {
		return nil
	}
	payload := m.Get(field).Message()
	fd := payload.Descriptor().Fields().ByName(name)
	if fd == nil || fd.Message() == nil || !payload.Has(fd) {
		return nil
	}
	return payload.Get(fd).Message().Interface()
}

// Subject is where the event is published.
func Subject(e *eventsv1.Event) (string, error) {
	name := Name(e)
	domain, event, ok := strings.Cut(name, ".")
	if !ok {
		return "", fmt.Errorf("event %s has no payload", e.GetId())
	}
	district := token(e.GetDistrictId())
	switch domain {
	case DomainDispatch:
		return fmt.Sprintf("dispatch.v1.%s.%s.%s", event, district, token(e.GetDepartment())), nil
	case DomainWhistle, DomainSLA, DomainFeedback, DomainReport, DomainAdmin:
		return fmt.Sprintf("%s.v1.%s.%s", domain, event, district), nil
	default:
		return "", fmt.Errorf("event %s: unknown domain %q", e.GetId(), domain)
	}
}

// SubjectFor is the subject pattern of one event name across all districts
// and departments, e.g. SubjectFor("dispatch.requested") = "dispatch.v1.requested.>".
func SubjectFor(name string) string {
	domain, event, _ := strings.Cut(name, ".")
	return domain + ".v1." + event + ".>"
}

// SubjectsFor is SubjectFor of each name, in order: the subjects of a durable
// consumer of those events.
func SubjectsFor(names ...string) []string {
	out := make([]string, len(names))
	for i, name := range names {
		out[i] = SubjectFor(name)
	}
	return out
}

// token keeps a subject token valid even for a missing value.
func token(s string) string {
	if s == "" {
		return "_"
	}
	return strings.NewReplacer(".", "_", " ", "_", "*", "_", ">", "_").Replace(s)
}

// New starts an event with a fresh id, the time and the actor; the caller sets
// the scope fields and the payload.
func New(at time.Time, actor *typesv1.Actor) *eventsv1.Event {
	return &eventsv1.Event{
		Id:         uuid.Must(uuid.NewV7()).String(),
		OccurredAt: timestamppb.New(at),
		Actor:      actor,
	}
}

// Requests are the dispatch requests an event carries, each with the
// department and dispatch id it is for: the departments of routing's
// decisions (whistle.routed, .rerouted, .arbitrated, .department_added,
// .redispatched) that come with a request, or a dispatch.requested of old,
// whose envelope names the department and the dispatch.
func Requests(e *eventsv1.Event) []*eventsv1.RoutedDepartment {
	var routed []*eventsv1.RoutedDepartment
	switch p := e.GetPayload().(type) {
	case *eventsv1.Event_WhistleRouted:
		routed = p.WhistleRouted.GetDepartments()
	case *eventsv1.Event_WhistleRedispatched:
		routed = p.WhistleRedispatched.GetDepartments()
	case *eventsv1.Event_WhistleRerouted:
		routed = []*eventsv1.RoutedDepartment{p.WhistleRerouted.GetTo()}
	case *eventsv1.Event_WhistleArbitrated:
		routed = []*eventsv1.RoutedDepartment{p.WhistleArbitrated.GetTo()}
	case *eventsv1.Event_WhistleDepartmentAdded:
		routed = []*eventsv1.RoutedDepartment{p.WhistleDepartmentAdded.GetDepartment()}
	case *eventsv1.Event_DispatchRequested:
		return []*eventsv1.RoutedDepartment{{
			Department: e.GetDepartment(), Role: p.DispatchRequested.GetRole(), DispatchId: e.GetDispatchId(),
			Request: p.DispatchRequested,
		}}
	}
	var out []*eventsv1.RoutedDepartment
	for _, d := range routed {
		if d.GetRequest() != nil {
			out = append(out, d)
		}
	}
	return out
}

// RequestNames are the events that may carry dispatch requests (Requests).
var RequestNames = []string{"whistle.routed", "whistle.rerouted", "whistle.arbitrated", "whistle.department_added",
	"whistle.redispatched", "dispatch.requested"}
