// Package metrics names Whistle's own instruments (the series listed in
// docs/operations.md) and records them.
//
// The business series (whistles raised, dispatch transitions, SLA at-risk and
// breached, timer lateness) are derived from the events the outbox relay has
// published: every state change in Whistle commits together with its event, so
// counting published events counts exactly the committed changes, in the
// service that made them, and no service code has to remember to count.
//
// Instruments come from the global meter provider at the time of use, so a
// test that installs its own provider sees them (telemetry.Setup installs the
// process's provider in production).
package metrics

import (
	"context"
	"sync"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"github.com/chuishao/whistle/proto/events"
	eventsv1 "github.com/chuishao/whistle/proto/gen/whistle/events/v1"
)

// MeterName is the instrumentation scope of every instrument in this package.
const MeterName = "github.com/chuishao/whistle/platform/metrics"

// Instrument names, as exported to Prometheus (counters gain _total, the
// histogram _seconds_bucket/_sum/_count).
const (
	WhistlesRaised     = "whistle_whistles_raised"
	DispatchTransition = "whistle_dispatch_transitions"
	SLAAtRisk          = "whistle_sla_at_risk"
	SLABreached        = "whistle_sla_breached"
	TimerLateness      = "whistle_timer_lateness"
	OutboxBacklog      = "whistle_outbox_backlog"
	OutboxOldestAge    = "whistle_outbox_oldest_age"
	OutboxDeadLetters  = "whistle_outbox_dead_letters"
	AuditOutsideTx     = "whistle_audit_outside_tx"
	ConsumerPending    = "whistle_consumer_pending"
	ConsumerAckPending = "whistle_consumer_ack_pending"
	SQLStatements      = "whistle_sql_statements"
)

// Meter is the meter of Whistle's own instruments on the current global provider.
func Meter() metric.Meter { return otel.GetMeterProvider().Meter(MeterName) }

type instruments struct {
	provider   metric.MeterProvider
	raised     metric.Int64Counter
	dispatches metric.Int64Counter
	atRisk     metric.Int64Counter
	breached   metric.Int64Counter
	lateness   metric.Float64Histogram
	statements metric.Int64Counter
	dead       metric.Int64Counter
	outsideTx  metric.Int64Counter
}

var (
	mu     sync.Mutex
	cached *instruments
)

// current returns the instruments of the current global provider, creating
// them when the provider has changed (once per process outside tests).
func current() *instruments {
	mp := otel.GetMeterProvider()
	mu.Lock()
	defer mu.Unlock()
	if cached != nil && cached.provider == mp {
		return cached
	}
	m := mp.Meter(MeterName)
	in := &instruments{provider: mp}
	// Creating an instrument only fails on an invalid name, fixed here; the
	// returned instrument is a usable no-op even then.
	in.raised, _ = m.Int64Counter(WhistlesRaised,
		metric.WithDescription("Whistles raised, by category."))
	in.dispatches, _ = m.Int64Counter(DispatchTransition,
		metric.WithDescription("Dispatches entering a state (PENDING when created, ACKNOWLEDGED, ARRIVED, RESOLVED, RETURNED, CANCELLED), by department."))
	in.atRisk, _ = m.Int64Counter(SLAAtRisk,
		metric.WithDescription("SLA warnings: a dispatch's deadline is near, by department and clock (ack, arrive, resolve)."))
	in.breached, _ = m.Int64Counter(SLABreached,
		metric.WithDescription("SLA breaches: a dispatch missed its deadline, by department and clock."))
	in.lateness, _ = m.Float64Histogram(TimerLateness,
		metric.WithUnit("s"),
		metric.WithDescription("How long after the deadline an SLA breach timer fired, by clock."),
		metric.WithExplicitBucketBoundaries(0, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 120, 300, 900))
	in.statements, _ = m.Int64Counter(SQLStatements,
		metric.WithDescription("SQL statements the service sent to PostgreSQL (each statement of a pipelined batch counts, and each COPY)."))
	in.dead, _ = m.Int64Counter(OutboxDeadLetters,
		metric.WithDescription("Outbox events the relay could never publish (too large, bad subject or headers), moved to the dead-letter table, by service."))
	in.outsideTx, _ = m.Int64Counter(AuditOutsideTx,
		metric.WithDescription("Audited admin actions that answered OK without running in their audit record's transaction (their record was written after them, alone), by service and method."))
	cached = in
	return in
}

// Statement counts one SQL statement sent to PostgreSQL (platform/postgres
// calls it for every query, batched query and COPY of a service's pool).
func Statement(ctx context.Context) {
	current().statements.Add(ctx, 1)
}

// DeadLettered counts an outbox event that service's relay moved to its
// dead-letter table instead of publishing it.
func DeadLettered(ctx context.Context, service string) {
	current().dead.Add(ctx, 1, metric.WithAttributes(attribute.String("service", service)))
}

// AuditedOutsideTx counts an audited admin action of service that answered
// OK without running in the transaction of its audit record.
func AuditedOutsideTx(ctx context.Context, service, method string) {
	current().outsideTx.Add(ctx, 1, metric.WithAttributes(attribute.String("service", service), attribute.String("method", method)))
}

// Published records what a published event stands for. The outbox relay calls
// it once per event after JetStream acknowledged it.
func Published(ctx context.Context, ev *eventsv1.Event) {
	in := current()
	dept := attribute.String("department", ev.GetDepartment())
	switch p := ev.GetPayload().(type) {
	case *eventsv1.Event_WhistleRaised:
		in.raised.Add(ctx, 1, metric.WithAttributes(attribute.String("category", p.WhistleRaised.GetWhistle().GetCategory())))
	case *eventsv1.Event_SlaWarning:
		clk := attribute.String("clock", p.SlaWarning.GetClock())
		in.atRisk.Add(ctx, 1, metric.WithAttributes(dept, clk))
	case *eventsv1.Event_SlaBreached:
		clk := attribute.String("clock", p.SlaBreached.GetClock())
		in.breached.Add(ctx, 1, metric.WithAttributes(dept, clk))
		recordLateness(ctx, in, ev, p.SlaBreached.GetDueAt().AsTime(), clk)
	default:
		if state, ok := dispatchState(ev); ok {
			in.dispatches.Add(ctx, 1, metric.WithAttributes(attribute.String("state", state), dept))
		}
	}
}

// dispatchStates maps each dispatch event to the state it moves its dispatch into.
var dispatchStates = map[string]string{
	"dispatch.created":      "PENDING",
	"dispatch.acknowledged": "ACKNOWLEDGED",
	"dispatch.arrived":      "ARRIVED",
	"dispatch.resolved":     "RESOLVED",
	"dispatch.returned":     "RETURNED",
	"dispatch.cancelled":    "CANCELLED",
}

func dispatchState(ev *eventsv1.Event) (string, bool) {
	state, ok := dispatchStates[events.Name(ev)]
	return state, ok
}

// recordLateness observes how late a breach timer fired: the event's time (the
// clock when the timer fired) minus the deadline it was set for. Warnings fire
// before the deadline and their own due time is not in the event, so only
// breaches are measured.
func recordLateness(ctx context.Context, in *instruments, ev *eventsv1.Event, due time.Time, clk attribute.KeyValue) {
	if ev.GetOccurredAt() == nil || due.IsZero() || due.Unix() == 0 {
		return
	}
	late := max(ev.GetOccurredAt().AsTime().Sub(due), 0)
	in.lateness.Record(ctx, late.Seconds(), metric.WithAttributes(clk))
}
