// Package topology declares who is on the event stream: each service's NATS
// user, the events it publishes, the durable consumers it runs and the
// key-value buckets it keeps. It sits beside proto/events because it is part
// of the contract between services, as the events are. platform/bus turns it
// into NATS users and permissions (the embedded server, the compose file and
// the Helm chart), so the platform itself names no service.
package topology

import (
	"fmt"

	"github.com/chuishao/whistle/proto/events"
)

// Names of the services, which are also their NATS users, their database
// schemas and the admin.<name> domain of their audit events.
const (
	Intake    = "intake"
	Discovery = "discovery"
	Routing   = "routing"
	Response  = "response"
	Feedback  = "feedback"
	Gateway   = "gateway"
)

// A Service is one service as the event stream sees it.
type Service struct {
	Name string
	// Emits are the subject patterns of the events it publishes (through its
	// outbox). Every event type has exactly one publisher
	// (platform/bus TestEveryEventHasOnePublisher).
	Emits []string
	// Durables are the names of its durable consumers.
	Durables []string
	// DeclaresStream: it creates or updates the event stream at start-up
	// (every backend; the edge only reads).
	DeclaresStream bool
	// ReadsOrdered: it reads the stream through ordered consumers, whose
	// names are random (a timeline rebuild, the edge's live streams).
	ReadsOrdered bool
	// KeepsRevocations: it writes the revoked service accounts' bucket
	// (it owns the service accounts); every service watches it.
	KeepsRevocations bool
	// Buckets are the key-value buckets it keeps besides the revocations.
	Buckets []string
}

// Services are every service on the stream, in a stable order.
var Services = []Service{
	{
		Name: Intake,
		Emits: subjectsFor("whistle.raised", "whistle.cancelled", "whistle.closed", "whistle.reopened",
			"whistle.responding", "whistle.resolved", "whistle.duplicate_candidate", "whistle.merged",
			"whistle.duplicate_kept", "whistle.attachment_added"),
		Durables:       []string{"intake"},
		DeclaresStream: true,
	},
	{
		// Reports, their triage and follow-ups; it keeps its facts of
		// whistles from the whistle.* and dispatch.* events.
		Name: Discovery,
		Emits: subjectsFor("report.filed", "report.triaged", "report.closed", "report.rated",
			"report.triage_warning", "report.triage_breached", "report.reopened", "report.ticket_breached", "report.ticket_returned"),
		Durables:       []string{"discovery"},
		DeclaresStream: true,
	},
	{
		Name: Routing,
		// Routing's decisions carry their dispatch requests; dispatch.requested,
		// which it no longer writes, stays allowed while events written before
		// may still wait in its outbox (docs/decisions.md).
		Emits: subjectsFor("whistle.routed", "whistle.unroutable", "whistle.rerouted",
			"whistle.jurisdiction_checked", "whistle.arbitration_requested", "whistle.arbitrated",
			"whistle.department_added", "whistle.location_confirmed", "whistle.redispatched", "dispatch.requested"),
		Durables:       []string{"routing"},
		DeclaresStream: true,
	},
	{
		Name: Response,
		Emits: append(subjectsFor("dispatch.created", "dispatch.acknowledged", "dispatch.arrived",
			"dispatch.resolved", "dispatch.returned", "dispatch.cancelled",
			"dispatch.board_noted", "dispatch.joint_completed", "dispatch.eta_set"), "sla.v1.>"),
		Durables:         []string{"response"},
		DeclaresStream:   true,
		KeepsRevocations: true,
	},
	{
		Name:           Feedback,
		Emits:          []string{"feedback.v1.>"},
		Durables:       []string{"feedback"},
		DeclaresStream: true,
		ReadsOrdered:   true,
	},
	{
		// The signed-in sessions and the people's grants (its signin and
		// grants packages name the buckets).
		Name:         Gateway,
		ReadsOrdered: true,
		Buckets:      []string{"WHISTLE_SESSIONS", "WHISTLE_GRANTS"},
	},
}

// Names are the services' names, in the order of Services.
func Names() []string {
	out := make([]string, len(Services))
	for i, s := range Services {
		out[i] = s.Name
	}
	return out
}

// Of is the service called name.
func Of(name string) (Service, error) {
	for _, s := range Services {
		if s.Name == name {
			return s, nil
		}
	}
	return Service{}, fmt.Errorf("topology: no service %q", name)
}

func subjectsFor(names ...string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = events.SubjectFor(n)
	}
	return out
}
