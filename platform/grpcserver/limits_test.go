package grpcserver_test

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/dynamicpb"

	"github.com/chuishao/whistle/platform/auth"
	"github.com/chuishao/whistle/platform/clock"
	"github.com/chuishao/whistle/platform/grpcserver"
	"github.com/chuishao/whistle/platform/limits"
	// Every service's API, so the registry holds every request message.
	_ "github.com/chuishao/whistle/proto/gen/whistle/feedback/v1"
	_ "github.com/chuishao/whistle/proto/gen/whistle/intake/v1"
	_ "github.com/chuishao/whistle/proto/gen/whistle/response/v1"
	routingv1 "github.com/chuishao/whistle/proto/gen/whistle/routing/v1"
)

// whistleMethods are the methods of every whistle.* service in the registry.
func whistleMethods(t *testing.T) []protoreflect.MethodDescriptor {
	t.Helper()
	var out []protoreflect.MethodDescriptor
	services := map[string]bool{}
	protoregistry.GlobalFiles.RangeFiles(func(fd protoreflect.FileDescriptor) bool {
		if !strings.HasPrefix(string(fd.Package()), "whistle.") {
			return true
		}
		for i := range fd.Services().Len() {
			sd := fd.Services().Get(i)
			services[string(sd.FullName())] = true
			for j := range sd.Methods().Len() {
				out = append(out, sd.Methods().Get(j))
			}
		}
		return true
	})
	for _, s := range []string{"whistle.intake.v1.IntakeService", "whistle.intake.v1.ReportService",
		"whistle.routing.v1.RoutingService", "whistle.response.v1.DispatchService", "whistle.response.v1.SlaAdminService",
		"whistle.feedback.v1.FeedbackService"} {
		require.True(t, services[s], "service %s is in the registry", s)
	}
	return out
}

// echoServer serves every method in methods through a server built by
// grpcserver.New, with a handler that answers an empty reply: whatever it
// refuses, the server's interceptors refused.
func echoServer(t *testing.T, methods []protoreflect.MethodDescriptor) (grpc.ClientConnInterface, string) {
	t.Helper()
	pub, key, err := ed25519.GenerateKey(nil)
	require.NoError(t, err)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	srv := grpcserver.New(log, auth.NewVerifier(pub), clock.Real())
	descs := map[protoreflect.FullName]*grpc.ServiceDesc{}
	for _, md := range methods {
		svc := md.Parent().(protoreflect.ServiceDescriptor)
		sd, ok := descs[svc.FullName()]
		if !ok {
			sd = &grpc.ServiceDesc{ServiceName: string(svc.FullName()), HandlerType: (*any)(nil)}
			descs[svc.FullName()] = sd
		}
		in, out := md.Input(), md.Output()
		sd.Methods = append(sd.Methods, grpc.MethodDesc{MethodName: string(md.Name()),
			Handler: func(_ any, ctx context.Context, dec func(any) error, icpt grpc.UnaryServerInterceptor) (any, error) {
				req := newMessage(in)
				if err := dec(req); err != nil {
					return nil, err
				}
				reply := func(context.Context, any) (any, error) { return newMessage(out), nil }
				info := &grpc.UnaryServerInfo{FullMethod: fmt.Sprintf("/%s/%s", svc.FullName(), md.Name())}
				return icpt(ctx, req, info, reply)
			}})
	}
	for _, sd := range descs {
		srv.RegisterService(sd, struct{}{})
	}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = grpcserver.Serve(ctx, srv, lis) }()
	conn, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	require.NoError(t, err)
	t.Cleanup(func() { _ = conn.Close(); cancel(); <-done })
	token, err := auth.NewSigner(key).Sign(auth.Identity{Subject: "limits-test", Role: auth.RoleAdmin}, time.Now(), time.Hour)
	require.NoError(t, err)
	return conn, token
}

func newMessage(md protoreflect.MessageDescriptor) proto.Message {
	if mt, err := protoregistry.GlobalTypes.FindMessageByName(md.FullName()); err == nil {
		return mt.New().Interface()
	}
	return dynamicpb.NewMessage(md)
}

