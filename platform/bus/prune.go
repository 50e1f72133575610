package bus

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/chuishao/whistle/platform/bus/internal/busdb"
	"github.com/chuishao/whistle/platform/clock"
)

// Defaults of the Pruner.
const (
	// DefaultRetention keeps a consumer's record of a handled event for a
	// week: far longer than any redelivery (AckWait), any re-publish that
	// JetStream lets through after DuplicateWindow, and a relay's outage.
	DefaultRetention = 7 * 24 * time.Hour
	// MinRetention is the shortest retention a service may be configured with.
	MinRetention = 24 * time.Hour
	// DefaultPruneEvery is the pause between two rounds of pruning.
	DefaultPruneEvery = time.Minute
	// DefaultPruneBatch is the most rows one statement deletes.
	DefaultPruneBatch = 5000
)

// Pruner deletes the consumers' records of handled events (processed_events)
// once they are older than Retention, so that de-duplication state stays
// bounded. A replay older than that is handled again; every handler is
// idempotent on its own keys as well (docs/decisions.md, "Bounded dedup
// state"). Any number of replicas may prune one schema.
type Pruner struct {
	Pool  *pgxpool.Pool
	Clock clock.Clock
	Log   *slog.Logger
	// Retention is how long a record is kept (default DefaultRetention).
	Retention time.Duration
	// Every is the pause between rounds (default DefaultPruneEvery).
	Every time.Duration
	// Batch is the most rows per statement (default DefaultPruneBatch).
	Batch int32
}

// Run prunes a round every Every until ctx is cancelled; a failed round is
// logged and tried again at the next one (the rows only wait).
func (p *Pruner) Run(ctx context.Context) error {
	every := p.Every
	if every <= 0 {
		every = DefaultPruneEvery
	}
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-p.Clock.After(every):
		}
		if _, err := p.Prune(ctx); err != nil && ctx.Err() == nil {
			p.Log.WarnContext(ctx, "processed events not pruned", "error", err)
		}
	}
}

// Prune deletes every record older than Retention, Batch rows per statement,
// and returns how many it deleted.
func (p *Pruner) Prune(ctx context.Context) (int64, error) {
	retention, batch := p.Retention, p.Batch
	if retention <= 0 {
		retention = DefaultRetention
	}
	if batch <= 0 {
		batch = DefaultPruneBatch
	}
	q := busdb.New(p.Pool)
	var total int64
	for ctx.Err() == nil {
		n, err := q.PruneProcessedEvents(ctx, busdb.PruneProcessedEventsParams{
			RetentionSeconds: retention.Seconds(), MaxRows: batch,
		})
		if err != nil {
			return total, fmt.Errorf("prune processed events: %w", err)
		}
		total += n
		if n < int64(batch) {
			break
		}
	}
	return total, nil
}
