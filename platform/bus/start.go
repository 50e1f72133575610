package bus

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// Start is where a durable consumer that does not exist yet begins reading
// the stream: at its first event (the zero Start, the default), at the first
// event stored at or after At, or, with New, at the events stored after its
// creation. It is read only when the consumer is created: a consumer that
// exists keeps its position and its own start.
type Start struct {
	New bool
	At  time.Time
}

// String is how WHISTLE_CONSUMER_START writes s.
func (s Start) String() string {
	switch {
	case s.New:
		return "new"
	case !s.At.IsZero():
		return s.At.Format(time.RFC3339)
	}
	return "all"
}

// Starts are the starts of the consumers named, by durable name; a consumer
// not named starts at the stream's first event.
type Starts map[string]Start

// UnmarshalText reads WHISTLE_CONSUMER_START: comma-separated
// <durable>=<start>, a start being "all", "new" or an RFC 3339 time, e.g.
// "reports=2026-12-01T00:00:00+08:00,audit=new".
func (s *Starts) UnmarshalText(text []byte) error {
	out := Starts{}
	for item := range strings.SplitSeq(string(text), ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		name, value, ok := strings.Cut(item, "=")
		name, value = strings.TrimSpace(name), strings.TrimSpace(value)
		if !ok || name == "" {
			return fmt.Errorf("WHISTLE_CONSUMER_START %q: want <durable>=<all|new|RFC 3339 time>", item)
		}
		if _, dup := out[name]; dup {
			return fmt.Errorf("WHISTLE_CONSUMER_START %q: %s is named twice", item, name)
		}
		switch value {
		case "all":
			out[name] = Start{}
		case "new":
			out[name] = Start{New: true}
		default:
			at, err := time.Parse(time.RFC3339, value)
			if err != nil {
				return fmt.Errorf("WHISTLE_CONSUMER_START %q: want all, new or an RFC 3339 time: %w", item, err)
			}
			out[name] = Start{At: at}
		}
	}
	if len(out) == 0 {
		out = nil // every consumer starts at the stream's first event
	}
	*s = out
	return nil
}

// deliverFrom sets cfg's deliver policy: the one of the durable consumer
// cfg names if it exists (JetStream cannot change it, and a consumer's
// position is never moved by a setting), else start's.
func deliverFrom(ctx context.Context, js jetstream.JetStream, stream string, cfg *jetstream.ConsumerConfig, start Start) error {
	cons, err := js.Consumer(ctx, stream, cfg.Durable)
	switch {
	case err == nil:
		have := cons.CachedInfo().Config
		cfg.DeliverPolicy, cfg.OptStartTime, cfg.OptStartSeq = have.DeliverPolicy, have.OptStartTime, have.OptStartSeq
		return nil
	case !errors.Is(err, jetstream.ErrConsumerNotFound):
		return fmt.Errorf("look up consumer %s: %w", cfg.Durable, err)
	case start.New:
		cfg.DeliverPolicy = jetstream.DeliverNewPolicy
	case !start.At.IsZero():
		at := start.At
		cfg.DeliverPolicy, cfg.OptStartTime = jetstream.DeliverByStartTimePolicy, &at
	default:
		cfg.DeliverPolicy = jetstream.DeliverAllPolicy
	}
	return nil
}
