// Package stream serves GET /v1/stream: the event stream of JetStream as
// Server-Sent Events, cut down to what the caller's token may see. Each SSE
// event's id is its JetStream stream sequence, so a client that reconnects
// with Last-Event-ID resumes exactly after the last event it received.
package stream

import (
	"errors"
	"slices"
	"strings"

	"github.com/chuishao/whistle/platform/auth"
	"github.com/chuishao/whistle/platform/drill"
	"github.com/chuishao/whistle/proto/events"
	eventsv1 "github.com/chuishao/whistle/proto/gen/whistle/events/v1"
)

// ErrRoleNotAllowed is returned for roles that have no stream (admin).
var ErrRoleNotAllowed = errors.New("the live stream is for street, grid, desk and supervisor tokens")

// Scope decides which events one caller sees. It narrows the JetStream
// subjects as far as subjects allow (district, department) and checks the
// rest per event: a street's own whistles, a desk's own whistles.
//
// A desk sees its department's dispatch and SLA events in its district and
// the whistle events of the whistles its department was dispatched to, with
// the other departments' dispatch and SLA events of those (the joint board); it
// learns those from its queue at connect time (Seed) and from routing events
// as they pass. A street sees everything of its own whistles and, read only,
// the whistle events of the whistles a map check informed it of as a
// neighbour (within the buffer of its boundary, possibly in another
// district); it learns those from its list at connect time (Seed) and from
// whistle.jurisdiction_checked events as they pass. Report events (issue
// 13) go to the report's street, to the grid worker of its micro-grid and to
// the district's supervisors; a desk sees none. A Scope is used by one
// connection and is not safe for concurrent use.
type Scope struct {
	id auth.Identity
	// follows are the whistles followed beyond the caller's own: a desk's
	// department has a dispatch for them, a street was informed of them.
	follows map[string]bool
}

// NewScope returns the scope of a verified identity.
func NewScope(id auth.Identity) (*Scope, error) {
	switch id.Role {
	case auth.RoleStreet, auth.RoleGrid, auth.RoleDesk, auth.RoleSupervisor:
	default:
		return nil, ErrRoleNotAllowed
	}
	return &Scope{id: id, follows: map[string]bool{}}, nil
}

// Seed records whistles the caller already follows: those the desk's
// department has dispatches for, or those the street was informed of.
func (s *Scope) Seed(whistleIDs ...string) {
	for _, w := range whistleIDs {
		s.follows[w] = true
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
			// Every department's dispatch events of the district: the joint
			// board shows a participating desk the other departments' work on
			// its whistles. deskAllows keeps only those.
			events.DomainDispatch + ".v1.*." + d + ".*",
			events.DomainSLA + ".v1.*." + d,
		}
	case s.id.Role == auth.RoleStreet:
		return []string{
			// Every district's whistle events: a neighbour may lie across a
			// district boundary. Allows keeps only the street's own and those
			// it was informed of.
			events.DomainWhistle + ".v1.*.*",
			events.DomainDispatch + ".v1.*." + d + ".*",
			events.DomainSLA + ".v1.*." + d,
			events.DomainReport + ".v1.*." + d,
		}
	case s.id.Role == auth.RoleGrid:
		return []string{events.DomainReport + ".v1.*." + d}
	default:
		return []string{
			events.DomainWhistle + ".v1.*." + d,
			events.DomainDispatch + ".v1.*." + d + ".*",
			events.DomainSLA + ".v1.*." + d,
			events.DomainReport + ".v1.*." + d,
		}
	}
}

// Allows reports whether the caller may see ev, and remembers the whistles
// routing gives a desk's department or a map check informs a street of.
func (s *Scope) Allows(ev *eventsv1.Event) bool {
	id := s.id
	if id.Role == auth.RoleStreet {
		// A street did not raise a drill's replayed whistles (docs/drills.md).
		return !drill.Is(ev.GetWhistleId()) && s.streetAllows(ev)
	}
	if id.DistrictID != "" && ev.GetDistrictId() != id.DistrictID {
		return false // subjects already filter; this guards a mis-published event
	}
	switch id.Role {
	case auth.RoleSupervisor:
		return true
	case auth.RoleDesk:
		return s.deskAllows(ev)
	case auth.RoleGrid:
		return s.gridAllows(ev)
	}
	return false
}

// gridAllows: a grid worker sees the reports of its own micro-grid and those
// of its street that carry none (a resident's, a ticket), nothing of whistles
// or departments — intake's scope for reading reports.
func (s *Scope) gridAllows(ev *eventsv1.Event) bool {
	r := events.Report(ev)
	return r != nil && ev.GetStreetId() == s.id.StreetID && (r.GetGridId() == "" || r.GetGridId() == s.id.GridID)
}

// nearBoundary is the map check result that informs the neighbouring streets
// (routing's jurisdiction.NearBoundary; intake informs them on it).
const nearBoundary = "near_boundary"

func (s *Scope) streetAllows(ev *eventsv1.Event) bool {
	if c, ok := ev.GetPayload().(*eventsv1.Event_WhistleJurisdictionChecked); ok &&
		c.WhistleJurisdictionChecked.GetResult() == nearBoundary &&
		slices.Contains(c.WhistleJurisdictionChecked.GetNeighbourStreetIds(), s.id.StreetID) {
		s.follows[ev.GetWhistleId()] = true
	}
	if ev.GetDistrictId() == s.id.DistrictID && ev.GetStreetId() == s.id.StreetID {
		// The joint board's notes are the departments' talk.
		return !boardOnly(ev)
	}
	// A neighbour reads the whistle, not its departments' work.
	domain, _, _ := strings.Cut(events.Name(ev), ".")
	return domain == events.DomainWhistle && s.follows[ev.GetWhistleId()]
}

func (s *Scope) deskAllows(ev *eventsv1.Event) bool {
	dept := s.id.Department
	switch p := ev.GetPayload().(type) {
	case *eventsv1.Event_WhistleRouted:
		for _, d := range p.WhistleRouted.GetDepartments() {
			if d.GetDepartment() == dept {
				s.follows[ev.GetWhistleId()] = true
			}
		}
	case *eventsv1.Event_WhistleRerouted:
		if p.WhistleRerouted.GetTo().GetDepartment() == dept {
			s.follows[ev.GetWhistleId()] = true
		}
		if p.WhistleRerouted.GetFromDepartment() == dept {
			return true // its own return, even if it has no other part in the whistle
		}
	}
	// A decision that asks the desk for a dispatch (an arbitration, an added
	// department, a second round) is where its part in the whistle starts.
	for _, r := range events.Requests(ev) {
		if r.GetDepartment() == dept {
			s.follows[ev.GetWhistleId()] = true
		}
	}
	switch domain, _, _ := strings.Cut(events.Name(ev), "."); domain {
	case events.DomainDispatch, events.DomainSLA:
		if ev.GetDepartment() != dept {
			// Another department's work on a whistle the desk takes part
			// in: its joint board. Nothing of other whistles.
			return s.follows[ev.GetWhistleId()]
		}
		s.follows[ev.GetWhistleId()] = true
		return true
	}
	return s.follows[ev.GetWhistleId()]
}

// boardOnly reports whether ev is a joint board note, which only the
// whistle's participating desks and supervisors see.
func boardOnly(ev *eventsv1.Event) bool {
	_, ok := ev.GetPayload().(*eventsv1.Event_DispatchBoardNoted)
	return ok
}
