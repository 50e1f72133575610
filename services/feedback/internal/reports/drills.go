package reports

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/chuishao/whistle/platform/auth"
	"github.com/chuishao/whistle/platform/drill"

	"github.com/chuishao/whistle/services/feedback/internal/feedback"
	"github.com/chuishao/whistle/services/feedback/internal/store"
)

// Drill report groupings.
const (
	ByDepartment = "DEPARTMENT"
	ByCategory   = "CATEGORY"
	ByStreet     = "STREET"
)

// DrillQuery is what a drill report request names: the drill, the district,
// the real period it replayed (nil when left out) and the grouping.
type DrillQuery struct {
	DrillID, District string
	RealFrom, RealTo  *time.Time
	GroupBy           string
}

// DrillRow is one group's on-time counts in the drill and in the real period.
type DrillRow struct {
	Key         string
	Drill, Real feedback.OnTime
}

// DrillReport is a drill's on-time counts next to the real ones of the
// period it replayed, per group (in key order) and in total.
type DrillReport struct {
	DrillID, District string
	RealFrom, RealTo  time.Time
	GroupBy           string
	Rows              []DrillRow
	Total             DrillRow
}

// DrillReport is a drill's on-time rates next to the real ones of the period
// it replayed, for the district's supervisor or an admin.
func (s *Service) DrillReport(ctx context.Context, caller auth.Identity, d DrillQuery) (DrillReport, error) {
	var v feedback.Violations
	district, err := feedback.ReportScope(caller, d.District)
	if err != nil {
		return DrillReport{}, err
	}
	if err := drill.Validate(d.DrillID); err != nil {
		v.Addf("drill_id", "%s", err)
	}
	if district == "" {
		v.Add("district", "is required")
	}
	span(&v, "real_from", "real_to", d.RealFrom, d.RealTo)
	if err := v.Err(); err != nil {
		return DrillReport{}, err
	}
	rows, err := store.New(s.Pool).DrillOnTime(ctx, store.DrillOnTimeParams{
		GroupBy: d.GroupBy, DrillID: d.DrillID, DistrictID: district, RealFrom: tstz(*d.RealFrom), RealTo: tstz(*d.RealTo),
	})
	if err != nil {
		return DrillReport{}, fmt.Errorf("drill report %s of %s: %w", d.DrillID, district, err)
	}
	byKey := map[string]DrillRow{}
	total := DrillRow{Key: "total"}
	for _, r := range rows {
		o := feedback.OnTime{Dispatched: r.Dispatched, AckedOnTime: r.AckedOnTime, ArrivalBase: r.ArrivalBase,
			ArrivedOnTime: r.ArrivedOnTime, ResolvedOnTime: r.ResolvedOnTime}
		row := byKey[r.Key]
		row.Key = r.Key
		if r.Drill {
			row.Drill, total.Drill = o, total.Drill.Add(o)
		} else {
			row.Real, total.Real = o, total.Real.Add(o)
		}
		byKey[r.Key] = row
	}
	out := DrillReport{
		DrillID: d.DrillID, District: district, RealFrom: *d.RealFrom, RealTo: *d.RealTo, GroupBy: d.GroupBy, Total: total,
	}
	for _, k := range slices.Sorted(maps.Keys(byKey)) {
		out.Rows = append(out.Rows, byKey[k])
	}
	return out, nil
}
