// Package bus is the platform's JetStream plumbing: connecting, declaring the
// event stream, running an embedded server, and consuming events idempotently.
// Publishing goes through the transactional outbox (package outbox) only.
package bus

import (
	"context"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/chuishao/whistle/proto/events"
)

// StreamName is the one stream that carries every whistle, dispatch and SLA event.
const StreamName = "WHISTLE"

// DuplicateWindow is how long JetStream remembers a Nats-Msg-Id: long enough
// for a relay's re-publish after an unanswered publish (seconds) or a quick
// restart, short enough that the ids held in the server's memory stay few at
// full rate. A copy published later is a new message that the consumers skip
// by event id (processed_events, then their own keys).
const DuplicateWindow = 2 * time.Minute

// Connect opens a NATS connection that keeps reconnecting, and its JetStream
// handle; opts add credentials and TLS (Client.Options).
func Connect(url, name string, opts ...nats.Option) (*nats.Conn, jetstream.JetStream, error) {
	opts = append([]nats.Option{nats.Name(name), nats.MaxReconnects(-1), nats.RetryOnFailedConnect(true),
		nats.ReconnectWait(250 * time.Millisecond)}, opts...)
	nc, err := nats.Connect(url, opts...)
	if err != nil {
		return nil, nil, fmt.Errorf("connect to nats at %s: %w", url, err)
	}
	js, err := jetstream.New(nc)
	if err != nil {
		nc.Close()
		return nil, nil, fmt.Errorf("jetstream: %w", err)
	}
	return nc, js, nil
}

// EnsureStream declares the event stream, or updates it to this configuration.
// Every service calls it at start-up, so start order does not matter.
func EnsureStream(ctx context.Context, js jetstream.JetStream, replicas int) error {
	_, err := js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
		Name:       StreamName,
		Subjects:   events.Subjects,
		Storage:    jetstream.FileStorage,
		Retention:  jetstream.LimitsPolicy,
		MaxAge:     30 * 24 * time.Hour,
		Duplicates: DuplicateWindow,
		Replicas:   replicas,
	})
	if err != nil {
		return fmt.Errorf("declare stream %s: %w", StreamName, err)
	}
	return nil
}
