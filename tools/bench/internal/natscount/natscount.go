// Package natscount counts the NATS messages a benchmark moved through
// JetStream: events published into the streams and messages delivered to
// their durable consumers (redeliveries included). Acks and flow control are
// not counted.
package natscount

import (
	"context"
	"fmt"

	"github.com/nats-io/nats.go/jetstream"
)

// Snapshot is every stream's last sequence and every consumer's delivered
// count at one moment.
type Snapshot struct {
	published map[string]uint64 // stream → last sequence
	delivered map[string]uint64 // stream/consumer → deliveries
}

// Take reads the counters of every stream and consumer of the account.
func Take(ctx context.Context, js jetstream.JetStream) (Snapshot, error) {
	s := Snapshot{published: map[string]uint64{}, delivered: map[string]uint64{}}
	streams := js.ListStreams(ctx)
	for info := range streams.Info() {
		s.published[info.Config.Name] = info.State.LastSeq
		st, err := js.Stream(ctx, info.Config.Name)
		if err != nil {
			return s, fmt.Errorf("natscount: stream %s: %w", info.Config.Name, err)
		}
		consumers := st.ListConsumers(ctx)
		for ci := range consumers.Info() {
			s.delivered[info.Config.Name+"/"+ci.Name] = ci.Delivered.Consumer
		}
		if err := consumers.Err(); err != nil {
			return s, fmt.Errorf("natscount: consumers of %s: %w", info.Config.Name, err)
		}
	}
	if err := streams.Err(); err != nil {
		return s, fmt.Errorf("natscount: streams: %w", err)
	}
	return s, nil
}

// Since is what moved between before and s: events published and deliveries.
// A consumer created in between counts all its deliveries.
func (s Snapshot) Since(before Snapshot) (published, delivered uint64) {
	for k, v := range s.published {
		published += v - min(v, before.published[k])
	}
	for k, v := range s.delivered {
		delivered += v - min(v, before.delivered[k])
	}
	return published, delivered
}
