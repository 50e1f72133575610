package feedback

import (
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/chuishao/whistle/platform/auth"
)

// ErrOutOfScope means the caller may use the method but not on that district.
var ErrOutOfScope = errors.New("district outside the caller's scope")

// Counts are the SLA facts of a set of dispatches (see docs/feedback.md for
// each definition). The *Base fields are the denominators of the rates.
type Counts struct {
	Dispatched      int64
	ResponseBase    int64
	AckedOnTime     int64
	ArrivalBase     int64
	ArrivedOnTime   int64
	ResolvedOnTime  int64
	Returned        int64
	AcceptedReturns int64
	ResolutionBase  int64
	Resolved        int64
	Reopened        int64
	Rated           int64
	Satisfied       int64
	NotRated        int64
	Breaches        int64
	ExcusedBreaches int64
}

// Add is the sum of c and o, for a report's total line.
func (c Counts) Add(o Counts) Counts {
	return Counts{
		Dispatched:      c.Dispatched + o.Dispatched,
		ResponseBase:    c.ResponseBase + o.ResponseBase,
		AckedOnTime:     c.AckedOnTime + o.AckedOnTime,
		ArrivalBase:     c.ArrivalBase + o.ArrivalBase,
		ArrivedOnTime:   c.ArrivedOnTime + o.ArrivedOnTime,
		ResolvedOnTime:  c.ResolvedOnTime + o.ResolvedOnTime,
		Returned:        c.Returned + o.Returned,
		AcceptedReturns: c.AcceptedReturns + o.AcceptedReturns,
		ResolutionBase:  c.ResolutionBase + o.ResolutionBase,
		Resolved:        c.Resolved + o.Resolved,
		Reopened:        c.Reopened + o.Reopened,
		Rated:           c.Rated + o.Rated,
		Satisfied:       c.Satisfied + o.Satisfied,
		NotRated:        c.NotRated + o.NotRated,
		Breaches:        c.Breaches + o.Breaches,
		ExcusedBreaches: c.ExcusedBreaches + o.ExcusedBreaches,
	}
}

// Rates are the 三率 plus the arrival rate, each in [0, 1]. A rate whose
// denominator is zero is 0: there was nothing to score.
type Rates struct {
	Response     float64
	Arrival      float64
	Resolution   float64
	Satisfaction float64
}

// Rates computes the rates of c.
func (c Counts) Rates() Rates {
	return Rates{
		Response:     ratio(c.AckedOnTime, c.ResponseBase),
		Arrival:      ratio(c.ArrivedOnTime, c.ArrivalBase),
		Resolution:   ratio(c.Resolved, c.ResolutionBase),
		Satisfaction: ratio(c.Satisfied, c.Rated),
	}
}

func ratio(n, d int64) float64 {
	if d <= 0 {
		return 0
	}
	return float64(n) / float64(d)
}

// Weights of the composite score, in percent (any scale; they are normalised).
type Weights struct {
	Response     float64
	Arrival      float64
	Resolution   float64
	Satisfaction float64
}

// DefaultWeights are 10 / 45 / 45 for response / resolution / satisfaction;
// the arrival weight is 0 unless a period configures it.
var DefaultWeights = Weights{Response: 10, Resolution: 45, Satisfaction: 45}

// IsZero reports whether no weight is set, meaning "use the default".
func (w Weights) IsZero() bool { return w == Weights{} }

// Validate rejects negative weights.
func (w Weights) Validate() error {
	if w.Response < 0 || w.Arrival < 0 || w.Resolution < 0 || w.Satisfaction < 0 {
		return errors.New("must not be negative")
	}
	return nil
}

// Composite is the weighted mean of r on a 0-100 scale.
func (w Weights) Composite(r Rates) float64 {
	sum := w.Response + w.Arrival + w.Resolution + w.Satisfaction
	if sum <= 0 {
		return 0
	}
	return 100 * (w.Response*r.Response + w.Arrival*r.Arrival + w.Resolution*r.Resolution + w.Satisfaction*r.Satisfaction) / sum
}

// Ranked is something with a composite score to rank.
type Ranked struct {
	Key       string
	Composite float64
}

// Rank orders items best composite first (ties by key) and gives each its
// rank: equal composites share a rank (1, 2, 2, 4).
func Rank(items []Ranked) (order []int, ranks []int) {
	order = make([]int, len(items))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool {
		ia, ib := items[order[a]], items[order[b]]
		if ia.Composite != ib.Composite {
			return ia.Composite > ib.Composite
		}
		return ia.Key < ib.Key
	})
	ranks = make([]int, len(items))
	for pos, i := range order {
		if pos > 0 && items[i].Composite == items[order[pos-1]].Composite {
			ranks[i] = ranks[order[pos-1]]
		} else {
			ranks[i] = pos + 1
		}
	}
	return order, ranks
}

// MaxPeriod bounds a report's period, so one request cannot scan years.
const MaxPeriod = 366 * 24 * time.Hour

// ReportScope decides which district a report covers for id: the requested
// one, or the supervisor's own when none is requested. Only supervisors and
// admins read reports; a district supervisor only its district.
func ReportScope(id auth.Identity, district string) (string, error) {
	switch id.Role {
	case auth.RoleSupervisor, auth.RoleAdmin:
	default:
		return "", ErrWrongRole
	}
	if district == "" {
		district = id.DistrictID
	}
	if id.Role == auth.RoleSupervisor && id.DistrictID != "" && id.DistrictID != district {
		return "", fmt.Errorf("report on district %s: %w", district, ErrOutOfScope)
	}
	return district, nil
}

// ReportZone is where report days begin and end: Beijing time, UTC+8 all
// year (China has no daylight saving time), so no tz database is needed.
var ReportZone = time.FixedZone("CST", 8*3600)

// Days is the run of whole days [First, End), each a midnight in ReportZone.
type Days struct {
	First, End time.Time
}

// Empty reports whether the run holds no day.
func (d Days) Empty() bool { return !d.First.Before(d.End) }

// WholeDays is the run of whole ReportZone days inside [from, to): the first
// midnight at or after from up to the last midnight at or before to.
func WholeDays(from, to time.Time) Days {
	midnight := func(t time.Time) time.Time {
		t = t.In(ReportZone)
		return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, ReportZone)
	}
	first := midnight(from)
	if first.Before(from) {
		first = first.AddDate(0, 0, 1)
	}
	return Days{First: first, End: midnight(to)}
}

// Hotspot defaults: a rolling 30-day window compared with the 30 days before;
// a pair needs two whistles in the window to be a hotspot at all.
const (
	HotspotWindow          = 30 * 24 * time.Hour
	DefaultHotspotLimit    = 20
	DefaultHotspotMinCount = 2
)
