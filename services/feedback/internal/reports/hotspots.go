package reports

import (
	"context"
	"fmt"
	"time"

	"github.com/chuishao/whistle/platform/auth"

	"github.com/chuishao/whistle/services/feedback/internal/feedback"
	"github.com/chuishao/whistle/services/feedback/internal/store"
)

// Hotspot is a category × street pair that keeps coming back: its whistles
// in the window and in the window before.
type Hotspot struct {
	StreetID, Category   string
	Count, PreviousCount int64
	LastRaisedAt         time.Time
}

// Trend is how many more whistles the window had than the one before.
func (h Hotspot) Trend() int64 { return h.Count - h.PreviousCount }

// Hotspots are the top pairs of the window [WindowStart, WindowEnd).
type Hotspots struct {
	WindowStart, WindowEnd time.Time
	Hotspots               []Hotspot
}

// HotspotQuery is what a hotspot request names; a zero At is now, zero
// Limit and MinCount the defaults.
type HotspotQuery struct {
	District        string
	At              time.Time
	Limit, MinCount int
}

// Hotspots is 未诉先办: the category × street pairs of a district that keep
// coming back over the last 30 days, with the 30 days before for trend.
func (s *Service) Hotspots(ctx context.Context, caller auth.Identity, h HotspotQuery) (Hotspots, error) {
	var v feedback.Violations
	district, err := districtScope(caller, h.District, &v)
	if err != nil {
		return Hotspots{}, err
	}
	if h.Limit < 0 || h.Limit > 200 {
		v.Add("limit", "must be between 0 and 200")
	}
	if h.MinCount < 0 {
		v.Add("min_count", "must not be negative")
	}
	if err := v.Err(); err != nil {
		return Hotspots{}, err
	}
	at := h.At
	if at.IsZero() {
		at = s.Clock.Now()
	}
	return s.hotspots(ctx, district, at, h.Limit, h.MinCount)
}

// hotspots lists the top pairs of the window of feedback.HotspotWindow ending at end.
func (s *Service) hotspots(ctx context.Context, district string, end time.Time, limit, minCount int) (Hotspots, error) {
	if limit == 0 {
		limit = feedback.DefaultHotspotLimit
	}
	if minCount == 0 {
		minCount = feedback.DefaultHotspotMinCount
	}
	start := end.Add(-feedback.HotspotWindow)
	rows, err := store.New(s.Pool).Hotspots(ctx, store.HotspotsParams{
		DistrictID: district, WindowStart: tstz(start), PreviousStart: tstz(start.Add(-feedback.HotspotWindow)),
		WindowEnd: tstz(end), MinCount: int64(minCount), MaxRows: int32(limit),
	})
	if err != nil {
		return Hotspots{}, fmt.Errorf("hotspots of %s: %w", district, err)
	}
	out := Hotspots{WindowStart: start, WindowEnd: end}
	for _, r := range rows {
		out.Hotspots = append(out.Hotspots, Hotspot{
			StreetID: r.StreetID, Category: r.Category, Count: r.Count, PreviousCount: r.PreviousCount,
			LastRaisedAt: r.LastRaisedAt.Time,
		})
	}
	return out, nil
}

// AnalysisQuery is what a hotspot analysis request names; zero Limit and
// Order are the defaults.
type AnalysisQuery struct {
	District, Street, Category string
	FromMonth, ToMonth         string
	Limit, MinTotal            int
	Order                      string
}

// Analysis is a hotspot analysis with the names of the streets and
// categories its pairs show.
type Analysis struct {
	District, Street           string
	Months                     []string
	StreetNames, CategoryNames map[string]string
	feedback.Hotspots
}

// AnalyzeHotspots is 未诉先办 over whistles, reports and 12345 tickets: per
// street × category × Beijing month of the period, with each month's change
// and the top pairs, in the caller's scope.
func (s *Service) AnalyzeHotspots(ctx context.Context, caller auth.Identity, a AnalysisQuery) (Analysis, error) {
	district, street, err := feedback.HotspotScope(caller, a.District, a.Street)
	if err != nil {
		return Analysis{}, err
	}
	var v feedback.Violations
	months, from, to, field, perr := feedback.HotspotMonths(a.FromMonth, a.ToMonth, s.Clock.Now())
	if perr != nil {
		v.Addf(field, "%s", perr.Error())
	}
	if a.Limit < 0 || a.Limit > feedback.MaxHotspotPairs {
		v.Addf("limit", "must be between 0 and %d", feedback.MaxHotspotPairs)
	}
	if a.MinTotal < 0 {
		v.Add("min_total", "must not be negative")
	}
	order := a.Order
	switch order {
	case "":
		order = feedback.HotspotOrderTotal
	case feedback.HotspotOrderTotal, feedback.HotspotOrderRising:
	default:
		v.Add("order_by", "must be TOTAL or RISING")
	}
	if err := v.Err(); err != nil {
		return Analysis{}, err
	}
	rows, err := store.New(s.Pool).HotspotMonthCounts(ctx, store.HotspotMonthCountsParams{
		DistrictID: district, StreetID: street, Category: a.Category, FromAt: tstz(from), ToAt: tstz(to),
	})
	if err != nil {
		return Analysis{}, fmt.Errorf("hotspot counts of %q/%q: %w", district, street, err)
	}
	counts := make([]feedback.HotspotCount, len(rows))
	for i, r := range rows {
		counts[i] = feedback.HotspotCount{
			District: r.DistrictID, Street: r.StreetID, Category: r.Category, Month: r.Month,
			Whistles: r.Whistles, Reports: r.Reports, Tickets: r.Tickets, Total: r.Counted,
		}
	}
	limit := a.Limit
	if limit == 0 {
		limit = feedback.DefaultHotspotPairs
	}
	out := Analysis{
		District: district, Street: street, Months: months,
		Hotspots: feedback.AnalyzeHotspots(months, counts, order, a.MinTotal, limit),
	}
	names := s.Names.Book()
	for _, p := range out.Pairs {
		names.Street(ctx, p.Street)
		names.Category(ctx, p.Category)
	}
	out.StreetNames, out.CategoryNames = names.Streets, names.Categories
	return out, nil
}
