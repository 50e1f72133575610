package bus

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/chuishao/whistle/platform/auth"
	"github.com/chuishao/whistle/platform/retry"
)

// RevokedBucket is the JetStream key-value bucket that carries the revoked
// service accounts to every process: one key per revoked account id, plus
// LiveKey, which the owner rewrites after every pass that found the bucket
// complete. Its values are RFC 3339 times, for people reading the bucket.
const RevokedBucket = "WHISTLE_SA_REVOKED"

// LiveKey is the key the owner rewrites after each complete pass.
const LiveKey = "_live"

// revokedTTL keeps an entry longer than any service-account token lives.
const revokedTTL = 367 * 24 * time.Hour

// Defaults of the revocation list's timing, in real time (this is transport
// health, not domain time: a drill's clock does not change it).
const (
	// DefaultPublishEvery is how often the owner re-checks the bucket against its table.
	DefaultPublishEvery = time.Second
	// DefaultRevocationMaxStale is how long after the owner's last complete
	// pass a process still trusts its copy; after that sa: tokens are refused.
	DefaultRevocationMaxStale = 4 * time.Second
)

// RevocationPublisher mirrors the owner's table of revoked service accounts
// into RevokedBucket: at start, every PublishEvery, and at once when woken
// after a revocation commits. Every replica of the owner may run one.
type RevocationPublisher struct {
	JS  jetstream.JetStream
	Log *slog.Logger
	// Revoked lists the ids of revoked accounts whose tokens may still be unexpired.
	Revoked func(ctx context.Context) ([]string, error)
	// Replicas is the bucket's JetStream replica count.
	Replicas int
	// Every is the pass interval (default DefaultPublishEvery).
	Every time.Duration

	wakeOnce sync.Once
	wake     chan struct{}
}

// Wake asks for a pass now (after a revocation commits).
func (p *RevocationPublisher) Wake() {
	select {
	case p.wakeCh() <- struct{}{}:
	default:
	}
}

func (p *RevocationPublisher) wakeCh() chan struct{} {
	p.wakeOnce.Do(func() { p.wake = make(chan struct{}, 1) })
	return p.wake
}

// EnsureRevokedBucket declares RevokedBucket (the owner does, at start).
func EnsureRevokedBucket(ctx context.Context, js jetstream.JetStream, replicas int) (jetstream.KeyValue, error) {
	kv, err := js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{
		Bucket: RevokedBucket, History: 1, TTL: revokedTTL, Storage: jetstream.FileStorage, Replicas: max(replicas, 1),
	})
	if err != nil {
		return nil, fmt.Errorf("declare bucket %s: %w", RevokedBucket, err)
	}
	return kv, nil
}

// Run publishes until ctx is cancelled, retrying through NATS outages.
func (p *RevocationPublisher) Run(ctx context.Context) error {
	return retry.Forever(ctx, p.Log, "publish revoked service accounts", p.publish)
}

func (p *RevocationPublisher) publish(ctx context.Context) error {
	kv, err := EnsureRevokedBucket(ctx, p.JS, p.Replicas)
	if err != nil {
		return err
	}
	every := p.Every
	if every <= 0 {
		every = DefaultPublishEvery
	}
	published := map[string]bool{} // this connection's knowledge of the bucket
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		ids, err := p.Revoked(ctx)
		if err != nil {
			return fmt.Errorf("list revoked service accounts: %w", err)
		}
		now := strconv.FormatInt(time.Now().Unix(), 10)
		for _, id := range ids {
			if published[id] {
				continue
			}
			if _, err := kv.Create(ctx, id, []byte(now)); err != nil && !errors.Is(err, jetstream.ErrKeyExists) {
				return fmt.Errorf("publish revoked service account %s: %w", id, err)
			}
			published[id] = true
		}
		if _, err := kv.Put(ctx, LiveKey, []byte(now)); err != nil {
			return fmt.Errorf("publish revocation list heartbeat: %w", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		case <-p.wakeCh():
		}
	}
}

// RevocationList is a process's copy of RevokedBucket, watched live. It
// answers for a service account only while the owner's last complete pass
// arrived within MaxStale: a process cut off from NATS, or a bucket whose
// owner stopped publishing, refuses service-account tokens (fail closed).
type RevocationList struct {
	JS  jetstream.JetStream
	Log *slog.Logger
	// MaxStale is how old the last pass may be (default DefaultRevocationMaxStale).
	MaxStale time.Duration

	mu      sync.Mutex
	revoked map[string]bool
	freshAt time.Time // real time of the owner's last pass seen live; zero: never
	changed chan struct{}
}

var _ auth.Revocations = (*RevocationList)(nil)

// CheckServiceAccount implements auth.Revocations.
func (l *RevocationList) CheckServiceAccount(account string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.revoked[account] {
		return auth.ErrRevoked
	}
	maxStale := l.MaxStale
	if maxStale <= 0 {
		maxStale = DefaultRevocationMaxStale
	}
	if l.freshAt.IsZero() || time.Since(l.freshAt) > maxStale {
		return fmt.Errorf("%w: the revocation list is not current", auth.ErrRevoked)
	}
	return nil
}

// Changed returns a channel closed at the next revocation, so a long-lived
// connection (the live stream) re-checks its token at once.
func (l *RevocationList) Changed() <-chan struct{} {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.changed == nil {
		l.changed = make(chan struct{})
	}
	return l.changed
}

// Run watches the bucket until ctx is cancelled, re-watching after failures
// (the bucket not declared yet, NATS restarting).
func (l *RevocationList) Run(ctx context.Context) error {
	return retry.Forever(ctx, l.Log, "watch revoked service accounts", l.watch)
}

func (l *RevocationList) watch(ctx context.Context) error {
	kv, err := l.JS.KeyValue(ctx, RevokedBucket)
	if err != nil {
		return fmt.Errorf("bucket %s: %w", RevokedBucket, err)
	}
	maxStale := l.MaxStale
	if maxStale <= 0 {
		maxStale = DefaultRevocationMaxStale
	}
	err = WatchMirror(ctx, MirrorWatch[bool]{
		KV: kv, Heartbeat: LiveKey, MaxStale: maxStale, Now: time.Now,
		Decode: func(string, []byte) (bool, error) { return true, nil }, // a key is a revoked account
	}, revocationMirror{l})
	if err != nil {
		return fmt.Errorf("watch %s: %w", RevokedBucket, err)
	}
	return nil
}

// revocationMirror is the list as WatchMirror's Mirror.
type revocationMirror struct{ l *RevocationList }

func (m revocationMirror) Replace(set map[string]bool) { m.l.replace(set) }
func (m revocationMirror) Set(account string, v *bool) { m.l.set(account, v != nil) }
func (m revocationMirror) Fresh(at time.Time)          { m.l.fresh(at) }

// replace installs the set a watch replayed.
func (l *RevocationList) replace(set map[string]bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.revoked = set
	l.notifyLocked()
}

func (l *RevocationList) set(account string, revoked bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if revoked {
		l.revoked[account] = true
		l.notifyLocked()
	} else {
		delete(l.revoked, account)
	}
}

func (l *RevocationList) fresh(at time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if at.After(l.freshAt) {
		l.freshAt = at
	}
}

// notifyLocked wakes whoever waits on Changed.
func (l *RevocationList) notifyLocked() {
	if l.changed != nil {
		close(l.changed)
		l.changed = nil
	}
}
