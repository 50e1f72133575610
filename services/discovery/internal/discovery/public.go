package discovery

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5/pgtype"
	"google.golang.org/protobuf/proto"

	"github.com/chuishao/whistle/platform/drill"
	"github.com/chuishao/whistle/platform/invalid"
	"github.com/chuishao/whistle/platform/whistlestatus"
	responsev1 "github.com/chuishao/whistle/proto/gen/whistle/response/v1"

	"github.com/chuishao/whistle/services/discovery/internal/store"
)

// PublicResults is the public results (公开) of a street or a district for
// a month and the month before.
type PublicResults struct {
	StreetID, DistrictID string
	Current, Previous    Period
}

// Period is one Beijing month of public results: counts and rates only.
type Period struct {
	Month                                                              string
	ReportsReceived, ReportsHandledLocally, WhistlesRaised, Dispatches int32
	Ratings                                                            int32
	ResolutionRate, ArrivalOnTimeRate, ResolvedOnTimeRate              float64
	SatisfactionRate                                                   float64
}

// GetPublicResults is the public results of a street or a district (one of
// them) for month ("YYYY-MM", the current Beijing month when empty) and the
// month before: counts and rates only, nothing that names a person, a phone
// or a home.
func (s *Service) GetPublicResults(ctx context.Context, street, district, month string) (PublicResults, error) {
	var f invalid.Violations
	switch {
	case street == "" && district == "":
		f.Add("street_id", "a street_id or a district_id is required")
	case street != "" && district != "":
		f.Add("district_id", "give a street_id or a district_id, not both")
	case street != "" && !TownshipCode(street):
		f.Add("street_id", "must be a nine-digit township code")
	case district != "" && (len(district) != 6 || !TownshipCode(district+"000")):
		f.Add("district_id", "must be a six-digit district code")
	}
	now := s.Now().In(Beijing)
	from := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, Beijing)
	if month != "" {
		t, err := time.ParseInLocation("2006-01", month, Beijing)
		if err != nil {
			f.Add("month", "must be YYYY-MM")
		}
		from = t
	}
	if err := f.Err(); err != nil {
		return PublicResults{}, err
	}
	var st, dt pgtype.Text
	if street != "" {
		st = pgtype.Text{String: street, Valid: true}
	} else {
		dt = pgtype.Text{String: district, Valid: true}
	}
	out := PublicResults{StreetID: street, DistrictID: district}
	if street != "" {
		out.DistrictID = street[:6]
	}
	var err error
	if out.Current, err = s.period(ctx, st, dt, from); err != nil {
		return PublicResults{}, err
	}
	if out.Previous, err = s.period(ctx, st, dt, from.AddDate(0, -1, 0)); err != nil {
		return PublicResults{}, err
	}
	return out, nil
}

func (s *Service) period(ctx context.Context, street, district pgtype.Text, from time.Time) (Period, error) {
	to := from.AddDate(0, 1, 0)
	q := store.New(s.Pool)
	p := Period{Month: from.Format("2006-01")}
	counts, err := q.PublicReportCounts(ctx, store.PublicReportCountsParams{StreetID: street, DistrictID: district, FromAt: from, ToAt: to})
	if err != nil {
		return Period{}, fmt.Errorf("public report counts: %w", err)
	}
	p.ReportsReceived, p.ReportsHandledLocally = int32(counts.Received), int32(counts.HandledLocally)
	whistles, err := q.PublicWhistles(ctx, store.PublicWhistlesParams{StreetID: street, DistrictID: district, FromAt: from, ToAt: to})
	if err != nil {
		return Period{}, fmt.Errorf("public whistles: %w", err)
	}
	whistles = slices.DeleteFunc(whistles, func(w store.PublicWhistlesRow) bool { return drill.Is(w.ID) })
	p.WhistlesRaised = int32(len(whistles))
	ids := make([]string, len(whistles))
	var live, resolved int
	for i, w := range whistles {
		ids[i] = w.ID
		switch whistlestatus.Status(w.Status) {
		case whistlestatus.Cancelled:
			continue
		case whistlestatus.Resolved, whistlestatus.Closed:
			resolved++
		}
		live++
	}
	p.ResolutionRate = share(resolved, live)
	dispatches, err := q.DispatchesOfWhistles(ctx, ids)
	if err != nil {
		return Period{}, fmt.Errorf("public dispatches: %w", err)
	}
	now := s.Now()
	var due, onTime, resolvedDispatches, resolvedOnTime int
	for _, row := range dispatches {
		if row.Status == string(whistlestatus.DispatchCancelled) || row.Status == string(whistlestatus.DispatchReturned) {
			continue
		}
		var d responsev1.Dispatch
		if err := proto.Unmarshal(row.Snapshot, &d); err != nil {
			return Period{}, fmt.Errorf("dispatch %s: %w", row.DispatchID, err)
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
	p.ArrivalOnTimeRate = share(onTime, due)
	p.ResolvedOnTimeRate = share(resolvedOnTime, resolvedDispatches)
	ratings, err := q.PublicRatings(ctx, store.PublicRatingsParams{StreetID: street, DistrictID: district,
		FromAt: pgtype.Timestamptz{Time: from, Valid: true}, ToAt: pgtype.Timestamptz{Time: to, Valid: true}})
	if err != nil {
		return Period{}, fmt.Errorf("public ratings: %w", err)
	}
	p.Ratings = int32(ratings.Ratings)
	p.SatisfactionRate = share(int(ratings.Satisfied), int(ratings.Ratings))
	return p, nil
}

func share(n, of int) float64 {
	if of == 0 {
		return 0
	}
	return float64(n) / float64(of)
}
