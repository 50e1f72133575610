// Package grpcserver builds every service's gRPC server and clients the same
// way: authentication, panic recovery, logging and OpenTelemetry on the server;
// tracing and identity forwarding on the client.
package grpcserver

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"go.opentelemetry.io/contrib/instrumentation/google.golang.org/grpc/otelgrpc"
	"go.opentelemetry.io/contrib/instrumentation/google.golang.org/grpc/otelgrpc/filters"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/keepalive"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/status"

	"github.com/chuishao/whistle/platform/auth"
	"github.com/chuishao/whistle/platform/clock"
	"github.com/chuishao/whistle/platform/limits"
)

// MaxConnectionAge is how long a server keeps a client connection before
// asking the client to reconnect (a GOAWAY): the client then resolves the
// service's name again and spreads its calls over the replicas that exist
// now, so pods added by the autoscaler get traffic within this time.
const MaxConnectionAge = 5 * time.Minute

// MaxConnectionAgeGrace is how long calls in flight on an aged connection may
// still run before it is closed.
const MaxConnectionAgeGrace = 30 * time.Second

// New returns a server that requires a valid bearer token on every method but
// the gRPC health check, refuses requests over their field limits
// (platform/limits) or over limits.MaxMessageBytes, closes every connection
// after MaxConnectionAge, and registers the health service; opts add e.g.
// TLS (TLS.ServerOptions).
func New(log *slog.Logger, verifier *auth.Verifier, clk clock.Clock, opts ...grpc.ServerOption) *grpc.Server {
	srv := grpc.NewServer(append([]grpc.ServerOption{
		grpc.StatsHandler(otelgrpc.NewServerHandler(notHealth)),
		grpc.KeepaliveParams(keepalive.ServerParameters{MaxConnectionAge: MaxConnectionAge, MaxConnectionAgeGrace: MaxConnectionAgeGrace}),
		grpc.MaxRecvMsgSize(limits.MaxMessageBytes),
		grpc.ChainUnaryInterceptor(recoverUnary(log), authUnary(log, verifier, clk), limitsUnary),
		grpc.ChainStreamInterceptor(authStream(log, verifier, clk), limitsStream),
	}, opts...)...)
	healthpb.RegisterHealthServer(srv, health.NewServer())
	return srv
}

// notHealth leaves the gRPC health checks out of traces and RPC metrics:
// probes every few seconds per pod would drown both.
var notHealth = otelgrpc.WithFilter(filters.Not(filters.HealthCheck()))

// Serve serves on addr until ctx is cancelled, then stops gracefully.
func Serve(ctx context.Context, srv *grpc.Server, lis net.Listener) error {
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(lis) }()
	select {
	case err := <-errc:
		return fmt.Errorf("grpc serve: %w", err)
	case <-ctx.Done():
		stopped := make(chan struct{})
		go func() { srv.GracefulStop(); close(stopped) }()
		select {
		case <-stopped:
		case <-time.After(5 * time.Second):
			srv.Stop()
		}
		return nil
	}
}

// publicMethods are the methods a service declared callable without a token
// (RegisterPublic); the gRPC health check always is.
var publicMethods sync.Map

// RegisterPublic declares full method names (/pkg.Service/Method) callable
// without a bearer token: the residents' and the public's routes. A method is
// public by its definition, whichever server serves it, so the set is global.
// A token that is sent is still verified, and its identity passed on.
func RegisterPublic(methods ...string) {
	for _, m := range methods {
		publicMethods.Store(m, true)
	}
}

// IsPublic tells whether method (/pkg.Service/Method) may be called without a token.
func IsPublic(method string) bool { return isPublic(method) }

func isPublic(method string) bool {
	if strings.HasPrefix(method, "/grpc.health.v1.Health/") {
		return true
	}
	_, ok := publicMethods.Load(method)
	return ok
}

// publicViewMethods are the methods a token of role public may call
// (RegisterPublicView), besides the public ones.
var publicViewMethods sync.Map

// RegisterPublicView declares full method names (/pkg.Service/Method) a token
// of role auth.RolePublic may call: the reads whose answer the service
// reduces to its public view for that role. Every other method refuses the
// role with PermissionDenied before the service sees the request, so a
// service that forgets the role cannot widen it.
func RegisterPublicView(methods ...string) {
	for _, m := range methods {
		publicViewMethods.Store(m, true)
	}
}

// residentMethods are the methods a token of role resident may call
// (RegisterResidentMethods).
var residentMethods sync.Map

// RegisterResidentMethods declares full method names (/pkg.Service/Method) a
// token of role auth.RoleResident may call: the acts a service performs on a
// resident's behalf. Every other method refuses the role with
// PermissionDenied before the service sees the request.
func RegisterResidentMethods(methods ...string) {
	for _, m := range methods {
		residentMethods.Store(m, true)
	}
}

// servesRole tells whether method may be called by a verified id.
func servesRole(method string, id auth.Identity) bool {
	switch id.Role {
	case auth.RolePublic:
		if isPublic(method) {
			return true
		}
		_, ok := publicViewMethods.Load(method)
		return ok
	case auth.RoleResident:
		_, ok := residentMethods.Load(method)
		return ok
	}
	return true
}

