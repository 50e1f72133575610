package grpcserver

import (
	"context"

	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"

	"github.com/chuishao/whistle/platform/limits"
)

// limitsUnary refuses a request with a field over its declared limit
// (platform/limits) before the handler sees it.
func limitsUnary(ctx context.Context, req any, _ *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
	if m, ok := req.(proto.Message); ok {
		if err := limits.Check(m); err != nil {
			return nil, err
		}
	}
	return handler(ctx, req)
}

// limitsStream checks every message a client streams in, like limitsUnary.
func limitsStream(srv any, ss grpc.ServerStream, _ *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
	return handler(srv, limitedStream{ss})
}

type limitedStream struct{ grpc.ServerStream }

func (s limitedStream) RecvMsg(m any) error {
	if err := s.ServerStream.RecvMsg(m); err != nil {
		return err
	}
	if pm, ok := m.(proto.Message); ok {
		return limits.Check(pm)
	}
	return nil
}
