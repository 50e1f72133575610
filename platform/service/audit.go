package service

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log/slog"
	"strings"

	"github.com/jackc/pgx/v5/pgxpool"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/dynamicpb"

	"github.com/chuishao/whistle/platform/auth"
	"github.com/chuishao/whistle/platform/bus/outbox"
	"github.com/chuishao/whistle/platform/clock"
	"github.com/chuishao/whistle/platform/metrics"
	"github.com/chuishao/whistle/platform/postgres"
	"github.com/chuishao/whistle/proto/events"
	eventsv1 "github.com/chuishao/whistle/proto/gen/whistle/events/v1"
	typesv1 "github.com/chuishao/whistle/proto/gen/whistle/types/v1"
)

// Audited is a method a service declares audited (Runtime.Audit) and the
// field that names the object a call of it creates or changes.
type Audited struct {
	// Method is the full gRPC name, /pkg.Service/Method (the generated
	// *_FullMethodName constant).
	Method string
	// Object is the field the record's object id is read from: a field of
	// the answer, or of the request when the answer has it unset; a dotted
	// path reaches into nested messages ("account.id"), and a key of several
	// fields joins their values with "/" ("district_id/category"). Empty for
	// an action on no one object (a rebuild of everything).
	Object string
}

// Audit declares methods that change the system's configuration or decide
// for others: each successful call of one is audited as an admin.<service>
// event (auditUnary). Each service declares its own in its app package,
// before Run; Run refuses a declared method the server does not serve, or
// whose Object is a field of neither its request nor its answer, so a
// renamed method or field cannot silently drop out of the audit.
func (rt *Runtime) Audit(methods ...Audited) {
	for _, m := range methods {
		rt.audited[m.Method] = m.Object
	}
}

// checkAudited fails for a method declared audited that the gRPC server does
// not serve, or whose object is named by a field its messages do not have.
func (rt *Runtime) checkAudited() error {
	served := map[string]bool{}
	for svc, info := range rt.GRPC.GetServiceInfo() {
		for _, m := range info.Methods {
			served["/"+svc+"/"+m.Name] = true
		}
	}
	for m, object := range rt.audited {
		if !served[m] {
			return fmt.Errorf("service: %s is declared audited but not served", m)
		}
		if object == "" {
			continue
		}
		md, err := methodDescriptor(m)
		if err != nil {
			return fmt.Errorf("service: %s is declared audited: %w", m, err)
		}
		if !hasObject(md.Output(), object) && !hasObject(md.Input(), object) {
			return fmt.Errorf("service: %s is declared audited by its %q, a field of neither %s nor %s",
				m, object, md.Input().FullName(), md.Output().FullName())
		}
	}
	return nil
}

// methodDescriptor is the descriptor of the gRPC method named
// /pkg.Service/Method, from the generated code's registry.
func methodDescriptor(fullMethod string) (protoreflect.MethodDescriptor, error) {
	svc, name, ok := strings.Cut(strings.TrimPrefix(fullMethod, "/"), "/")
	if !ok {
		return nil, fmt.Errorf("%q is not /pkg.Service/Method", fullMethod)
	}
	d, err := protoregistry.GlobalFiles.FindDescriptorByName(protoreflect.FullName(svc))
	if err != nil {
		return nil, err
	}
	sd, ok := d.(protoreflect.ServiceDescriptor)
	if !ok {
		return nil, fmt.Errorf("%s is not a service", svc)
	}
	md := sd.Methods().ByName(protoreflect.Name(name))
	if md == nil {
		return nil, fmt.Errorf("%s has no method %s", svc, name)
	}
	return md, nil
}

// AuditChain is the timeline an admin action of a caller in district (""
// for the city) is chained into: the timeline keeps one chain per district.
func AuditChain(district string) string {
	if district == "" {
		return "audit-city"
	}
	return "audit-" + district
}

