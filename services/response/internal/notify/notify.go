// Package notify sends dispatch and SLA events to the departments' own systems
// as signed webhooks. The service writes its events through Outbox, which
// queues one delivery row per matching endpoint in the transaction that writes
// the event, so an event is queued exactly once; a worker posts due deliveries,
// retries failures with exponential backoff on the injected clock and moves a
// delivery that keeps failing to the dead-letter list, from which it can be
// replayed. Deliveries follow Standard Webhooks (webhook-id,
// webhook-timestamp, webhook-signature), as docs/webhooks.md documents.
package notify

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"golang.org/x/sync/errgroup"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/chuishao/whistle/platform/auth"
	"github.com/chuishao/whistle/platform/bus"
	"github.com/chuishao/whistle/platform/clock"
	"github.com/chuishao/whistle/platform/postgres"
	"github.com/chuishao/whistle/proto/events"
	eventsv1 "github.com/chuishao/whistle/proto/gen/whistle/events/v1"
	"github.com/chuishao/whistle/services/response/internal/dutystore"
	"github.com/chuishao/whistle/services/response/internal/response"
	"github.com/chuishao/whistle/services/response/internal/store"
)

// EventNames are the events a department's system is told about, and the
// 12345 returns a district's hotline system is told about (HotlineDesk).
var EventNames = []string{"dispatch.created", "sla.warning", "sla.breached", "sla.escalated", HotlineEvent}

// HotlineEvent is a 12345 ticket's result or follow-up outcome, posted to the
// endpoints of desk HotlineDesk in the ticket's district.
const HotlineEvent = "report.ticket_returned"

// HotlineDesk is the department code of a district's 12345 hotline system:
// an endpoint "hotline@<district>" receives the district's ticket returns.
const HotlineDesk = "hotline"

// Endpoint is where one department of one district receives its webhooks,
// or one of its channels (Kind other than KindWebhook).
type Endpoint struct {
	Department string
	DistrictID string
	// Kind is KindWebhook ("" means it too) or a channels kind.
	Kind   string
	URL    string
	Secret string
}

// ParseEndpoints reads WHISTLE_WEBHOOKS: comma-separated
// "department@district=url|secret" entries. Empty means no webhooks.
func ParseEndpoints(s string) ([]Endpoint, error) {
	var out []Endpoint
	for i, entry := range strings.Split(s, ",") {
		entry = strings.TrimSpace(entry)
		if entry == "" {
			continue
		}
		scope, target, ok := strings.Cut(entry, "=")
		dept, district, ok2 := strings.Cut(scope, "@")
		rawURL, secret, ok3 := strings.Cut(target, "|")
		if !ok || !ok2 || !ok3 || dept == "" || district == "" || secret == "" {
			return nil, fmt.Errorf("WHISTLE_WEBHOOKS entry %d: want department@district=url|secret", i+1)
		}
		if !isHTTPURL(rawURL) {
			return nil, fmt.Errorf("WHISTLE_WEBHOOKS entry %d: %q is not an http(s) URL", i+1, rawURL)
		}
		if strings.HasPrefix(secret, SecretPrefix) {
			if err := CheckSecret(secret); err != nil {
				return nil, fmt.Errorf("WHISTLE_WEBHOOKS entry %d: secret: %w", i+1, err)
			}
		}
		out = append(out, Endpoint{Department: dept, DistrictID: district, URL: rawURL, Secret: secret})
	}
	return out, nil
}

// isHTTPURL reports whether s is an absolute http(s) URL.
func isHTTPURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

// SyncEndpoints makes the configured endpoints the enabled ones: new ones are
// added, changed secrets rotated (the old one keeps signing beside the new for
// overlap), and endpoints no longer configured disabled (their deliveries and
// log stay). Endpoints added through the API stay as they are.
func SyncEndpoints(ctx context.Context, pool *pgxpool.Pool, now time.Time, overlap time.Duration, endpoints []Endpoint) error {
	return pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		q := dutystore.New(tx)
		keep := make([]int64, 0, len(endpoints))
		for _, e := range endpoints {
			if e.Kind == "" {
				e.Kind = KindWebhook
			}
			id, err := q.UpsertConfiguredEndpoint(ctx, dutystore.UpsertConfiguredEndpointParams{
				Department: e.Department, DistrictID: e.DistrictID, Url: e.URL, Secret: e.Secret, CreatedAt: now,
				PreviousUntil: now.Add(max(overlap, 0)), Kind: e.Kind,
			})
			if err != nil {
				return fmt.Errorf("save webhook endpoint %s@%s: %w", e.Department, e.DistrictID, err)
			}
			keep = append(keep, id)
		}
		if err := q.DisableOtherEnvEndpoints(ctx, keep); err != nil {
			return fmt.Errorf("disable unconfigured webhook endpoints: %w", err)
		}
		return nil
	})
}

// bodyOptions render an event as the webhook body: the proto field names, so
// the JSON matches events.proto.
var bodyOptions = protojson.MarshalOptions{UseProtoNames: true}

