package bus

import (
	"fmt"
	"slices"

	"github.com/chuishao/whistle/proto/events"
)

// A service's NATS user may publish only the events it emits, call only the
// JetStream API of its own durable consumers, and receive replies only on its
// own inbox prefix (see Client.Options). The gateway and the timeline rebuild
// read the stream through ordered consumers, whose names are random, so those
// two may create, read and delete a consumer of any name except the other
// services' durables (a deny list, which NATS applies over the allow list);
// ordered consumers acknowledge nothing, so they get no $JS.ACK subject.

// Service names of the NATS users.
const (
	UserIntake   = "intake"
	UserRouting  = "routing"
	UserResponse = "response"
	UserFeedback = "feedback"
	UserGateway  = "gateway"
)

// ServiceUsers are the users every secured server has, in a stable order.
var ServiceUsers = []string{UserIntake, UserRouting, UserResponse, UserFeedback, UserGateway}

// emits lists the events each service publishes (through its outbox), as
// subject patterns. An event type nobody owns cannot be published at all:
// TestEveryEventHasOnePublisher names it.
var emits = map[string][]string{
	UserIntake: subjectsFor("whistle.raised", "whistle.cancelled", "whistle.closed", "whistle.reopened",
		"whistle.responding", "whistle.resolved", "whistle.duplicate_candidate", "whistle.merged",
		"whistle.duplicate_kept", "whistle.attachment_added", "report.filed", "report.triaged", "report.closed", "report.rated",
		"report.triage_warning", "report.triage_breached", "report.reopened", "report.ticket_breached", "report.ticket_returned"),
	// Routing's decisions carry their dispatch requests; dispatch.requested,
	// which it no longer writes, stays allowed while events written before
	// may still wait in its outbox (docs/decisions.md).
	UserRouting: subjectsFor("whistle.routed", "whistle.unroutable", "whistle.rerouted",
		"whistle.jurisdiction_checked", "whistle.arbitration_requested", "whistle.arbitrated",
		"whistle.department_added", "whistle.location_confirmed", "whistle.redispatched", "dispatch.requested"),
	UserResponse: append(subjectsFor("dispatch.created", "dispatch.acknowledged", "dispatch.arrived",
		"dispatch.resolved", "dispatch.returned", "dispatch.cancelled",
		"dispatch.board_noted", "dispatch.joint_completed"), "sla.v1.>"),
	UserFeedback: {"feedback.v1.>"},
}

// durables are the durable consumers each service runs (their names).
var durables = map[string][]string{
	UserIntake:   {"intake", "intake-reports"},
	UserRouting:  {"routing"},
	UserResponse: {"response"},
	UserFeedback: {"feedback"},
}

// revocationOwner keeps RevokedBucket (it owns the service accounts); every
// user watches it.
const revocationOwner = UserResponse

// ownedBuckets are the key-value buckets a service keeps besides
// RevokedBucket: the gateway's signed-in sessions and grants (its
// signin and grants packages name them).
var ownedBuckets = map[string][]string{UserGateway: {"WHISTLE_SESSIONS", "WHISTLE_GRANTS"}}

// orderedReaders create ordered (ephemeral, randomly named) consumers.
var orderedReaders = []string{UserFeedback, UserGateway}

// Permissions are the subjects a user may publish and subscribe to;
// PublishDeny are refused even where Publish allows them.
type Permissions struct {
	Publish     []string
	PublishDeny []string
	Subscribe   []string
}

// InboxPrefix is the reply subject prefix of a user's connection; only that
// user may subscribe under it.
func InboxPrefix(user string) string { return "_INBOX." + user }