// redacted replaces the value of every secret-looking string field.
const redacted = "[redacted]"

// auditUnary records every successful call of an audited method as an admin.<service>
// event in the outbox. It opens a transaction for the action and hands it to
// the handler (postgres.WithTx): an action whose use case joins it
// (postgres.InTx) commits with its audit record or not at all — if the record
// cannot be written the action is refused with Unavailable — and what it left
// for after its commit (postgres.AfterTx) runs once the transaction ended,
// before the answer goes back.
//
// An audited action that answers OK without having joined it (it ran in a
// transaction of its own, or wrote nothing) is a fault of the service: its
// record is written alone, after it, and nothing ties the two. It is logged
// as an error with the method and the caller and counted
// (metrics.AuditedOutsideTx); with strict (tests) the call fails with
// Internal, so the test that calls it fails.
func auditUnary(service string, audited map[string]string, strict bool, pool *pgxpool.Pool, clk clock.Clock, log *slog.Logger) grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		object, ok := audited[info.FullMethod]
		if !ok {
			return handler(ctx, req)
		}
		tx, err := pool.Begin(ctx)
		if err != nil {
			return nil, status.Error(codes.Unavailable, "the action was not applied: the database is unavailable")
		}
		actx := postgres.WithTx(ctx, tx)
		defer func() {
			_ = tx.Rollback(context.WithoutCancel(ctx)) // a no-op once committed
			postgres.EndTx(actx)                        // what the action left for after its commit
		}()
		resp, err := handler(actx, req)
		if err != nil {
			return resp, err
		}
		ev, aerr := adminEvent(ctx, clk, service, info.FullMethod, object, req, resp)
		if aerr == nil {
			aerr = outbox.Add(ctx, tx, ev)
		}
		if aerr == nil {
			aerr = tx.Commit(ctx)
		}
		joined := postgres.Joined(actx)
		switch {
		case joined && aerr == nil:
			return resp, nil
		case joined:
			log.ErrorContext(ctx, "admin action refused: its audit record could not be written", "method", info.FullMethod, "err", aerr)
			return nil, status.Error(codes.Unavailable, "the action was not applied: its audit record could not be written")
		}
		id, _ := auth.FromContext(ctx)
		metrics.AuditedOutsideTx(ctx, service, info.FullMethod)
		if aerr != nil {
			log.ErrorContext(ctx, "AUDIT RECORD LOST for an admin action that ran outside its audit transaction",
				"method", info.FullMethod, "subject", id.Subject, "err", aerr)
		} else {
			log.ErrorContext(ctx, "admin action ran outside its audit transaction: its record was written after it, alone",
				"method", info.FullMethod, "subject", id.Subject)
		}
		if strict {
			return nil, status.Errorf(codes.Internal, "%s answered without running in its audit transaction (postgres.InTx with the request's context)", info.FullMethod)
		}
		return resp, nil
	}
}

func adminEvent(ctx context.Context, clk clock.Clock, service, method, object string, req, resp any) (*eventsv1.Event, error) {
	id, _ := auth.FromContext(ctx)
	ev := events.New(clk.Now(), &typesv1.Actor{Role: id.Role, Id: id.Subject})
	ev.DistrictId = id.DistrictID
	ev.WhistleId = AuditChain(id.DistrictID)
	ev.Department = id.Department
	action := &eventsv1.AdminAction{Method: method}
	if m, ok := req.(proto.Message); ok {
		clean := proto.Clone(m)
		redact(clean.ProtoReflect())
		data, err := protojson.MarshalOptions{UseProtoNames: true}.Marshal(clean)
		if err != nil {
			return nil, fmt.Errorf("audit %s: %w", method, err)
		}
		action.RequestJson = string(data)
	}
	for _, m := range []any{resp, req} {
		if m, ok := m.(proto.Message); ok && action.ObjectId == "" {
			action.ObjectId = objectOf(m.ProtoReflect(), object)
		}
	}
	msg := ev.ProtoReflect()
	field := msg.Descriptor().Fields().ByName(protoreflect.Name("admin_" + service))
	if field == nil || field.ContainingOneof() == nil {
		return nil, fmt.Errorf("audit %s: no admin_%s event in events.proto", method, service)
	}
	msg.Set(field, protoreflect.ValueOfMessage(action.ProtoReflect()))
	return ev, nil
}

