package grpcapi

import (
	"context"

	"google.golang.org/protobuf/types/known/timestamppb"

	responsev1 "github.com/chuishao/whistle/proto/gen/whistle/response/v1"
	"github.com/chuishao/whistle/services/response/internal/notify"
)

// Page sizes of the dead-letter list.
const (
	defaultDeadLetters = 100
	maxDeadLetters     = 1000
)

// ListWebhookDeadLetters returns the dead letters in the caller's scope, newest first.
func (s *AdminServer) ListWebhookDeadLetters(ctx context.Context, req *responsev1.ListWebhookDeadLettersRequest) (*responsev1.ListWebhookDeadLettersResponse, error) {
	id, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	district, ok, err := notify.Scope(id, req.GetDistrictId())
	if err != nil {
		return nil, toStatus(ctx, s.Log, err)
	}
	resp := &responsev1.ListWebhookDeadLettersResponse{}
	if !ok {
		return resp, nil
	}
	limit := int(req.GetPageSize())
	if limit <= 0 {
		limit = defaultDeadLetters
	}
	dead, err := s.Webhooks.DeadLetters(ctx, district, min(limit, maxDeadLetters))
	if err != nil {
		return nil, toStatus(ctx, s.Log, err)
	}
	for _, d := range dead {
		resp.DeadLetters = append(resp.DeadLetters, &responsev1.WebhookDeadLetter{
			Id: d.ID, EventId: d.EventID, EventName: d.EventName, DispatchId: d.DispatchID,
			Department: d.Department, DistrictId: d.DistrictID, Url: d.URL,
			Attempts: int32(d.Attempts), LastStatusCode: int32(d.LastStatusCode), LastError: d.LastError,
			CreatedAt: timestamppb.New(d.CreatedAt),
		})
	}
	return resp, nil
}

// ReplayWebhookDeadLetter queues a dead letter in the caller's scope again.
func (s *AdminServer) ReplayWebhookDeadLetter(ctx context.Context, req *responsev1.ReplayWebhookDeadLetterRequest) (*responsev1.ReplayWebhookDeadLetterResponse, error) {
	id, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	district, _, err := notify.Scope(id, "")
	if err != nil {
		return nil, toStatus(ctx, s.Log, err)
	}
	if err := s.Webhooks.Replay(ctx, district, req.GetId()); err != nil {
		return nil, toStatus(ctx, s.Log, err)
	}
	return &responsev1.ReplayWebhookDeadLetterResponse{}, nil
}

// ListWebhookAttempts is a dispatch's webhook delivery log, as far as the
// caller's scope reaches (another district's dispatch shows no attempts).
func (s *AdminServer) ListWebhookAttempts(ctx context.Context, req *responsev1.ListWebhookAttemptsRequest) (*responsev1.ListWebhookAttemptsResponse, error) {
	id, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	district, _, err := notify.Scope(id, "")
	if err != nil {
		return nil, toStatus(ctx, s.Log, err)
	}
	log, err := s.Webhooks.Log(ctx, district, req.GetDispatchId())
	if err != nil {
		return nil, toStatus(ctx, s.Log, err)
	}
	resp := &responsev1.ListWebhookAttemptsResponse{}
	for _, a := range log {
		resp.Attempts = append(resp.Attempts, &responsev1.WebhookAttempt{
			DeliveryId: a.DeliveryID, EventName: a.EventName, Url: a.URL, Status: a.Status,
			Attempt: int32(a.Attempt), AttemptedAt: timestamppb.New(a.AttemptedAt),
			StatusCode: int32(a.StatusCode), Error: a.Error,
		})
	}
	return resp, nil
}
