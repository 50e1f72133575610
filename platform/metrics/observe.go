package metrics

import (
	"context"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
)

// collectTimeout bounds a gauge's look at Postgres or NATS during a scrape, so
// a stuck dependency slows /metrics down but does not hang it.
const collectTimeout = 2 * time.Second

// ObserveOutbox reports a service's outbox backlog (events committed but not
// yet published) and the age of its oldest event at every collection, as read
// by backlog. A growing age means the relay cannot reach NATS. Call stop when
// the relay stops.
func ObserveOutbox(service string, backlog func(ctx context.Context) (pending int64, oldestSeconds float64, err error)) (stop func(), err error) {
	m := Meter()
	pendingG, err := m.Int64ObservableGauge(OutboxBacklog,
		metric.WithDescription("Events committed to the outbox but not yet published to JetStream."))
	if err != nil {
		return nil, err
	}
	ageG, err := m.Float64ObservableGauge(OutboxOldestAge, metric.WithUnit("s"),
		metric.WithDescription("Age of the oldest unpublished outbox event (0 when empty)."))
	if err != nil {
		return nil, err
	}
	attrs := metric.WithAttributes(attribute.String("service", service))
	reg, err := m.RegisterCallback(func(ctx context.Context, o metric.Observer) error {
		ctx, cancel := context.WithTimeout(ctx, collectTimeout)
		defer cancel()
		pending, age, err := backlog(ctx)
		if err != nil {
			return err
		}
		o.ObserveInt64(pendingG, pending, attrs)
		o.ObserveFloat64(ageG, age, attrs)
		return nil
	}, pendingG, ageG)
	if err != nil {
		return nil, err
	}
	return func() { _ = reg.Unregister() }, nil
}

// ObserveConsumer reports a durable consumer's lag at every collection, as read
// by info (the consumer info's NumPending and NumAckPending): pending events
// not yet delivered, and delivered ones not yet acknowledged. Replicas sharing
// a durable consumer report the same numbers. Call stop when the consumer stops.
func ObserveConsumer(consumer string, info func(ctx context.Context) (pending, ackPending uint64, err error)) (stop func(), err error) {
	m := Meter()
	pendingG, err := m.Int64ObservableGauge(ConsumerPending,
		metric.WithDescription("Events in the stream matching a consumer's filter that it has not been delivered yet (JetStream NumPending)."))
	if err != nil {
		return nil, err
	}
	ackG, err := m.Int64ObservableGauge(ConsumerAckPending,
		metric.WithDescription("Events delivered to a consumer and not yet acknowledged (JetStream NumAckPending)."))
	if err != nil {
		return nil, err
	}
	attrs := metric.WithAttributes(attribute.String("consumer", consumer))
	reg, err := m.RegisterCallback(func(ctx context.Context, o metric.Observer) error {
		ctx, cancel := context.WithTimeout(ctx, collectTimeout)
		defer cancel()
		pending, ackPending, err := info(ctx)
		if err != nil {
			return err
		}
		o.ObserveInt64(pendingG, int64(pending), attrs)
		o.ObserveInt64(ackG, int64(ackPending), attrs)
		return nil
	}, pendingG, ackG)
	if err != nil {
		return nil, err
	}
	return func() { _ = reg.Unregister() }, nil
}