// desksOf are the desks whose endpoints hear of ev: its department's in its
// district and, for an escalation, the district's supervisors'.
func desksOf(ev *eventsv1.Event) []subscription {
	if events.Name(ev) == HotlineEvent {
		return []subscription{{HotlineDesk, ev.GetDistrictId()}}
	}
	out := []subscription{{ev.GetDepartment(), ev.GetDistrictId()}}
	if events.Name(ev) == "sla.escalated" && ev.GetDepartment() != SupervisorDesk {
		out = append(out, subscription{SupervisorDesk, ev.GetDistrictId()})
	}
	return out
}

// enqueue adds one delivery per enabled endpoint of the event's desks (see
// desksOf); beyond an endpoint's limit per window the event goes into the
// endpoint's digest instead (see Throttle). A channel to people (SMS, e-mail)
// goes to the shifts on duty now, and is skipped when nobody is.
func (o *Outbox) enqueue(ctx context.Context, tx pgx.Tx, ev *eventsv1.Event) error {
	clk, log := o.Clock, o.Log
	q := store.New(tx)
	var eps []store.WebhookEndpoint
	for _, desk := range desksOf(ev) {
		found, err := q.WebhookEndpointsFor(ctx, store.WebhookEndpointsForParams{Department: desk.department, DistrictID: desk.district})
		if err != nil {
			return fmt.Errorf("webhook endpoints for %s@%s: %w", desk.department, desk.district, err)
		}
		eps = append(eps, found...)
	}
	if len(eps) == 0 {
		return nil
	}
	body, err := bodyOptions.Marshal(ev)
	if err != nil {
		return bus.Permanent(fmt.Errorf("render event %s: %w", ev.GetId(), err))
	}
	now := clk.Now()
	added := int64(0)
	for _, ep := range eps {
		to, ok, err := recipients(ctx, dutystore.New(tx), ep.Kind, ep.Department, ep.DistrictID, now)
		if err != nil {
			return err
		}
		if !ok {
			log.Debug("nobody on duty to message", "event", ev.GetId(), "channel", ep.Kind, "desk", ep.Department+"@"+ep.DistrictID)
			continue
		}
		th := o.Throttle
		if ep.Kind != KindWebhook {
			th = o.ChannelThrottle
		}
		collected, err := th.collect(ctx, tx, ep.ID, ev, now, to)
		if err != nil {
			return err
		}
		if collected {
			continue
		}
		id, err := uuid.NewV7()
		if err != nil {
			return fmt.Errorf("delivery id: %w", err)
		}
		n, err := q.AddWebhookDelivery(ctx, store.AddWebhookDeliveryParams{
			ID: id.String(), EndpointID: ep.ID, EventID: ev.GetId(), EventName: events.Name(ev),
			DispatchID: ev.GetDispatchId(), Body: body, CreatedAt: now, Recipients: to,
		})
		if err != nil {
			return fmt.Errorf("queue delivery of event %s to endpoint %d: %w", ev.GetId(), ep.ID, err)
		}
		added += n
	}
	if added > 0 {
		store.WakeWebhookWorkers(tx)
		log.Debug("webhook deliveries queued", "event", ev.GetId(), "count", added)
	}
	return nil
}

// DeadLetter is a delivery that ran out of attempts.
type DeadLetter struct {
	ID, EventID, EventName, DispatchID string
	Department, DistrictID, URL        string
	Attempts                           int
	LastStatusCode                     int
	LastError                          string
	CreatedAt                          time.Time
}

// Attempt is one line of a dispatch's delivery log.
type Attempt struct {
	// URL is a webhook's URL, or a channel's masked target (kind, robot host
	// or masked contacts: never a robot key or a whole phone number).
	DeliveryID, EventName, URL string
	// Status is the delivery's current status: pending, delivered or dead.
	Status      string
	Attempt     int
	AttemptedAt time.Time
	// StatusCode is the receiver's HTTP status, 0 when none came.
	StatusCode int
	Error      string
}

// ErrNotDead is returned when replaying a delivery that is not a dead letter.
var ErrNotDead = errors.New("not a dead letter")

// Deliveries reads and replays deliveries (the supervisors' view).
type Deliveries struct {
	Pool  *pgxpool.Pool
	Clock clock.Clock
}

// DeadLetters lists up to limit dead letters, newest first; districtID "" means all districts.
func (d *Deliveries) DeadLetters(ctx context.Context, districtID string, limit int) ([]DeadLetter, error) {
	rows, err := store.New(d.Pool).ListDeadWebhookDeliveries(ctx, store.ListDeadWebhookDeliveriesParams{
		DistrictID: districtID, MaxRows: int32(limit),
	})
	if err != nil {
		return nil, fmt.Errorf("list dead webhook deliveries: %w", err)
	}
	out := make([]DeadLetter, len(rows))
	for i, r := range rows {
		out[i] = DeadLetter{
			ID: r.ID, EventID: r.EventID, EventName: r.EventName, DispatchID: r.DispatchID,
			Department: r.Department, DistrictID: r.DistrictID, URL: logTarget(r.Kind, r.Url, ""),
			Attempts: int(r.Attempts), LastStatusCode: int(r.LastStatusCode), LastError: r.LastError, CreatedAt: r.CreatedAt.UTC(),
		}
	}
	return out, nil
}

