package notify

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/chuishao/whistle/proto/events"
	eventsv1 "github.com/chuishao/whistle/proto/gen/whistle/events/v1"
	"github.com/chuishao/whistle/services/response/internal/dutystore"
	"github.com/chuishao/whistle/services/response/internal/store"
)

// DigestEvent is the Whistle-Event of a digest delivery.
const DigestEvent = "webhook.digest"

// DefaultPerMinute is the default limit of individual deliveries per endpoint and minute.
const DefaultPerMinute = 30

// Throttle bounds what a storm sends one endpoint: at most PerMinute
// individual deliveries in any Window; every further event goes into the
// endpoint's open digest, one delivery that is sent a Window after it opened
// and lists every event it collected. A storm of any size thus costs an
// endpoint at most PerMinute deliveries plus one digest per Window, and no
// event is lost: each is either delivered alone or listed in a digest.
type Throttle struct {
	// PerMinute is the limit; 0 or less means no limit.
	PerMinute int
	// Window is the throttle's period; 0 means a minute.
	Window time.Duration
}

func (th Throttle) window() time.Duration {
	if th.Window <= 0 {
		return time.Minute
	}
	return th.Window
}

// collect puts ev into endpoint's digest when the endpoint has had its share
// of individual deliveries in the window, and reports whether it did. The
// endpoint's row is locked, so concurrent consumers count one after another.
// A person channel's digest goes to everyone on duty for any of its events (to).
func (th Throttle) collect(ctx context.Context, tx pgx.Tx, endpoint int64, ev *eventsv1.Event, now time.Time, to []string) (bool, error) {
	if th.PerMinute <= 0 {
		return false, nil
	}
	q := dutystore.New(tx)
	if err := q.LockEndpoint(ctx, endpoint); err != nil {
		return false, fmt.Errorf("lock webhook endpoint %d: %w", endpoint, err)
	}
	recent, err := q.RecentDeliveries(ctx, dutystore.RecentDeliveriesParams{EndpointID: endpoint, Since: now.Add(-th.window())})
	if err != nil {
		return false, fmt.Errorf("count recent deliveries to endpoint %d: %w", endpoint, err)
	}
	if recent < int64(th.PerMinute) {
		return false, nil
	}
	digest, err := q.OpenDigest(ctx, endpoint)
	if errors.Is(err, pgx.ErrNoRows) {
		digest = uuid.Must(uuid.NewV7()).String()
		if err := q.AddDigest(ctx, dutystore.AddDigestParams{ID: digest, EndpointID: endpoint, DueAt: now.Add(th.window()), CreatedAt: now}); err != nil {
			return false, fmt.Errorf("open digest of endpoint %d: %w", endpoint, err)
		}
		// The workers sleep until the next due delivery: tell them of this one.
		store.WakeWebhookWorkers(tx)
	} else if err != nil {
		return false, fmt.Errorf("open digest of endpoint %d: %w", endpoint, err)
	}
	err = q.AddDigestItem(ctx, dutystore.AddDigestItemParams{
		DeliveryID: digest, EventID: ev.GetId(), EventName: events.Name(ev), DispatchID: ev.GetDispatchId(),
		WhistleID: ev.GetWhistleId(), OccurredAt: ev.GetOccurredAt().AsTime(),
	})
	if err != nil {
		return false, fmt.Errorf("collect event %s into digest %s: %w", ev.GetId(), digest, err)
	}
	if len(to) > 0 {
		if err := q.AddDigestRecipients(ctx, dutystore.AddDigestRecipientsParams{ID: digest, Recipients: to}); err != nil {
			return false, fmt.Errorf("recipients of digest %s: %w", digest, err)
		}
	}
	return true, nil
}

// Digest is the body of a digest delivery.
type Digest struct {
	// Type is always webhook.digest.
	Type  string `json:"type"`
	Count int    `json:"count"`
	// Items are the events collected, in arrival order.
	Items []DigestItem `json:"items"`
	// DispatchIDs are the dispatches the items are about, each once, in order.
	DispatchIDs []string `json:"dispatch_ids"`
}

// DigestItem is one event listed in a digest.
type DigestItem struct {
	EventID    string    `json:"event_id"`
	EventName  string    `json:"event_name"`
	DispatchID string    `json:"dispatch_id"`
	WhistleID  string    `json:"whistle_id"`
	OccurredAt time.Time `json:"occurred_at"`
}

// seal writes the body of digest delivery id from its items, when it is
// first claimed; later attempts send the same bytes. New events meanwhile
// open a new digest, because a sealed one has a body.
func seal(ctx context.Context, tx pgx.Tx, id string) ([]byte, error) {
	q := dutystore.New(tx)
	rows, err := q.DigestItems(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("items of digest %s: %w", id, err)
	}
	d := Digest{Type: DigestEvent, Count: len(rows), Items: make([]DigestItem, len(rows)), DispatchIDs: []string{}}
	seen := map[string]bool{}
	for i, r := range rows {
		d.Items[i] = DigestItem{EventID: r.EventID, EventName: r.EventName, DispatchID: r.DispatchID, WhistleID: r.WhistleID, OccurredAt: r.OccurredAt.UTC()}
		if r.DispatchID != "" && !seen[r.DispatchID] {
			seen[r.DispatchID] = true
			d.DispatchIDs = append(d.DispatchIDs, r.DispatchID)
		}
	}
	body, err := json.Marshal(d)
	if err != nil {
		return nil, fmt.Errorf("render digest %s: %w", id, err)
	}
	if err := q.SealDigest(ctx, dutystore.SealDigestParams{ID: id, Body: body}); err != nil {
		return nil, fmt.Errorf("seal digest %s: %w", id, err)
	}
	return body, nil
}
