package events

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5/pgtype"

	eventsv1 "github.com/chuishao/whistle/proto/gen/whistle/events/v1"
	intakev1 "github.com/chuishao/whistle/proto/gen/whistle/intake/v1"

	"github.com/chuishao/whistle/services/feedback/internal/store"
)

// reportFact is one report_facts row: where and what a report (grid worker,
// resident, street, 12345 ticket) was about, and the whistle it became.
type reportFact struct {
	ReportID, Source, DistrictID, StreetID, Category, WhistleID string
	ReceivedAt                                                  pgtype.Timestamptz
}

func reportFactOf(ev *eventsv1.Event, r *intakev1.Report) reportFact {
	return reportFact{
		ReportID:   r.GetId(),
		Source:     r.GetSource().String(),
		DistrictID: firstOf(r.GetDistrictId(), ev.GetDistrictId()),
		StreetID:   firstOf(r.GetStreetId(), ev.GetStreetId()),
		Category:   r.GetCategory(),
		WhistleID:  r.GetWhistleId(),
		ReceivedAt: tsOf(firstTime(r.GetReceivedAt(), ev.GetOccurredAt())),
	}
}

func upsertReports(ctx context.Context, q *store.Queries, reports map[string]reportFact) error {
	if len(reports) == 0 {
		return nil
	}
	var p store.UpsertReportFactsParams
	for _, r := range sortedValues(reports) {
		p.ReportIds = append(p.ReportIds, r.ReportID)
		p.Sources = append(p.Sources, r.Source)
		p.DistrictIds = append(p.DistrictIds, r.DistrictID)
		p.StreetIds = append(p.StreetIds, r.StreetID)
		p.Categories = append(p.Categories, r.Category)
		p.ReceivedAts = append(p.ReceivedAts, r.ReceivedAt)
		p.WhistleIds = append(p.WhistleIds, r.WhistleID)
	}
	if err := q.UpsertReportFacts(ctx, p); err != nil {
		return fmt.Errorf("project: %d reports: %w", len(reports), err)
	}
	return nil
}
