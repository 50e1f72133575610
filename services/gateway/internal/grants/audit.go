package grants

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/proto"

	"github.com/chuishao/whistle/platform/auth"
	"github.com/chuishao/whistle/platform/service"
	"github.com/chuishao/whistle/proto/events"
	eventsv1 "github.com/chuishao/whistle/proto/gen/whistle/events/v1"
	typesv1 "github.com/chuishao/whistle/proto/gen/whistle/types/v1"
)

// Methods of the audit records: the REST routes of a grant and a revocation.
const (
	MethodGrant  = "PUT " + Path + "/{subject}"
	MethodRevoke = "DELETE " + Path + "/{subject}"
)

// Auditor records an admin action; the grants API calls it for every grant
// and revocation.
type Auditor interface {
	Audit(ctx context.Context, ev *eventsv1.Event) error
}

// JetStreamAuditor publishes audit events straight to the event stream
// (the gateway has no outbox), as admin.gateway events that the feedback
// service chains like every service's admin actions. The event id is the
// message id, so a retried publish is stored once.
type JetStreamAuditor struct{ JS jetstream.JetStream }

// Audit implements Auditor.
func (a JetStreamAuditor) Audit(ctx context.Context, ev *eventsv1.Event) error {
	subject, err := events.Subject(ev)
	if err != nil {
		return err
	}
	data, err := proto.Marshal(ev)
	if err != nil {
		return fmt.Errorf("encode audit event: %w", err)
	}
	msg := &nats.Msg{Subject: subject, Data: data, Header: nats.Header{"Whistle-Event": {events.Name(ev)}}}
	if _, err := a.JS.PublishMsg(ctx, msg, jetstream.WithMsgID(ev.GetId())); err != nil {
		return fmt.Errorf("publish audit event: %w", err)
	}
	return nil
}

// auditEvent is the admin.gateway record of admin changing g at at: the
// actor, the route, the person (object id) and the grant as written.
func auditEvent(at time.Time, admin auth.Identity, method string, g Grant) (*eventsv1.Event, error) {
	body, err := json.Marshal(g)
	if err != nil {
		return nil, fmt.Errorf("encode grant: %w", err)
	}
	ev := events.New(at, &typesv1.Actor{Role: admin.Role, Id: admin.Subject})
	ev.DistrictId = admin.DistrictID
	ev.Department = admin.Department
	ev.WhistleId = service.AuditChain(admin.DistrictID)
	ev.Payload = &eventsv1.Event_AdminGateway{AdminGateway: &eventsv1.AdminAction{
		Method: method, RequestJson: string(body), ObjectId: g.Subject,
	}}
	return ev, nil
}
