package grpcapi

import (
	"context"
	"time"

	"github.com/chuishao/whistle/platform/rpcerr"
	responsev1 "github.com/chuishao/whistle/proto/gen/whistle/response/v1"
	"github.com/chuishao/whistle/services/response/internal/events"
)

// SetDispatchEta is a desk's own ETA for arriving at its dispatch.
func (s *Server) SetDispatchEta(ctx context.Context, req *responsev1.SetDispatchEtaRequest) (*responsev1.DeskEta, error) {
	id, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	if req.GetId() == "" {
		return nil, rpcerr.Invalid("id", "is required")
	}
	var at time.Time
	if req.GetArriveAt() != nil {
		if err := req.GetArriveAt().CheckValid(); err != nil {
			return nil, rpcerr.Invalid("arrive_at", "is not a valid time")
		}
		at = req.GetArriveAt().AsTime()
	}
	e, err := s.Desk.SetEta(ctx, id, req.GetId(), at, req.GetNote())
	if err != nil {
		return nil, s.toStatus(ctx, err)
	}
	return events.DeskEtaProto(e), nil
}