// PermissionsOf are the permissions of a service's user.
func PermissionsOf(user string) (Permissions, error) {
	if !slices.Contains(ServiceUsers, user) {
		return Permissions{}, fmt.Errorf("nats: no such service user %q", user)
	}
	api := func(f string, args ...any) string { return "$JS.API." + fmt.Sprintf(f, args...) }
	var pub []string
	pub = append(pub, emits[user]...)
	pub = append(pub, api("STREAM.INFO.%s", StreamName))
	// every service audits its admin actions (platform/service/audit.go;
	// the gateway its grants, services/gateway/internal/grants)
	pub = append(pub, AdminSubject(user))
	if user != UserGateway {
		// every backend declares the stream at start-up
		pub = append(pub, api("STREAM.CREATE.%s", StreamName), api("STREAM.UPDATE.%s", StreamName))
	}
	for _, d := range durables[user] {
		pub = append(pub, PartitionAPI(d)...)
	}
	for _, c := range durables[user] {
		pub = append(pub, consumerAPI(c)...)
		pub = append(pub, fmt.Sprintf("$JS.ACK.%s.%s.>", StreamName, c))
	}
	var deny []string
	if slices.Contains(orderedReaders, user) {
		pub = append(pub, consumerAPI("*")...)
		pub = append(pub, api("CONSUMER.DELETE.%s.*", StreamName), api("STREAM.MSG.GET.%s", StreamName))
		for _, other := range ServiceUsers {
			if other == user {
				continue
			}
			for _, c := range durables[other] {
				deny = append(deny, consumerAPI(c)...)
				deny = append(deny, api("CONSUMER.DELETE.%s.%s", StreamName, c), fmt.Sprintf("$JS.ACK.%s.%s.>", StreamName, c))
			}
		}
	}
	kvStream := "KV_" + RevokedBucket
	pub = append(pub, api("STREAM.INFO.%s", kvStream), api("CONSUMER.CREATE.%s", kvStream),
		api("CONSUMER.CREATE.%s.>", kvStream), api("CONSUMER.DELETE.%s.>", kvStream), "$JS.FC."+kvStream+".>")
	if user == revocationOwner {
		pub = append(pub, "$KV."+RevokedBucket+".>", api("STREAM.CREATE.%s", kvStream), api("STREAM.UPDATE.%s", kvStream),
			"$JS.API.INFO") // declaring a bucket reads the account's limits first
	}
	for i, b := range ownedBuckets[user] {
		if i == 0 {
			pub = append(pub, "$JS.API.INFO") // declaring a bucket reads the account's limits first
		}
		pub = append(pub, bucketOwnerAPI(b)...)
	}
	return Permissions{Publish: pub, PublishDeny: deny, Subscribe: []string{InboxPrefix(user) + ".>"}}, nil
}

// bucketOwnerAPI are the subjects that declare, read, write and watch the
// key-value bucket b.
func bucketOwnerAPI(b string) []string {
	api, stream := "$JS.API.", "KV_"+b
	return []string{"$KV." + b + ".>", api + "STREAM.CREATE." + stream, api + "STREAM.UPDATE." + stream,
		api + "STREAM.INFO." + stream, api + "STREAM.MSG.GET." + stream, api + "DIRECT.GET." + stream + ".>",
		api + "CONSUMER.CREATE." + stream, api + "CONSUMER.CREATE." + stream + ".>", api + "CONSUMER.DELETE." + stream + ".>",
		"$JS.FC." + stream + ".>"}
}

// consumerAPI are the JetStream API subjects that create, inspect and pull
// from the event stream's consumer c (a name or "*").
func consumerAPI(c string) []string {
	api := "$JS.API.CONSUMER."
	return []string{api + "CREATE." + StreamName + "." + c, api + "CREATE." + StreamName + "." + c + ".>",
		api + "INFO." + StreamName + "." + c, api + "MSG.NEXT." + StreamName + "." + c}
}

func subjectsFor(names ...string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = events.SubjectFor(n)
	}
	return out
}

// AdminSubject is where a service's audit events (admin.<service>) go.
func AdminSubject(service string) string { return events.SubjectFor("admin." + service) }
