package bus

import (
	"fmt"

	"github.com/chuishao/whistle/proto/events"
	"github.com/chuishao/whistle/proto/topology"
)

// A service's NATS user may publish only the events it emits, call only the
// JetStream API of its own durable consumers, and receive replies only on its
// own inbox prefix (see Client.Options). A service that reads the stream
// through ordered consumers, whose names are random, may create, read and
// delete a consumer of any name except the other services' durables (a deny
// list, which NATS applies over the allow list); ordered consumers
// acknowledge nothing, so they get no $JS.ACK subject. What each service
// emits, consumes and keeps is declared in proto/topology; the permissions
// are derived from it here.

// ServiceUsers are the users every secured server has, in a stable order.
var ServiceUsers = topology.Names()

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
	svc, err := topology.Of(user)
	if err != nil {
		return Permissions{}, fmt.Errorf("nats: no such service user %q", user)
	}
	api := func(f string, args ...any) string { return "$JS.API." + fmt.Sprintf(f, args...) }
	var pub []string
	pub = append(pub, svc.Emits...)
	pub = append(pub, api("STREAM.INFO.%s", StreamName))
	// every service audits its admin actions (platform/service/audit.go, or
	// on its own)
	pub = append(pub, AdminSubject(user))
	if svc.DeclaresStream {
		pub = append(pub, api("STREAM.CREATE.%s", StreamName), api("STREAM.UPDATE.%s", StreamName))
	}
	for _, d := range svc.Durables {
		pub = append(pub, PartitionAPI(d)...)
	}
	for _, c := range svc.Durables {
		pub = append(pub, consumerAPI(c)...)
		pub = append(pub, fmt.Sprintf("$JS.ACK.%s.%s.>", StreamName, c))
	}
	var deny []string
	if svc.ReadsOrdered {
		pub = append(pub, consumerAPI("*")...)
		pub = append(pub, api("CONSUMER.DELETE.%s.*", StreamName), api("STREAM.MSG.GET.%s", StreamName))
		for _, other := range topology.Services {
			if other.Name == user {
				continue
			}
			for _, c := range other.Durables {
				deny = append(deny, consumerAPI(c)...)
				deny = append(deny, api("CONSUMER.DELETE.%s.%s", StreamName, c), fmt.Sprintf("$JS.ACK.%s.%s.>", StreamName, c))
			}
		}
	}
	kvStream := "KV_" + RevokedBucket
	pub = append(pub, api("STREAM.INFO.%s", kvStream), api("CONSUMER.CREATE.%s", kvStream),
		api("CONSUMER.CREATE.%s.>", kvStream), api("CONSUMER.DELETE.%s.>", kvStream), "$JS.FC."+kvStream+".>")
	if svc.KeepsRevocations {
		pub = append(pub, "$KV."+RevokedBucket+".>", api("STREAM.CREATE.%s", kvStream), api("STREAM.UPDATE.%s", kvStream),
			"$JS.API.INFO") // declaring a bucket reads the account's limits first
	}
	for i, b := range svc.Buckets {
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

// AdminSubject is where a service's audit events (admin.<service>) go.
func AdminSubject(service string) string { return events.SubjectFor("admin." + service) }
