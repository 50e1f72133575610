package feedback

import (
	"cmp"
	"errors"
	"slices"
	"time"

	"github.com/chuishao/whistle/platform/auth"
)

// Hotspot analysis bounds: a period of at most 24 months, six by default.
const (
	MaxHotspotMonths     = 24
	DefaultHotspotMonths = 6
	MaxHotspotPairs      = 500
	DefaultHotspotPairs  = 20
)

// Hotspot orders.
const (
	HotspotOrderTotal  = "TOTAL"
	HotspotOrderRising = "RISING"
)

// HotspotScope decides what a hotspot analysis covers for id: a street only
// its own street; a district supervisor its district; a city supervisor or an admin whatever it asks for ("" = all).
// Asking for another street or district is ErrOutOfScope.
func HotspotScope(id auth.Identity, district, street string) (string, string, error) {
	switch id.Role {
	case auth.RoleStreet:
		if id.StreetID == "" || (street != "" && street != id.StreetID) || (district != "" && id.DistrictID != "" && district != id.DistrictID) {
			return "", "", ErrOutOfScope
		}
		return id.DistrictID, id.StreetID, nil
	case auth.RoleSupervisor, auth.RoleAdmin:
		d, err := ReportScope(id, district)
		return d, street, err
	}
	return "", "", ErrWrongRole
}

// HotspotMonths parses a period of months "YYYY-MM" (Beijing time), the last
// defaulting to now's month and the first to DefaultHotspotMonths-1 months
// before the last. It returns the months oldest first and the instants
// [from, to) that cover them plus the month before (for the first month's
// trend). The errors name the field.
func HotspotMonths(fromMonth, toMonth string, now time.Time) (months []string, from, to time.Time, field string, err error) {
	last := monthStart(now.In(ReportZone))
	if toMonth != "" {
		if last, err = time.ParseInLocation("2006-01", toMonth, ReportZone); err != nil {
			return nil, from, to, "to_month", errors.New("must be YYYY-MM")
		}
	}
	first := last.AddDate(0, -(DefaultHotspotMonths - 1), 0)
	if fromMonth != "" {
		if first, err = time.ParseInLocation("2006-01", fromMonth, ReportZone); err != nil {
			return nil, from, to, "from_month", errors.New("must be YYYY-MM")
		}
	}
	if first.After(last) {
		return nil, from, to, "from_month", errors.New("must not be after to_month")
	}
	for m := first; !m.After(last); m = m.AddDate(0, 1, 0) {
		months = append(months, m.Format("2006-01"))
	}
	if len(months) > MaxHotspotMonths {
		return nil, from, to, "from_month", errors.New("the period must not exceed 24 months")
	}
	return months, first.AddDate(0, -1, 0), last.AddDate(0, 1, 0), "", nil
}

func monthStart(t time.Time) time.Time {
	return time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, t.Location())
}

// HotspotCount is one row of the read model's counts: a street × category ×
// month of a district. Total is the appeals counted once (see MonthCounts).
type HotspotCount struct {
	District, Street, Category, Month string
	Whistles, Reports, Tickets, Total int64
}

// MonthCounts are a month's whistles, reports (not 12345), 12345 tickets,
// the appeals counted once (reports and tickets, and the whistles no report
// led to), and Total's change over the month before.
type MonthCounts struct {
	Month                                     string
	Whistles, Reports, Tickets, Total, Change int64
}

func (m *MonthCounts) add(c HotspotCount) {
	m.Whistles += c.Whistles
	m.Reports += c.Reports
	m.Tickets += c.Tickets
	m.Total += c.Total
}

// HotspotPair is one category on one street over a period: the sums, the last
// month against the month before, and every month of the period.
type HotspotPair struct {
	District, Street, Category string
	Sum                        MonthCounts
	Last, Previous, Change     int64
	Months                     []MonthCounts
}

// Hotspots is an analysis: the selection's counts per month, the pairs with
// at least minTotal appeals in the order asked for (at most limit of them),
// and how many pairs there were.
type Hotspots struct {
	Series    []MonthCounts
	Pairs     []HotspotPair
	PairCount int
}

// AnalyzeHotspots folds counts into an analysis of months (oldest first);
// counts of the month before the first give the first month's change.
func AnalyzeHotspots(months []string, counts []HotspotCount, order string, minTotal, limit int) Hotspots {
	index := make(map[string]int, len(months))
	for i, m := range months {
		index[m] = i + 1 // slot 0 is the month before the period
	}
	lead := len(months) + 1
	series := make([]MonthCounts, lead)
	type key struct{ district, street, category string }
	byPair := map[key][]MonthCounts{}
	for _, c := range counts {
		i, ok := index[c.Month]
		if !ok {
			i = 0
		}
		series[i].add(c)
		k := key{c.District, c.Street, c.Category}
		if byPair[k] == nil {
			byPair[k] = make([]MonthCounts, lead)
		}
		byPair[k][i].add(c)
	}
	out := Hotspots{Series: withChanges(months, series)}
	for k, ms := range byPair {
		p := HotspotPair{District: k.district, Street: k.street, Category: k.category, Months: withChanges(months, ms)}
		for _, m := range p.Months {
			p.Sum.Whistles += m.Whistles
			p.Sum.Reports += m.Reports
			p.Sum.Tickets += m.Tickets
			p.Sum.Total += m.Total
		}
		if p.Sum.Total < int64(max(minTotal, 1)) {
			continue
		}
		lastMonth := p.Months[len(p.Months)-1]
		p.Last, p.Change = lastMonth.Total, lastMonth.Change
		p.Previous = p.Last - p.Change
		out.Pairs = append(out.Pairs, p)
	}
	out.PairCount = len(out.Pairs)
	slices.SortFunc(out.Pairs, func(a, b HotspotPair) int {
		if order == HotspotOrderRising {
			if c := cmp.Compare(b.Change, a.Change); c != 0 {
				return c
			}
		}
		if c := cmp.Compare(b.Sum.Total, a.Sum.Total); c != 0 {
			return c
		}
		if c := cmp.Compare(b.Change, a.Change); c != 0 {
			return c
		}
		return cmp.Or(cmp.Compare(a.District, b.District), cmp.Compare(a.Street, b.Street), cmp.Compare(a.Category, b.Category))
	})
	if limit > 0 && len(out.Pairs) > limit {
		out.Pairs = out.Pairs[:limit]
	}
	return out
}

// withChanges drops the lead slot of ms after using it for the first month's
// change, and names each month.
func withChanges(months []string, ms []MonthCounts) []MonthCounts {
	out := make([]MonthCounts, len(months))
	for i, m := range months {
		c := ms[i+1]
		c.Month = m
		c.Change = c.Total - ms[i].Total
		out[i] = c
	}
	return out
}
