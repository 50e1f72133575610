// Package grpcapi serves FeedbackService: it turns the caller's identity and
// request into a call of a use case (whistles, reports, appeals), the answer
// into the proto message, and errors into status codes (toStatus).
package grpcapi

import (
	"context"
	"log/slog"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/chuishao/whistle/platform/auth"
	feedbackv1 "github.com/chuishao/whistle/proto/gen/whistle/feedback/v1"

	"github.com/chuishao/whistle/services/feedback/internal/appeals"
	"github.com/chuishao/whistle/services/feedback/internal/reports"
	"github.com/chuishao/whistle/services/feedback/internal/whistles"
)

// Server implements feedbackv1.FeedbackServiceServer.
type Server struct {
	feedbackv1.UnimplementedFeedbackServiceServer
	Whistles *whistles.Service
	Reports  *reports.Service
	Appeals  *appeals.Service
	Log      *slog.Logger
}

// caller is the verified identity of the request.
func caller(ctx context.Context) (auth.Identity, error) {
	id, ok := auth.FromContext(ctx)
	if !ok {
		return id, status.Error(codes.Unauthenticated, "missing identity")
	}
	return id, nil
}

// RebuildReadModel replays the whole event stream into a fresh read model
// (admin only); reports afterwards give the same numbers.
func (s *Server) RebuildReadModel(ctx context.Context, _ *feedbackv1.RebuildReadModelRequest) (*feedbackv1.RebuildReadModelResponse, error) {
	id, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	n, d, err := s.Reports.Rebuild(ctx, id)
	if err != nil {
		return nil, s.toStatus(ctx, err)
	}
	return &feedbackv1.RebuildReadModelResponse{EventsReplayed: n, Dispatches: d}, nil
}

// pbTime is t as a proto timestamp, nil when zero.
func pbTime(t time.Time) *timestamppb.Timestamp {
	if t.IsZero() {
		return nil
	}
	return timestamppb.New(t)
}

// asTime is ts as a time, nil when the request leaves it out.
func asTime(ts *timestamppb.Timestamp) *time.Time {
	if ts == nil {
		return nil
	}
	t := ts.AsTime()
	return &t
}