// step is one field on the way from a request to the field under test.
type step struct {
	fd   protoreflect.FieldDescriptor
	name string // the field's name in a violation's path, with [0] for a list
}

// leaves calls fn with the path to every string, bytes and repeated field
// reachable from md (a message met again on the way is not entered again).
func leaves(md protoreflect.MessageDescriptor, path []step, seen map[protoreflect.FullName]bool, fn func([]step)) {
	if seen[md.FullName()] {
		return
	}
	seen[md.FullName()] = true
	defer delete(seen, md.FullName())
	for i := range md.Fields().Len() {
		fd := md.Fields().Get(i)
		here := append(append([]step(nil), path...), step{fd: fd, name: string(fd.Name())})
		if fd.IsList() || fd.IsMap() {
			fn(here) // the element count
		}
		if fd.IsList() {
			here[len(here)-1].name += "[0]"
		}
		switch {
		case fd.IsMap():
		case fd.Kind() == protoreflect.MessageKind:
			leaves(fd.Message(), here, seen, fn)
		case fd.Kind() == protoreflect.StringKind || fd.Kind() == protoreflect.BytesKind:
			fn(here)
		}
	}
}

func pathOf(steps []step) string {
	names := make([]string, len(steps))
	for i, s := range steps {
		names[i] = s.name
	}
	return strings.Join(names, ".")
}

// build returns a request of type md with value at the end of path.
func build(md protoreflect.MessageDescriptor, path []step, value func(protoreflect.Message, protoreflect.FieldDescriptor)) proto.Message {
	req := newMessage(md)
	m := req.ProtoReflect()
	for _, s := range path[:len(path)-1] {
		if s.fd.IsList() {
			m = m.Mutable(s.fd).List().AppendMutable().Message()
		} else {
			m = m.Mutable(s.fd).Message()
		}
	}
	value(m, path[len(path)-1].fd)
	return req
}

// text is a string or bytes value of n characters: ASCII when the field is
// bounded in bytes, else three-byte characters (a byte count would pass them).
func text(fd protoreflect.FieldDescriptor, lim limits.Limit, over bool) protoreflect.Value {
	n, s := lim.MaxChars, "字"
	if lim.MaxBytes > 0 {
		n, s = lim.MaxBytes, "a"
		if lim.MaxChars > 0 && !over {
			n = min(n, lim.MaxChars)
		}
	}
	if over {
		n++
	}
	if fd.Kind() == protoreflect.BytesKind {
		return protoreflect.ValueOfBytes([]byte(strings.Repeat(s, n)))
	}
	return protoreflect.ValueOfString(strings.Repeat(s, n))
}

func setText(over bool) func(protoreflect.Message, protoreflect.FieldDescriptor) {
	return func(m protoreflect.Message, fd protoreflect.FieldDescriptor) {
		v := text(fd, limits.Of(fd), over)
		if fd.IsList() {
			m.Mutable(fd).List().Append(v)
			return
		}
		m.Set(fd, v)
	}
}

func setItems(n func(limits.Limit) int) func(protoreflect.Message, protoreflect.FieldDescriptor) {
	return func(m protoreflect.Message, fd protoreflect.FieldDescriptor) {
		l := m.Mutable(fd).List()
		for range n(limits.Of(fd)) {
			if fd.Kind() == protoreflect.MessageKind {
				l.AppendMutable()
			} else {
				l.Append(l.NewElement())
			}
		}
	}
}

func invoke(conn grpc.ClientConnInterface, token string, md protoreflect.MethodDescriptor, req proto.Message) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	ctx = metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+token)
	method := fmt.Sprintf("/%s/%s", md.Parent().FullName(), md.Name())
	return conn.Invoke(ctx, method, req, newMessage(md.Output()))
}

