package grpcapi

import (
	"context"

	"github.com/chuishao/whistle/platform/auth"
	intakev1 "github.com/chuishao/whistle/proto/gen/whistle/intake/v1"

	"github.com/chuishao/whistle/services/discovery/internal/discovery"
)

// TriageReports handles reports locally, merges them into an open whistle of
// the street, blows the whistle on them, or rejects them (不予受理) with the
// reason as their result.
func (s *ReportServer) TriageReports(ctx context.Context, req *intakev1.TriageReportsRequest) (*intakev1.TriageReportsResponse, error) {
	return handle(ctx, s, req, func(ctx context.Context, id auth.Identity, req *intakev1.TriageReportsRequest) (*intakev1.TriageReportsResponse, error) {
		done, err := s.Discovery.Triage(ctx, id, discovery.Triage{ReportIDs: req.GetReportIds(), Action: req.GetAction().String(),
			Result: req.GetResult(), WhistleID: req.GetWhistleId(), Whistle: req.GetWhistle()})
		if err != nil {
			return nil, err
		}
		out := &intakev1.TriageReportsResponse{Whistle: done.Whistle}
		for _, r := range done.Reports {
			out.Reports = append(out.Reports, s.proto(r))
		}
		return out, nil
	})
}
