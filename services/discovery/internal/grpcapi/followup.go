package grpcapi

import (
	"context"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/chuishao/whistle/platform/auth"
	intakev1 "github.com/chuishao/whistle/proto/gen/whistle/intake/v1"

	"github.com/chuishao/whistle/services/discovery/internal/discovery"
)

// IssueFollowUpToken gives the whistle's street a token for a resident (回访).
func (s *ReportServer) IssueFollowUpToken(ctx context.Context, req *intakev1.IssueFollowUpTokenRequest) (*intakev1.FollowUpToken, error) {
	return handle(ctx, s, req, func(ctx context.Context, id auth.Identity, req *intakev1.IssueFollowUpTokenRequest) (*intakev1.FollowUpToken, error) {
		token, err := s.Discovery.IssueFollowUpToken(ctx, id, req.GetWhistleId())
		if err != nil {
			return nil, err
		}
		return &intakev1.FollowUpToken{Token: token}, nil
	})
}

// GetFollowUp is the reporter's view: status and result, nothing personal.
func (s *ReportServer) GetFollowUp(ctx context.Context, req *intakev1.GetFollowUpRequest) (*intakev1.FollowUp, error) {
	fu, err := s.Discovery.GetFollowUp(ctx, req.GetToken())
	if err != nil {
		return nil, toStatus(ctx, s.Log, err)
	}
	return followUpOf(fu), nil
}

// RateFollowUp records the reporter's rating through its token.
func (s *ReportServer) RateFollowUp(ctx context.Context, req *intakev1.RateFollowUpRequest) (*intakev1.FollowUp, error) {
	fu, err := s.Discovery.RateFollowUp(ctx, discovery.Rating{Token: req.GetToken(), Satisfaction: req.GetSatisfaction(),
		Fixed: req.Fixed, Comment: req.GetComment()})
	if err != nil {
		return nil, toStatus(ctx, s.Log, err)
	}
	return followUpOf(fu), nil
}

func followUpOf(fu discovery.FollowUp) *intakev1.FollowUp {
	out := &intakev1.FollowUp{Kind: fu.Kind, ReportId: fu.ReportID, Category: fu.Category, Status: fu.Status,
		Result: fu.Result, WhistleStatus: fu.WhistleStatus, ReceivedAt: timestamppb.New(fu.ReceivedAt),
		CanRate: fu.CanRate, Satisfaction: fu.Satisfaction, Fixed: fu.Fixed}
	if !fu.ClosedAt.IsZero() {
		out.ClosedAt = timestamppb.New(fu.ClosedAt)
	}
	return out
}