func requireViolation(t *testing.T, err error, field string) {
	t.Helper()
	st := status.Convert(err)
	require.Equal(t, codes.InvalidArgument, st.Code(), "%v", err)
	var fields []string
	for _, d := range st.Details() {
		if br, ok := d.(*errdetails.BadRequest); ok {
			for _, v := range br.GetFieldViolations() {
				fields = append(fields, v.GetField())
				require.Contains(t, v.GetDescription(), "at most")
			}
		}
	}
	require.Equal(t, []string{field}, fields)
}

// TestEveryRequestFieldOfEveryServiceIsLimited sends every method of every
// service, for each string, bytes and repeated field at any depth, a request
// one over the field's limit (refused, naming the field) and one at the limit
// (served).
func TestEveryRequestFieldOfEveryServiceIsLimited(t *testing.T) {
	t.Parallel()
	methods := whistleMethods(t)
	conn, token := echoServer(t, methods)
	checked := 0
	for _, md := range methods {
		leaves(md.Input(), nil, map[protoreflect.FullName]bool{}, func(path []step) {
			fd := path[len(path)-1].fd
			lim := limits.Of(fd)
			field := pathOf(path)
			over, at := setText(true), setText(false)
			if (fd.IsList() || fd.IsMap()) && !strings.HasSuffix(field, "]") {
				if fd.IsMap() {
					return // no request has a map; limits.Check bounds one like a list
				}
				over = setItems(func(l limits.Limit) int { return l.MaxItems + 1 })
				at = setItems(func(l limits.Limit) int { return l.MaxItems })
			}
			name := string(md.Name()) + "/" + field
			require.Positive(t, max(lim.MaxChars, lim.MaxBytes), "%s has a bound", name)
			require.Less(t, max(lim.MaxChars, lim.MaxBytes), limits.MaxMessageBytes, "%s fits in a message", name)
			requireViolation(t, invoke(conn, token, md, build(md.Input(), path, over)), field)
			require.NoError(t, invoke(conn, token, md, build(md.Input(), path, at)), name)
			checked++
		})
	}
	require.Greater(t, checked, 150, "fields checked")
	t.Logf("%d fields of %d methods", checked, len(methods))
}

// TestAClientStreamIsLimitedMessageByMessage: a streaming method's received
// messages pass the same check.
func TestAClientStreamIsLimitedMessageByMessage(t *testing.T) {
	t.Parallel()
	pub, key, err := ed25519.GenerateKey(nil)
	require.NoError(t, err)
	srv := grpcserver.New(slog.New(slog.NewTextHandler(io.Discard, nil)), auth.NewVerifier(pub), clock.Real())
	srv.RegisterService(&grpc.ServiceDesc{ServiceName: "test.Upload", HandlerType: (*any)(nil), Streams: []grpc.StreamDesc{{
		StreamName: "Send", ClientStreams: true,
		Handler: func(_ any, ss grpc.ServerStream) error {
			for {
				var req routingv1.AddDepartmentRequest
				if err := ss.RecvMsg(&req); err == io.EOF {
					return ss.SendMsg(&routingv1.AddDepartmentRequest{})
				} else if err != nil {
					return err
				}
			}
		},
	}}}, struct{}{})
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = grpcserver.Serve(ctx, srv, lis) }()
	conn, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	require.NoError(t, err)
	t.Cleanup(func() { _ = conn.Close(); cancel(); <-done })
	token, err := auth.NewSigner(key).Sign(auth.Identity{Subject: "limits-test", Role: auth.RoleAdmin}, time.Now(), time.Hour)
	require.NoError(t, err)

	send := func(reasons ...string) error {
		cctx := metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+token)
		cs, err := conn.NewStream(cctx, &grpc.StreamDesc{ClientStreams: true}, "/test.Upload/Send")
		require.NoError(t, err)
		for _, r := range reasons {
			if err := cs.SendMsg(&routingv1.AddDepartmentRequest{Reason: r}); err != nil {
				break // the server has answered; RecvMsg tells how
			}
		}
		require.NoError(t, cs.CloseSend())
		return cs.RecvMsg(&routingv1.AddDepartmentRequest{})
	}
	require.NoError(t, send("short", strings.Repeat("字", 500)))
	requireViolation(t, send("short", strings.Repeat("字", 501)), "reason")
}
