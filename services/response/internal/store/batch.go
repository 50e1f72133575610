package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// Batched forms of the queries a new dispatch needs: statements that do not
// wait on each other's answers travel in one round trip (a pgx.Batch), which
// is what bounds the response consumer under load (docs/benchmarks.md).

// Preflight is what creating a dispatch reads before writing.
type Preflight struct {
	// Cancelled: the whistle was cancelled; no dispatch is created.
	Cancelled bool
	// Policy is the category's limits in the district, when one is set.
	Policy    Policy
	HasPolicy bool
}

// PreflightDispatch takes the whistle's lock, then reads whether the whistle
// was cancelled and the policy of category in district, in one round trip.
// Each statement of the batch runs after the one before it (with its own
// snapshot under read committed), so the cancellation check sees a
// cancellation committed while the lock was awaited.
func PreflightDispatch(ctx context.Context, tx pgx.Tx, whistleID, category, districtID string) (Preflight, error) {
	b := &pgx.Batch{}
	b.Queue(lockWhistle, whistleID)
	b.Queue(isWhistleCancelled, whistleID)
	b.Queue(findPolicy, category, districtID)
	res := tx.SendBatch(ctx, b)
	var p Preflight
	err := func() error {
		if _, err := res.Exec(); err != nil {
			return fmt.Errorf("lock whistle: %w", err)
		}
		if err := res.QueryRow().Scan(&p.Cancelled); err != nil {
			return fmt.Errorf("whistle cancelled: %w", err)
		}
		i := &p.Policy
		err := res.QueryRow().Scan(&i.Category, &i.DistrictID, &i.AckWithinS, &i.ArriveWithinS,
			&i.ResolveWithinS, &i.ResolveWorkingDays, &i.UpdatedAt)
		switch {
		case errors.Is(err, pgx.ErrNoRows):
		case err != nil:
			return fmt.Errorf("policy of %s in %s: %w", category, districtID, err)
		default:
			p.HasPolicy = true
		}
		return nil
	}()
	if closeErr := res.Close(); err == nil {
		err = closeErr
	}
	return p, err
}

// QueueAddTimers queues AddTimers on b.
func QueueAddTimers(b *pgx.Batch, arg AddTimersParams) {
	b.Queue(addTimers, arg.DispatchID, arg.CreatedAt, arg.Clocks, arg.Kinds, arg.DueAts)
}

// QueueNotifyTimers queues NotifyTimers on b.
func QueueNotifyTimers(b *pgx.Batch) {
	b.Queue(notifyTimers)
}
