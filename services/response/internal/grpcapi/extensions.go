package grpcapi

import (
	"context"

	responsev1 "github.com/chuishao/whistle/proto/gen/whistle/response/v1"
	"github.com/chuishao/whistle/services/response/internal/events"
)

// ListPendingExtensions is a supervisor's queue of extension requests
// awaiting a decision, across the dispatches of its district.
func (s *Server) ListPendingExtensions(ctx context.Context, req *responsev1.ListPendingExtensionsRequest) (*responsev1.ListPendingExtensionsResponse, error) {
	id, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	list, next, err := s.Desk.PendingExtensions(ctx, id, int(req.GetPageSize()), req.GetPageToken())
	if err != nil {
		return nil, s.toStatus(ctx, err)
	}
	resp := &responsev1.ListPendingExtensionsResponse{NextPageToken: next}
	for _, p := range list {
		resp.Extensions = append(resp.Extensions, &responsev1.PendingExtension{
			Extension: events.ExtensionProto(p.Extension), Dispatch: events.DispatchProto(p.Dispatch),
		})
	}
	return resp, nil
}
