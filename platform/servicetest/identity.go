package servicetest

import (
	"context"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"

	"github.com/chuishao/whistle/platform/auth"
	"github.com/chuishao/whistle/platform/grpcserver"
)

// TokenTTL is how long the tokens of Token and As stay valid on the fake clock.
const TokenTTL = 24 * time.Hour

// Token is a bearer token for id, issued now on the world's clock. An
// identity without a subject gets one made of its role and scope.
func (w *World) Token(id auth.Identity) string {
	w.t.Helper()
	if id.Subject == "" {
		id.Subject = id.Role + "-" + id.StreetID + id.DistrictID + id.Department
	}
	tok, err := w.Signer.Sign(id, w.Clock.Now(), TokenTTL)
	if err != nil {
		w.t.Fatalf("servicetest: sign: %v", err)
	}
	return tok
}

// As is a context whose gRPC calls carry id's token.
func (w *World) As(id auth.Identity) context.Context {
	w.t.Helper()
	return metadata.AppendToOutgoingContext(context.Background(), "authorization", "Bearer "+w.Token(id))
}

// Dial is a client connection to a service's gRPC address, closed when the
// test ends.
func (w *World) Dial(addr string) *grpc.ClientConn {
	w.t.Helper()
	conn, err := grpcserver.Dial(addr)
	if err != nil {
		w.t.Fatalf("servicetest: dial %s: %v", addr, err)
	}
	w.t.Cleanup(func() { _ = conn.Close() })
	return conn
}
