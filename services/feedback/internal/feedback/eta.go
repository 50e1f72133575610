package feedback

import (
	"time"
)

// The honest ETA (docs/eta.md): a dispatch's expected arrival and resolution
// from the history of its district's department × category, by the hour of
// day it was dispatched in.
const (
	// EtaWindow is how far back the history reaches.
	EtaWindow = 90 * 24 * time.Hour
	// MinEtaSamples is the least history an estimate rests on: below it the
	// hour's bucket falls back to any hour, and that to the SLA deadline.
	MinEtaSamples = 20
	// AnyHour is the bucket of every hour of day.
	AnyHour = -1
)

// beijing is the time zone whose hour of day buckets the history (China keeps no summer time).
var beijing = time.FixedZone("CST", 8*3600)

// HourOf is t's hour of day in Beijing, the history's bucket.
func HourOf(t time.Time) int { return t.In(beijing).Hour() }

// EtaBucket is the history of one hour of day (or AnyHour): samples, median
// and 80th percentile, in seconds, of dispatch → arrival and dispatch → resolution.
type EtaBucket struct {
	Hour          int     `json:"hour"`
	ArriveN       int64   `json:"arrive_n"`
	ArriveMedian  float64 `json:"arrive_median_s"`
	ArriveP80     float64 `json:"arrive_p80_s"`
	ResolveN      int64   `json:"resolve_n"`
	ResolveMedian float64 `json:"resolve_median_s"`
	ResolveP80    float64 `json:"resolve_p80_s"`
}

// EtaStats are a department × category's buckets by hour (AnyHour included).
type EtaStats map[int]EtaBucket

// Basis says what an estimate rests on.
type Basis int

// Bases, in the order an estimate tries them.
const (
	BasisNone Basis = iota
	// BasisActual: it happened.
	BasisActual
	// BasisDesk: the desk's own ETA (arrival only).
	BasisDesk
	// BasisHistoryHour: the department × category in the same hour of day.
	BasisHistoryHour
	// BasisHistoryAnyHour: the department × category at any hour.
	BasisHistoryAnyHour
	// BasisSLA: the deadline, for want of history.
	BasisSLA
)

// Estimate is one expected time and what it rests on.
type Estimate struct {
	ExpectedAt time.Time
	// P80At is when 4 in 5 were done (history only).
	P80At   time.Time
	Basis   Basis
	Samples int64
	Note    string
}

// DeskEta is the ETA a desk stated for arriving.
type DeskEta struct {
	At   time.Time
	Note string
}

// EtaInput is what a dispatch's estimate needs; zero times are "not yet".
type EtaInput struct {
	DispatchedAt, ArriveBy, ResolveBy, ArrivedAt, ResolvedAt time.Time
	Desk                                                     *DeskEta
	Stats                                                    EtaStats
}

// EstimateDispatch is a dispatch's expected arrival and resolution: what
// happened; else for arriving the desk's own ETA; else the history of the
// hour of day it was dispatched in when it has MinEtaSamples, else of any
// hour, else the SLA deadline. A resolution is never expected before the
// arrival it needs.
func EstimateDispatch(in EtaInput) (arrival, resolution Estimate) {
	hour := HourOf(in.DispatchedAt)
	switch {
	case !in.ArrivedAt.IsZero():
		arrival = Estimate{ExpectedAt: in.ArrivedAt, Basis: BasisActual}
	case in.Desk != nil:
		arrival = Estimate{ExpectedAt: in.Desk.At, Basis: BasisDesk, Note: in.Desk.Note}
	default:
		arrival = fromHistory(in.DispatchedAt, in.Stats, hour, func(b EtaBucket) (int64, float64, float64) {
			return b.ArriveN, b.ArriveMedian, b.ArriveP80
		}, in.ArriveBy)
	}
	if !in.ResolvedAt.IsZero() {
		return arrival, Estimate{ExpectedAt: in.ResolvedAt, Basis: BasisActual}
	}
	resolution = fromHistory(in.DispatchedAt, in.Stats, hour, func(b EtaBucket) (int64, float64, float64) {
		return b.ResolveN, b.ResolveMedian, b.ResolveP80
	}, in.ResolveBy)
	if !arrival.ExpectedAt.IsZero() && resolution.ExpectedAt.Before(arrival.ExpectedAt) {
		resolution.ExpectedAt = arrival.ExpectedAt
	}
	return arrival, resolution
}

// fromHistory is start plus the median (and p80) of the first bucket, of
// hour and then of any hour, with MinEtaSamples; else the deadline.
func fromHistory(start time.Time, stats EtaStats, hour int, pick func(EtaBucket) (n int64, median, p80 float64), deadline time.Time) Estimate {
	for _, h := range []int{hour, AnyHour} {
		b, ok := stats[h]
		if !ok {
			continue
		}
		n, median, p80 := pick(b)
		if n < MinEtaSamples {
			continue
		}
		basis := BasisHistoryHour
		if h == AnyHour {
			basis = BasisHistoryAnyHour
		}
		return Estimate{ExpectedAt: start.Add(seconds(median)), P80At: start.Add(seconds(p80)), Basis: basis, Samples: n}
	}
	if deadline.IsZero() {
		return Estimate{}
	}
	return Estimate{ExpectedAt: deadline, Basis: BasisSLA}
}

func seconds(s float64) time.Duration {
	return time.Duration(s * float64(time.Second)).Round(time.Second)
}
