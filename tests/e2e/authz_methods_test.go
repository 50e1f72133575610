package e2e_test

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/dynamicpb"

	"github.com/chuishao/whistle/platform/grpcserver"
)

// scopeRowsPending are the gRPC methods that have no row in authzMatrix yet:
// only their authentication is tested (TestEveryGRPCMethodRefusesBadTokens),
// not who may call them on what. Each should become a matrix row; a method
// added to the protos after this list fails TestEveryGRPCMethodIsInTheMatrix.
var scopeRowsPending = []string{}

// whistleMethods are the methods of every Whistle gRPC service, by the
// service descriptors of the generated code.
func whistleMethods() []protoreflect.MethodDescriptor {
	var out []protoreflect.MethodDescriptor
	protoregistry.GlobalFiles.RangeFiles(func(f protoreflect.FileDescriptor) bool {
		if !strings.HasPrefix(string(f.Package()), "whistle.") {
			return true
		}
		for i := range f.Services().Len() {
			svc := f.Services().Get(i)
			for j := range svc.Methods().Len() {
				out = append(out, svc.Methods().Get(j))
			}
		}
		return true
	})
	slices.SortFunc(out, func(a, b protoreflect.MethodDescriptor) int {
		return strings.Compare(string(a.FullName()), string(b.FullName()))
	})
	return out
}

func fullMethod(m protoreflect.MethodDescriptor) string {
	return fmt.Sprintf("/%s/%s", m.Parent().FullName(), m.Name())
}

// matrixRowMethods are the gRPC methods that have a row in one of the
// authorisation tables: a row's method is the first word of its name (a
// second row for one method adds a word, e.g. "ListReports ofWhistle").
func matrixRowMethods() map[string]bool {
	rows := map[string]bool{}
	for _, r := range authzMatrix {
		rows[strings.Fields(r.name)[0]] = true
	}
	for _, r := range reportsAuthzMatrix {
		rows[strings.Fields(r.name)[0]] = true
	}
	return rows
}

// TestEveryGRPCMethodIsInTheMatrix fails naming each gRPC method with no
// authzMatrix (or reportsAuthzMatrix) row (and not yet listed in scopeRowsPending), and each row or
// pending entry that names no method.
func TestEveryGRPCMethodIsInTheMatrix(t *testing.T) {
	t.Parallel()
	rows := matrixRowMethods()
	methods := map[string]bool{}
	for _, m := range whistleMethods() {
		name := string(m.Name())
		methods[name] = true
		switch {
		case rows[name] && slices.Contains(scopeRowsPending, name):
			t.Errorf("gRPC method %s has a matrix row: remove it from scopeRowsPending (tests/e2e/authz_methods_test.go)", fullMethod(m))
		case !rows[name] && !slices.Contains(scopeRowsPending, name):
			t.Errorf("gRPC method %s has no row in authzMatrix (tests/e2e/authz_matrix_test.go): add one with the expected outcome for every caller", fullMethod(m))
		}
	}
	require.NotEmpty(t, methods, "no Whistle service descriptors linked in")
	for name := range rows {
		if !methods[name] {
			t.Errorf("authzMatrix row %s names no gRPC method", name)
		}
	}
	for _, name := range scopeRowsPending {
		if !methods[name] {
			t.Errorf("scopeRowsPending names %s, which is no gRPC method", name)
		}
	}
}

// TestEveryGRPCMethodRefusesBadTokens calls every method of every service at
// its gRPC port with each caller whose token must not get in: all answer
// Unauthenticated before looking at the request (no token is fine only on
// the public methods).
func TestEveryGRPCMethodRefusesBadTokens(t *testing.T) {
	t.Parallel()
	s := startSystem(t, options{})
	tokens := matrixTokens(t, s)
	maps.Copy(tokens, refusedTokens(t, s))
	connOf := connFor(t, s)
	for _, m := range whistleMethods() {
		conn := connOf(m)
		require.NotNil(t, conn, "no backend serves %s", fullMethod(m))
		for _, caller := range []string{"no-token", "expired-token", "foreign-key-token", "wrong-audience", "not-yet-valid",
			"revoked-service-account", "open311-key-admin", "wrong-issuer"} {
			if caller == "no-token" && grpcserver.IsPublic(fullMethod(m)) {
				continue
			}
			ctx, cancel := context.WithTimeout(withBearer(context.Background(), tokens[caller]), 10*time.Second)
			var err error
			if m.IsStreamingServer() || m.IsStreamingClient() {
				var st grpc.ClientStream
				st, err = conn.NewStream(ctx, &grpc.StreamDesc{ServerStreams: m.IsStreamingServer(), ClientStreams: m.IsStreamingClient()}, fullMethod(m))
				if err == nil {
					_ = st.SendMsg(dynamicpb.NewMessage(m.Input()))
					_ = st.CloseSend()
					err = st.RecvMsg(dynamicpb.NewMessage(m.Output()))
				}
			} else {
				err = conn.Invoke(ctx, fullMethod(m), dynamicpb.NewMessage(m.Input()), dynamicpb.NewMessage(m.Output()))
			}
			cancel()
			require.Equal(t, codes.Unauthenticated, status.Code(err), "%s as %s: %v", fullMethod(m), caller, err)
		}
	}
}
