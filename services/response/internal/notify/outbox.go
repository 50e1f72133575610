package notify

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/chuishao/whistle/platform/bus/outbox"
	"github.com/chuishao/whistle/platform/clock"
	"github.com/chuishao/whistle/platform/postgres"
	"github.com/chuishao/whistle/proto/events"
	eventsv1 "github.com/chuishao/whistle/proto/gen/whistle/events/v1"
	"github.com/chuishao/whistle/services/response/internal/dutystore"
)

// DefaultRefresh is how often the subscriptions are reloaded to see endpoints
// changed through another replica.
const DefaultRefresh = 30 * time.Second

// Outbox is where the response service writes its events: it adds them to
// the outbox and, in the same transaction, queues one delivery per enabled
// endpoint of each event's department and district (EventNames only), so a
// committed event has its deliveries and a rolled-back one has none. The
// common case, no endpoint for the event, costs no statement. A nil *Outbox
// writes the events only (no webhooks).
type Outbox struct {
	Clock    clock.Clock
	Log      *slog.Logger
	Throttle Throttle
	// ChannelThrottle is the Throttle of channels (SMS, robots, e-mail).
	ChannelThrottle Throttle
	Subscriptions   *Subscriptions
}

// Add writes evs to the outbox in their order and queues their webhook deliveries in tx.
func (o *Outbox) Add(ctx context.Context, tx pgx.Tx, evs ...*eventsv1.Event) error {
	if err := outbox.AddAll(ctx, tx, evs); err != nil {
		return err
	}
	return o.queue(ctx, tx, evs)
}

// AddCaused is Add for events of different causes (outbox.AddCaused).
func (o *Outbox) AddCaused(ctx context.Context, tx pgx.Tx, evs []outbox.Caused) error {
	if err := outbox.AddCaused(ctx, tx, evs); err != nil {
		return err
	}
	plain := make([]*eventsv1.Event, len(evs))
	for i, c := range evs {
		plain[i] = c.Event
	}
	return o.queue(ctx, tx, plain)
}

// Deliver queues the webhook deliveries of ev, an event another service
// wrote and published, in tx: nothing is added to the outbox.
func (o *Outbox) Deliver(ctx context.Context, tx pgx.Tx, ev *eventsv1.Event) error {
	return o.queue(ctx, tx, []*eventsv1.Event{ev})
}

// queue queues the webhook deliveries of evs in tx.
func (o *Outbox) queue(ctx context.Context, tx pgx.Tx, evs []*eventsv1.Event) error {
	if o == nil {
		return nil
	}
	for _, ev := range evs {
		if !slices.Contains(EventNames, events.Name(ev)) || !o.Subscriptions.mayHave(desksOf(ev)) {
			continue
		}
		if err := o.enqueue(ctx, tx, ev); err != nil {
			return err
		}
	}
	return nil
}

// Subscriptions are the departments and districts that have an enabled
// endpoint, held in memory so that an event nobody subscribes to is not
// looked up. They are reloaded after every change made through this process
// and periodically (Notifier) for changes made through another replica; until
// the first load, and while a change is under way, every event is looked up.
type Subscriptions struct {
	Pool *pgxpool.Pool

	mu       sync.Mutex
	gen      uint64 // bumped at the start and end of every change
	changing int    // changes under way
	scopes   map[subscription]bool
	loaded   bool
}

type subscription struct{ department, district string }

// mayHave reports whether an enabled endpoint may match one of desks.
func (s *Subscriptions) mayHave(desks []subscription) bool {
	if s == nil {
		return true
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.loaded || s.changing > 0 {
		return true
	}
	for _, d := range desks {
		if s.scopes[d] {
			return true
		}
	}
	return false
}

// Reload reads the enabled endpoints. A load that a change overlapped is
// dropped: the change reloads after itself.
func (s *Subscriptions) Reload(ctx context.Context) error {
	if s == nil {
		return nil
	}
	s.mu.Lock()
	gen := s.gen
	s.mu.Unlock()
	rows, err := dutystore.New(s.Pool).SubscribedDesks(ctx)
	if err != nil {
		return fmt.Errorf("load webhook subscriptions: %w", err)
	}
	scopes := make(map[subscription]bool, len(rows))
	for _, r := range rows {
		scopes[subscription{r.Department, r.DistrictID}] = true
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.gen == gen {
		s.scopes, s.loaded = scopes, true
	}
	return nil
}

// change runs f, which changes endpoints, and reloads once f's transaction
// has ended (postgres.AfterTx: f's own, or the caller's that f joined).
// Meanwhile every event is looked up, so none committed after the change is
// missed.
func (s *Subscriptions) change(ctx context.Context, f func() error) error {
	if s == nil {
		return f()
	}
	s.mu.Lock()
	s.changing++
	s.gen++
	s.mu.Unlock()
	err := f()
	// The change is in the database once its transaction has ended: an admin
	// action's transaction commits with its audit record after f returns.
	postgres.AfterTx(ctx, func() {
		s.mu.Lock()
		s.changing--
		s.gen++
		s.mu.Unlock()
		if rerr := s.Reload(context.WithoutCancel(ctx)); rerr != nil {
			// Look every event up until the next periodic load succeeds.
			s.mu.Lock()
			s.loaded = false
			s.mu.Unlock()
		}
	})
	return err
}

// refresh reloads the subscriptions every period until ctx is cancelled; a
// failed load is retried at the next period (events are looked up meanwhile
// only if no load ever succeeded).
func (s *Subscriptions) refresh(ctx context.Context, clk clock.Clock, log *slog.Logger, period time.Duration) error {
	for {
		if err := s.Reload(ctx); err != nil && ctx.Err() == nil {
			log.WarnContext(ctx, "webhook subscriptions not reloaded", "error", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-clk.After(period):
		}
	}
}
