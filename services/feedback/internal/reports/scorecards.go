package reports

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/chuishao/whistle/platform/auth"
	"github.com/chuishao/whistle/platform/postgres"

	"github.com/chuishao/whistle/services/feedback/internal/feedback"
	"github.com/chuishao/whistle/services/feedback/internal/store"
)

// Durations are the median and 90th percentile, in seconds, of how long a
// step took, over Count dispatches.
type Durations struct {
	MedianSeconds, P90Seconds float64
	Count                     int64
}

// Scorecard is one department's or street's counts, breaches by escalation
// level, step times, composite under the weights and rank.
type Scorecard struct {
	Key string
	feedback.Counts
	BreachesLevel1, BreachesLevel2, BreachesLevel3 int64
	ToAcknowledge, ToArrive, ToResolve             Durations
	FarArrivals, UnlocatedArrivals                 int64
	Composite                                      float64
	Rank                                           int
}

// Scorecards are a period's scorecards, best composite first.
type Scorecards struct {
	Weights  feedback.Weights
	ByStreet bool
	Cards    []Scorecard
}

// Scorecards returns the scorecards of the district's departments (or
// streets, byStreet) over the period the caller names, ranked under w or,
// when w is zero, the weights set for the period's month.
func (s *Service) Scorecards(ctx context.Context, caller auth.Identity, district string, from, to *time.Time, w feedback.Weights, byStreet bool) (Scorecards, error) {
	p, err := period(caller, district, from, to)
	if err != nil {
		return Scorecards{}, err
	}
	if err := w.Validate(); err != nil {
		return Scorecards{}, feedback.Invalid("weights", "%s", err.Error())
	}
	if w.IsZero() {
		if w, err = s.periodWeights(ctx, p.From); err != nil {
			return Scorecards{}, err
		}
	}
	return s.scorecards(ctx, p, w, byStreet)
}

// scorecards computes the scorecards of p grouped by department or street,
// ranked by their composite under w.
func (s *Service) scorecards(ctx context.Context, p Period, w feedback.Weights, byStreet bool) (Scorecards, error) {
	rows, err := store.New(s.Pool).Scorecards(ctx, store.ScorecardsParams{
		ByStreet:   byStreet,
		DistrictID: p.District, FromAt: tstz(p.From), ToAt: tstz(p.To),
	})
	if err != nil {
		return Scorecards{}, fmt.Errorf("scorecards of %s: %w", p.District, err)
	}
	cards := make([]Scorecard, 0, len(rows))
	ranked := make([]feedback.Ranked, 0, len(rows))
	for _, r := range rows {
		c := feedback.Counts{
			Dispatched: r.Dispatched, ResponseBase: r.ResponseBase, AckedOnTime: r.AckedOnTime,
			ArrivalBase: r.ArrivalBase, ArrivedOnTime: r.ArrivedOnTime, ResolvedOnTime: r.ResolvedOnTime,
			Returned: r.Returned, AcceptedReturns: r.AcceptedReturns, ResolutionBase: r.ResolutionBase,
			Resolved: r.Resolved, Reopened: r.Reopened, Rated: r.Rated, Satisfied: r.Satisfied,
			NotRated: r.NotRated, Breaches: r.Breaches, ExcusedBreaches: r.ExcusedBreaches,
		}
		composite := w.Composite(c.Rates())
		cards = append(cards, Scorecard{
			Key: r.Key, Counts: c,
			BreachesLevel1: r.BreachesLevel1, BreachesLevel2: r.BreachesLevel2, BreachesLevel3: r.BreachesLevel3,
			ToAcknowledge:     Durations{MedianSeconds: r.AckP50, P90Seconds: r.AckP90, Count: r.AckCount},
			ToArrive:          Durations{MedianSeconds: r.ArriveP50, P90Seconds: r.ArriveP90, Count: r.ArriveCount},
			ToResolve:         Durations{MedianSeconds: r.ResolveP50, P90Seconds: r.ResolveP90, Count: r.ResolveCount},
			FarArrivals:       r.FarArrivals,
			UnlocatedArrivals: r.UnlocatedArrivals,
			Composite:         composite,
		})
		ranked = append(ranked, feedback.Ranked{Key: r.Key, Composite: composite})
	}
	order, ranks := feedback.Rank(ranked)
	out := Scorecards{Weights: w, ByStreet: byStreet}
	for _, i := range order {
		cards[i].Rank = ranks[i]
		out.Cards = append(out.Cards, cards[i])
	}
	return out, nil
}

// periodWeights are the weights set for the month (Beijing time) that
// contains from, or the defaults.
func (s *Service) periodWeights(ctx context.Context, from time.Time) (feedback.Weights, error) {
	month := from.In(feedback.ReportZone).Format("2006-01")
	row, err := store.New(s.Pool).GetScorecardWeights(ctx, month)
	if errors.Is(err, pgx.ErrNoRows) {
		return feedback.DefaultWeights, nil
	}
	if err != nil {
		return feedback.Weights{}, fmt.Errorf("weights of %s: %w", month, err)
	}
	return feedback.Weights{Response: row.Response, Arrival: row.Arrival, Resolution: row.Resolution, Satisfaction: row.Satisfaction}, nil
}

// SetWeights sets a month's (YYYY-MM) composite weights (admin only).
func (s *Service) SetWeights(ctx context.Context, caller auth.Identity, month string, w feedback.Weights) error {
	if caller.Role != auth.RoleAdmin {
		return feedback.ErrWrongRole
	}
	var v feedback.Violations
	if _, err := time.Parse("2006-01", month); err != nil {
		v.Add("month", "must be YYYY-MM")
	}
	if err := w.Validate(); err != nil {
		v.Addf("weights", "%s", err.Error())
	} else if w.IsZero() {
		v.Add("weights", "at least one weight must be positive")
	}
	if err := v.Err(); err != nil {
		return err
	}
	// In a transaction, so that the call commits with its audit record.
	err := postgres.InTx(ctx, s.Pool, func(tx pgx.Tx) error {
		return store.New(tx).SetScorecardWeights(ctx, store.SetScorecardWeightsParams{
			Month: month, Response: w.Response, Arrival: w.Arrival, Resolution: w.Resolution,
			Satisfaction: w.Satisfaction, SetBy: caller.Subject, SetAt: tstz(s.Clock.Now()),
		})
	})
	if err != nil {
		return fmt.Errorf("set weights of %s: %w", month, err)
	}
	return nil
}