// Replay queues a dead letter of districtID ("" for any district) again, due
// now, with a fresh attempt budget. An unknown id, a delivery that is not dead
// and another district's are all ErrNotDead, so ids cannot be probed.
func (d *Deliveries) Replay(ctx context.Context, districtID, id string) error {
	return postgres.InTx(ctx, d.Pool, func(tx pgx.Tx) error {
		q := store.New(tx)
		n, err := q.ReplayWebhookDelivery(ctx, store.ReplayWebhookDeliveryParams{ID: id, Now: d.Clock.Now(), DistrictID: districtID})
		if err != nil {
			return fmt.Errorf("replay delivery %s: %w", id, err)
		}
		if n == 0 {
			return fmt.Errorf("replay delivery %s: %w", id, ErrNotDead)
		}
		store.WakeWebhookWorkers(tx)
		return nil
	})
}

// Log is every delivery attempt for a dispatch's events to endpoints of
// districtID ("" for any district), oldest first, including the digests that
// listed the dispatch.
func (d *Deliveries) Log(ctx context.Context, districtID, dispatchID string) ([]Attempt, error) {
	rows, err := store.New(d.Pool).WebhookDeliveryLog(ctx, store.WebhookDeliveryLogParams{DispatchID: dispatchID, DistrictID: districtID})
	if err != nil {
		return nil, fmt.Errorf("delivery log of dispatch %s: %w", dispatchID, err)
	}
	digests, err := dutystore.New(d.Pool).DigestDeliveryLog(ctx, dutystore.DigestDeliveryLogParams{DispatchID: dispatchID, DistrictID: districtID})
	if err != nil {
		return nil, fmt.Errorf("digest log of dispatch %s: %w", dispatchID, err)
	}
	for _, r := range digests {
		rows = append(rows, store.WebhookDeliveryLogRow(r))
	}
	slices.SortStableFunc(rows, func(a, b store.WebhookDeliveryLogRow) int { return a.AttemptedAt.Compare(b.AttemptedAt) })
	out := make([]Attempt, len(rows))
	for i, r := range rows {
		out[i] = Attempt{
			DeliveryID: r.DeliveryID, EventName: r.EventName, URL: logTarget(r.Kind, r.Url, r.Target), Status: r.Status,
			Attempt: int(r.Attempt), AttemptedAt: r.AttemptedAt.UTC(), StatusCode: int(r.StatusCode), Error: r.Error,
		}
	}
	return out, nil
}

// Notifier is the background half of outbound webhooks as one task: a
// worker that posts the deliveries Outbox queued, and the periodic reload of
// the Subscriptions.
type Notifier struct {
	Pool  *pgxpool.Pool
	Clock clock.Clock
	Log   *slog.Logger
	// Subscriptions are reloaded every Refresh (default DefaultRefresh).
	Subscriptions *Subscriptions
	Refresh       time.Duration
	// Worker's Pool, Clock and Log are set from the Notifier's.
	Worker Worker
}

// Run delivers until ctx is cancelled.
func (n *Notifier) Run(ctx context.Context) error {
	w := n.Worker
	w.Pool, w.Clock, w.Log = n.Pool, n.Clock, n.Log
	refresh := n.Refresh
	if refresh <= 0 {
		refresh = DefaultRefresh
	}
	g, ctx := errgroup.WithContext(ctx)
	g.Go(func() error { return n.Subscriptions.refresh(ctx, n.Clock, n.Log, refresh) })
	g.Go(func() error { return w.Run(ctx) })
	return g.Wait()
}

// Scope is the district whose dead letters caller may see and replay ("" for
// every district), given the district it asked for ("" for its whole scope).
// ok is false when it asked for a district outside its scope, which then looks
// empty. Only supervisors and admins see webhooks.
func Scope(caller auth.Identity, requested string) (district string, ok bool, err error) {
	switch {
	case caller.Role == auth.RoleAdmin, caller.Role == auth.RoleSupervisor && caller.DistrictID == "":
		return requested, true, nil
	case caller.Role == auth.RoleSupervisor:
		return caller.DistrictID, requested == "" || requested == caller.DistrictID, nil
	}
	return "", false, fmt.Errorf("%w: webhook dead letters are for supervisors and admins", response.ErrPermission)
}

// logTarget is where a delivery went as the log shows it: a webhook's URL, or
// a channel's target masked when it was sent.
func logTarget(kind, url, target string) string {
	if kind == KindWebhook {
		return url
	}
	if target != "" {
		return target
	}
	if host, _, ok := strings.Cut(url, "?"); ok {
		return kind + " " + host // a robot's URL carries its key
	}
	return kind
}
