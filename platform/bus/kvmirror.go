package bus

import (
	"context"
	"errors"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// Mirror is a process's copy of a key-value bucket whose owner rewrites a
// heartbeat key while the bucket is complete (the revoked service accounts,
// people's role grants). WatchMirror keeps it up to date.
type Mirror[V any] interface {
	// Replace installs the whole set a watch replayed, once caught up.
	Replace(set map[string]V)
	// Set changes one key after that: v nil when the key was deleted.
	Set(key string, v *V)
	// Fresh records that the owner's heartbeat was written at at (local time).
	Fresh(at time.Time)
}

// MirrorWatch says which bucket WatchMirror follows and how.
type MirrorWatch[V any] struct {
	KV jetstream.KeyValue
	// Heartbeat is the owner's heartbeat key; it is not part of the set.
	Heartbeat string
	// MaxStale is how long without any entry (not even a heartbeat) the
	// watch is given before it is started again: a lost consumer looks the same.
	MaxStale time.Duration
	// Now is the local clock the heartbeat's age is measured on.
	Now func() time.Time
	// Decode reads a key's value; a value it cannot read is skipped (Skipped).
	Decode func(key string, value []byte) (V, error)
	// Skipped, when set, hears of each value Decode could not read.
	Skipped func(key string, err error)
}

// WatchMirror replays the bucket into m and then follows it until ctx is
// cancelled (nil) or the watch fails, closes or hears nothing for MaxStale
// (an error: run it under retry.Forever). A heartbeat replayed at start-up
// that is younger than MaxStale counts as fresh, so a process that just
// started need not wait for the owner's next one.
func WatchMirror[V any](ctx context.Context, w MirrorWatch[V], m Mirror[V]) error {
	watch, err := w.KV.WatchAll(ctx)
	if err != nil {
		return err
	}
	defer func() { _ = watch.Stop() }()
	replayed := map[string]V{}
	var replayedFresh time.Time
	live := false
	for {
		var e jetstream.KeyValueEntry
		var ok bool
		select {
		case <-ctx.Done():
			return nil
		case e, ok = <-watch.Updates():
		case <-time.After(w.MaxStale):
			return errors.New("no heartbeat from the bucket's owner")
		}
		switch {
		case !ok:
			return errors.New("the watch closed")
		case e == nil:
			live = true
			m.Replace(replayed)
			if !replayedFresh.IsZero() {
				m.Fresh(replayedFresh)
			}
		case e.Key() == w.Heartbeat:
			if live {
				m.Fresh(w.Now())
			} else if age := time.Since(e.Created()); age >= 0 && age < w.MaxStale {
				replayedFresh = w.Now().Add(-age)
			}
		case e.Operation() != jetstream.KeyValuePut:
			if live {
				m.Set(e.Key(), nil)
			} else {
				delete(replayed, e.Key())
			}
		default:
			v, err := w.Decode(e.Key(), e.Value())
			if err != nil {
				if w.Skipped != nil {
					w.Skipped(e.Key(), err)
				}
				continue
			}
			if live {
				m.Set(e.Key(), &v)
			} else {
				replayed[e.Key()] = v
			}
		}
	}
}
