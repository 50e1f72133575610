package grpcapi

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5/pgtype"
	"google.golang.org/protobuf/proto"

	"github.com/chuishao/whistle/platform/drill"
	intakev1 "github.com/chuishao/whistle/proto/gen/whistle/intake/v1"
	responsev1 "github.com/chuishao/whistle/proto/gen/whistle/response/v1"

	"github.com/chuishao/whistle/services/intake/internal/intake"
	"github.com/chuishao/whistle/services/intake/internal/store"
)

// beijing is UTC+8: months of the public results are Beijing months.
var beijing = time.FixedZone("CST", 8*3600)

// GetPublicResults is the public results (公开) of a street or a district for
// a month and the month before: counts and rates only, nothing that names a
// person, a phone or a home.
func (s *ReportServer) GetPublicResults(ctx context.Context, req *intakev1.GetPublicResultsRequest) (*intakev1.PublicResults, error) {
	out, err := s.publicResults(ctx, req)
	return answer(ctx, s.Whistles, out, err)
}

func (s *ReportServer) publicResults(ctx context.Context, req *intakev1.GetPublicResultsRequest) (*intakev1.PublicResults, error) {
	var f intake.Fields
	street, district := req.GetStreetId(), req.GetDistrictId()
	switch {
	case street == "" && district == "":
		f.Add("street_id", "a street_id or a district_id is required")
	case street != "" && district != "":
		f.Add("district_id", "give a street_id or a district_id, not both")
	case street != "" && !townshipCode(street):
		f.Add("street_id", "must be a nine-digit township code")
	case district != "" && (len(district) != 6 || !townshipCode(district+"000")):
		f.Add("district_id", "must be a six-digit district code")
	}
	now := s.Whistles.now().In(beijing)
	month := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, beijing)
	if m := req.GetMonth(); m != "" {
		t, err := time.ParseInLocation("2006-01", m, beijing)
		if err != nil {
			f.Add("month", "must be YYYY-MM")
		}
		month = t
	}
	if err := f.Err(); err != nil {
		return nil, err
	}
	var st, dt pgtype.Text
	if street != "" {
		st = pgtype.Text{String: street, Valid: true}
	} else {
		dt = pgtype.Text{String: district, Valid: true}
	}
	out := &intakev1.PublicResults{StreetId: street, DistrictId: district}
	if street != "" {
		out.DistrictId = street[:6]
	}
	var err error
	if out.Current, err = s.period(ctx, st, dt, month); err != nil {
		return nil, err
	}
	if out.Previous, err = s.period(ctx, st, dt, month.AddDate(0, -1, 0)); err != nil {
		return nil, err
	}
	return out, nil
}

func (s *ReportServer) period(ctx context.Context, street, district pgtype.Text, from time.Time) (*intakev1.PublicPeriod, error) {
	to := from.AddDate(0, 1, 0)
	q := store.New(s.Whistles.Pool)
	p := &intakev1.PublicPeriod{Month: from.Format("2006-01")}
	counts, err := q.PublicReportCounts(ctx, store.PublicReportCountsParams{StreetID: street, DistrictID: district, FromAt: from, ToAt: to})
	if err != nil {
		return nil, fmt.Errorf("public report counts: %w", err)
	}
	p.ReportsReceived, p.ReportsHandledLocally = int32(counts.Received), int32(counts.HandledLocally)
	whistles, err := q.PublicWhistles(ctx, store.PublicWhistlesParams{StreetID: street, DistrictID: district, FromAt: from, ToAt: to})
	if err != nil {
		return nil, fmt.Errorf("public whistles: %w", err)
	}
	whistles = slices.DeleteFunc(whistles, func(w store.PublicWhistlesRow) bool { return drill.Is(w.ID) })
	p.WhistlesRaised = int32(len(whistles))
	ids := make([]string, len(whistles))
	var live, resolved int
	for i, w := range whistles {
		ids[i] = w.ID
		switch intake.Status(w.Status) {
		case intake.StatusCancelled:
			continue
		case intake.StatusResolved, intake.StatusClosed:
			resolved++
		}
		live++
	}
	p.ResolutionRate = rate(resolved, live)
	dispatches, err := q.DispatchesOfWhistles(ctx, ids)
	if err != nil {
		return nil, fmt.Errorf("public dispatches: %w", err)
	}
	now := s.Whistles.now()
	var due, onTime, resolvedDispatches, resolvedOnTime int
	for _, row := range dispatches {
		if row.Status == string(intake.DispatchCancelled) || row.Status == string(intake.DispatchReturned) {
			continue
		}
		var d responsev1.Dispatch
		if err := proto.Unmarshal(row.Snapshot, &d); err != nil {
			return nil, fmt.Errorf("dispatch %s: %w", row.DispatchID, err)
		}
		p.Dispatches++
		arriveBy := d.GetDeadlines().GetArriveBy()
		switch {
		case d.GetArrivedAt() != nil:
			due++
			if arriveBy == nil || !d.GetArrivedAt().AsTime().After(arriveBy.AsTime()) {
				onTime++
			}
		case arriveBy != nil && now.After(arriveBy.AsTime()):
			due++ // late and still not there
		}
		if d.GetResolvedAt() != nil {
			resolvedDispatches++
			if by := d.GetDeadlines().GetResolveBy(); by == nil || !d.GetResolvedAt().AsTime().After(by.AsTime()) {
				resolvedOnTime++
			}
		}
	}
	p.ArrivalOnTimeRate = rate(onTime, due)
	p.ResolvedOnTimeRate = rate(resolvedOnTime, resolvedDispatches)
	ratings, err := q.PublicRatings(ctx, store.PublicRatingsParams{StreetID: street, DistrictID: district,
		FromAt: pgtype.Timestamptz{Time: from, Valid: true}, ToAt: pgtype.Timestamptz{Time: to, Valid: true}})
	if err != nil {
		return nil, fmt.Errorf("public ratings: %w", err)
	}
	p.Ratings = int32(ratings.Ratings)
	p.SatisfactionRate = rate(int(ratings.Satisfied), int(ratings.Ratings))
	return p, nil
}

func rate(n, of int) float64 {
	if of == 0 {
		return 0
	}
	return float64(n) / float64(of)
}
