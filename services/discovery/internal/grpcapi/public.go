package grpcapi

import (
	"context"

	intakev1 "github.com/chuishao/whistle/proto/gen/whistle/intake/v1"

	"github.com/chuishao/whistle/services/discovery/internal/discovery"
)

// GetPublicResults is the public results (公开) of a street or a district for
// a month and the month before: counts and rates only.
func (s *ReportServer) GetPublicResults(ctx context.Context, req *intakev1.GetPublicResultsRequest) (*intakev1.PublicResults, error) {
	res, err := s.Discovery.GetPublicResults(ctx, req.GetStreetId(), req.GetDistrictId(), req.GetMonth())
	if err != nil {
		return nil, toStatus(ctx, s.Log, err)
	}
	return &intakev1.PublicResults{StreetId: res.StreetID, DistrictId: res.DistrictID,
		Current: periodOf(res.Current), Previous: periodOf(res.Previous)}, nil
}

func periodOf(p discovery.Period) *intakev1.PublicPeriod {
	return &intakev1.PublicPeriod{Month: p.Month, ReportsReceived: p.ReportsReceived,
		ReportsHandledLocally: p.ReportsHandledLocally, WhistlesRaised: p.WhistlesRaised, Dispatches: p.Dispatches,
		ArrivalOnTimeRate: p.ArrivalOnTimeRate, ResolutionRate: p.ResolutionRate, ResolvedOnTimeRate: p.ResolvedOnTimeRate,
		Ratings: p.Ratings, SatisfactionRate: p.SatisfactionRate}
}
