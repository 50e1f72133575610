package grpcapi

import (
	"context"

	feedbackv1 "github.com/chuishao/whistle/proto/gen/whistle/feedback/v1"

	"github.com/chuishao/whistle/services/feedback/internal/appeals"
	"github.com/chuishao/whistle/services/feedback/internal/events"
)

// FileAppeal records a desk's appeal against one breached clock of its
// dispatch. Filing the same clock again returns the appeal already open.
func (s *Server) FileAppeal(ctx context.Context, req *feedbackv1.FileAppealRequest) (*feedbackv1.Appeal, error) {
	id, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	a, err := s.Appeals.File(ctx, id, appeals.Filing{
		DispatchID: req.GetDispatchId(), Clock: req.GetClock(), ReasonCode: req.GetReasonCode(), Reason: req.GetReason(),
	})
	if err != nil {
		return nil, s.toStatus(ctx, err)
	}
	return events.AppealProto(a), nil
}

// DecideAppeal accepts or rejects a pending appeal.
func (s *Server) DecideAppeal(ctx context.Context, req *feedbackv1.DecideAppealRequest) (*feedbackv1.Appeal, error) {
	id, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	a, err := s.Appeals.Decide(ctx, id, req.GetId(), req.GetAccept(), req.GetNote())
	if err != nil {
		return nil, s.toStatus(ctx, err)
	}
	return events.AppealProto(a), nil
}

// ListAppeals lists the appeals in the caller's scope, newest first.
func (s *Server) ListAppeals(ctx context.Context, req *feedbackv1.ListAppealsRequest) (*feedbackv1.ListAppealsResponse, error) {
	id, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	st := ""
	if req.GetStatus() != feedbackv1.Appeal_STATUS_UNSPECIFIED {
		st = req.GetStatus().String()
	}
	list, err := s.Appeals.List(ctx, id, st)
	if err != nil {
		return nil, s.toStatus(ctx, err)
	}
	resp := &feedbackv1.ListAppealsResponse{Appeals: make([]*feedbackv1.Appeal, 0, len(list))}
	for _, a := range list {
		resp.Appeals = append(resp.Appeals, events.AppealProto(a))
	}
	return resp, nil
}