// objectOf is the value of the fields object names in m (Audited.Object),
// joined with "/": "" when m lacks one of them or has none of them set.
func objectOf(m protoreflect.Message, object string) string {
	if object == "" {
		return ""
	}
	paths := strings.Split(object, "/")
	values := make([]string, len(paths))
	set := false
	for i, path := range paths {
		v, ok := valueAt(m, path)
		if !ok {
			return ""
		}
		values[i], set = v, set || v != ""
	}
	if !set {
		return ""
	}
	return strings.Join(values, "/")
}

// valueAt is the string or number at path (dotted field names) in m, ""
// when a message on the way is unset; false when m has no such field.
func valueAt(m protoreflect.Message, path string) (string, bool) {
	names := strings.Split(path, ".")
	for i, name := range names {
		f := m.Descriptor().Fields().ByName(protoreflect.Name(name))
		if f == nil || f.IsList() || f.IsMap() {
			return "", false
		}
		if i < len(names)-1 {
			if f.Kind() != protoreflect.MessageKind {
				return "", false
			}
			m = m.Get(f).Message() // an unset message reads as empty
			continue
		}
		if !objectKind(f.Kind()) {
			return "", false
		}
		if !m.Has(f) {
			return "", true
		}
		return m.Get(f).String(), true
	}
	return "", false
}

// hasObject tells whether messages of md have every field object names.
func hasObject(md protoreflect.MessageDescriptor, object string) bool {
	for _, path := range strings.Split(object, "/") {
		if _, ok := valueAt(dynamicpb.NewMessage(md), path); !ok {
			return false
		}
	}
	return true
}

// objectKind tells whether a field of kind k can name an object.
func objectKind(k protoreflect.Kind) bool {
	switch k {
	case protoreflect.StringKind, protoreflect.Int64Kind, protoreflect.Int32Kind, protoreflect.Uint64Kind, protoreflect.Uint32Kind:
		return true
	}
	return false
}

// redact blanks secret-looking string fields of m and of its nested messages.
func redact(m protoreflect.Message) {
	m.Range(func(f protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		switch {
		case f.Kind() == protoreflect.StringKind && !f.IsList() && !f.IsMap() && secretName(string(f.Name())):
			m.Set(f, protoreflect.ValueOfString(redacted))
		case f.Kind() == protoreflect.StringKind && !f.IsList() && !f.IsMap() && len(v.String()) > maxAuditedText:
			m.Set(f, protoreflect.ValueOfString(digest(v.String())))
		case f.Kind() == protoreflect.MessageKind && f.IsList():
			for i := range v.List().Len() {
				redact(v.List().Get(i).Message())
			}
		case f.Kind() == protoreflect.MessageKind && !f.IsMap():
			redact(v.Message())
		}
		return true
	})
}

// maxAuditedText is the longest string an audit record carries as it is. A
// longer one is a document (a boundary file): the record keeps its size and
// SHA-256, which identify it, and stays small enough for the event bus.
const maxAuditedText = 4 << 10

func digest(s string) string {
	sum := sha256.Sum256([]byte(s))
	return fmt.Sprintf("[%d bytes, sha256 %s]", len(s), hex.EncodeToString(sum[:]))
}

func secretName(name string) bool {
	// A group robot's URL carries its key (robot_url).
	for _, s := range []string{"secret", "password", "token", "private_key", "signing_key", "credential", "robot_url"} {
		if strings.Contains(name, s) {
			return true
		}
	}
	return false
}