func authenticate(ctx context.Context, method string, verifier *auth.Verifier, clk clock.Clock) (context.Context, error) {
	md, _ := metadata.FromIncomingContext(ctx)
	values := md.Get("authorization")
	if len(values) == 0 {
		if isPublic(method) {
			return ctx, nil
		}
		return nil, status.Error(codes.Unauthenticated, "missing bearer token")
	}
	if strings.HasPrefix(method, "/grpc.health.v1.Health/") {
		return ctx, nil
	}
	token, ok := strings.CutPrefix(values[0], "Bearer ")
	if !ok {
		return nil, status.Error(codes.Unauthenticated, "authorization must be a bearer token")
	}
	id, err := verifier.Verify(token, clk.Now())
	if err != nil {
		return nil, status.Error(codes.Unauthenticated, err.Error())
	}
	if !servesRole(method, id) {
		return nil, status.Errorf(codes.PermissionDenied, "role %s may not call %s", id.Role, method)
	}
	return auth.WithIdentity(ctx, id), nil
}

// authUnary authenticates the caller, serves the call and logs its outcome
// with the caller it was served for.
func authUnary(log *slog.Logger, verifier *auth.Verifier, clk clock.Clock) grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		start := time.Now()
		actx, err := authenticate(ctx, info.FullMethod, verifier, clk)
		var resp any
		if err == nil {
			resp, err = handler(actx, req)
		} else {
			actx = ctx
		}
		logRPC(actx, log, info.FullMethod, err, time.Since(start))
		return resp, err
	}
}

// logRPC logs a call's outcome. Refusals of the caller (Unauthenticated,
// PermissionDenied) are warnings, so operators see probing without debug
// logs; the caller's subject and role and the peer's address are named, never
// its token. A server fault is an error; everything else is debug.
func logRPC(ctx context.Context, log *slog.Logger, method string, err error, elapsed time.Duration) {
	code := status.Code(err)
	attrs := []any{"method", method, "code", code.String(), "ms", elapsed.Milliseconds()}
	level := slog.LevelDebug
	switch code {
	case codes.OK, codes.InvalidArgument, codes.NotFound, codes.FailedPrecondition, codes.AlreadyExists:
	case codes.Unauthenticated, codes.PermissionDenied:
		level = slog.LevelWarn
		if id, ok := auth.FromContext(ctx); ok {
			attrs = append(attrs, "subject", id.Subject, "role", string(id.Role))
		}
		if p, ok := peer.FromContext(ctx); ok && p.Addr != nil {
			attrs = append(attrs, "peer", p.Addr.String())
		}
		if fwd := metadata.ValueFromIncomingContext(ctx, "x-forwarded-for"); len(fwd) > 0 {
			attrs = append(attrs, "forwarded_for", fwd[0])
		}
	default:
		level = slog.LevelError
	}
	if err != nil {
		attrs = append(attrs, "err", status.Convert(err).Message())
	}
	msg := "rpc"
	if level == slog.LevelWarn {
		msg = "rpc denied"
	}
	log.Log(ctx, level, msg, attrs...)
}

type wrappedStream struct {
	grpc.ServerStream
	ctx context.Context
}

func (w wrappedStream) Context() context.Context { return w.ctx }

func authStream(log *slog.Logger, verifier *auth.Verifier, clk clock.Clock) grpc.StreamServerInterceptor {
	return func(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
		ctx, err := authenticate(ss.Context(), info.FullMethod, verifier, clk)
		if err != nil {
			logRPC(ss.Context(), log, info.FullMethod, err, 0)
			return err
		}
		return handler(srv, wrappedStream{ss, ctx})
	}
}

func recoverUnary(log *slog.Logger) grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (resp any, err error) {
		defer func() {
			if r := recover(); r != nil {
				log.ErrorContext(ctx, "panic", "method", info.FullMethod, "panic", r, "stack", string(debug.Stack()))
				err = status.Error(codes.Internal, "internal error")
			}
		}()
		return handler(ctx, req)
	}
}

// serviceConfig balances calls round-robin over every address the target
// resolves to. gRPC's default (pick_first) sends every call of a client to one
// replica, however many the service has.
const serviceConfig = `{"loadBalancingConfig":[{"round_robin":{}}]}`

// Dial returns a client connection that traces calls and forwards the incoming
// caller's bearer token, so the called service checks the same identity. A
// target without a scheme is a DNS name ("dns:///svc:9090", or
// "svc:9090"): every address it resolves to (a headless Service's pods) gets
// calls in turn, and the name is resolved again whenever a connection closes.
// A service config published in DNS is ignored. It is plaintext unless opts
// give transport credentials (TLS.DialOption).
func Dial(target string, opts ...grpc.DialOption) (*grpc.ClientConn, error) {
	conn, err := grpc.NewClient(target, append([]grpc.DialOption{
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultServiceConfig(serviceConfig),
		grpc.WithDisableServiceConfig(),
		grpc.WithStatsHandler(otelgrpc.NewClientHandler(notHealth)),
		grpc.WithUnaryInterceptor(forwardIdentity),
	}, opts...)...)
	if err != nil {
		return nil, fmt.Errorf("dial %s: %w", target, err)
	}
	return conn, nil
}

func forwardIdentity(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
	if in, ok := metadata.FromIncomingContext(ctx); ok {
		if out, _ := metadata.FromOutgoingContext(ctx); len(out.Get("authorization")) == 0 {
			if v := in.Get("authorization"); len(v) > 0 {
				ctx = metadata.AppendToOutgoingContext(ctx, "authorization", v[0])
			}
		}
	}
	return invoker(ctx, method, req, reply, cc, opts...)
}
