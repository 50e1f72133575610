// Package stream serves GET /v1/stream: the event stream of JetStream as
// Server-Sent Events, cut down to what the caller's token may see. Each SSE
// event's id is its JetStream stream sequence, so a client that reconnects
// with Last-Event-ID resumes exactly after the last event it received.
package stream

import (
	"errors"
	"strings"

	"github.com/chuishao/whistle/platform/auth"
	"github.com/chuishao/whistle/proto/events"
	eventsv1 "github.com/chuishao/whistle/proto/gen/whistle/events/v1"
)

// ErrRoleNotAllowed is returned for roles that have no stream (admin).
var ErrRoleNotAllowed = errors.New("the live stream is for street, desk and supervisor tokens")

// Scope decides which events one caller sees. It narrows the JetStream
// subjects as far as subjects allow (district, department) and checks the
// rest per event: a street's own whistles, a desk's own whistles.
//
// A desk sees its department's dispatch and SLA events in its district and
// the whistle events of the whistles its department was dispatched to; it
// learns those from its queue at connect time (Seed) and from routing events
// as they pass. A Scope is used by one connection and is not safe for
// concurrent use.
type Scope struct {
	id auth.Identity
	// deskWhistles are the whistles a desk's department has a dispatch for.
	deskWhistles map[string]bool
}

// NewScope returns the scope of a verified identity.
func NewScope(id auth.Identity) (*Scope, error) {
	switch id.Role {
	case auth.RoleStreet, auth.RoleDesk, auth.RoleSupervisor:
	default:
		return nil, ErrRoleNotAllowed
	}
	return &Scope{id: id, deskWhistles: map[string]bool{}}, nil
}

// Seed records whistles the desk's department already has dispatches for.
func (s *Scope) Seed(whistleIDs ...string) {
	for _, w := range whistleIDs {
		s.deskWhistles[w] = true
	}
}

// Subjects are the JetStream filter subjects of the scope; nil means the
// whole stream (a city-wide supervisor).
func (s *Scope) Subjects() []string {
	d := s.id.DistrictID
	switch {
	case s.id.Role == auth.RoleSupervisor && d == "":
		return nil
	case s.id.Role == auth.RoleDesk:
		return []string{
			events.DomainWhistle + ".v1.*." + d,
			events.DomainDispatch + ".v1.*." + d + "." + s.id.Department,
			events.DomainSLA + ".v1.*." + d,
		}
	default:
		return []string{
			events.DomainWhistle + ".v1.*." + d,
			events.DomainDispatch + ".v1.*." + d + ".*",
			events.DomainSLA + ".v1.*." + d,
		}
	}
}

// Allows reports whether the caller may see ev, and for a desk remembers the
// whistles routing gives its department.
func (s *Scope) Allows(ev *eventsv1.Event) bool {
	id := s.id
	if id.DistrictID != "" && ev.GetDistrictId() != id.DistrictID {
		return false // subjects already filter; this guards a mis-published event
	}
	switch id.Role {
	case auth.RoleSupervisor:
		return true
	case auth.RoleStreet:
		return ev.GetStreetId() == id.StreetID
	case auth.RoleDesk:
		return s.deskAllows(ev)
	}
	return false
}

func (s *Scope) deskAllows(ev *eventsv1.Event) bool {
	dept := s.id.Department
	switch p := ev.GetPayload().(type) {
	case *eventsv1.Event_WhistleRouted:
		for _, d := range p.WhistleRouted.GetDepartments() {
			if d.GetDepartment() == dept {
				s.deskWhistles[ev.GetWhistleId()] = true
			}
		}
	case *eventsv1.Event_WhistleRerouted:
		if p.WhistleRerouted.GetTo().GetDepartment() == dept {
			s.deskWhistles[ev.GetWhistleId()] = true
		}
		if p.WhistleRerouted.GetFromDepartment() == dept {
			return true // its own return, even if it has no other part in the whistle
		}
	}
	switch domain, _, _ := strings.Cut(events.Name(ev), "."); domain {
	case events.DomainDispatch, events.DomainSLA:
		if ev.GetDepartment() != dept {
			return false
		}
		s.deskWhistles[ev.GetWhistleId()] = true
		return true
	}
	return s.deskWhistles[ev.GetWhistleId()]
}
