// Package grants is who may do what, managed in the product: a table of
// people (the provider's issuer and subject) to a Whistle role and scope,
// kept in a JetStream key-value bucket that the gateway owns. Every gateway
// replica watches the bucket, so a grant or a revocation reaches all of them
// within moments, and every request of a signed-in person is checked against
// its copy. The copy answers only while it is known to be current: every
// replica writes a heartbeat into the bucket each second, and a replica
// that has not seen one come back through its watch for MaxStale refuses
// every lookup (fail closed) until it does.
package grants

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/chuishao/whistle/platform/auth"
	"github.com/chuishao/whistle/platform/bus"
	"github.com/chuishao/whistle/platform/retry"
)

// Bucket is the key-value bucket of the grants, one key per person.
const Bucket = "WHISTLE_GRANTS"

// history is how many past values of a person's grant the bucket keeps: who
// granted and revoked what, and when, for whoever audits it.
const history = 16

// liveKey is the heartbeat every replica rewrites; it is no person's key
// (those are hex hashes).
const liveKey = "_live"

// Defaults of the copy's freshness, in real time (transport health, not
// domain time: a drill's clock does not change it).
const (
	// DefaultHeartbeat is how often each replica writes the heartbeat.
	DefaultHeartbeat = time.Second
	// DefaultMaxStale is how long after the last heartbeat seen through the
	// watch the copy still answers.
	DefaultMaxStale = 4 * time.Second
)

// Grant is one person's role and scope. A revoked grant stays as a
// tombstone that refuses the person even when the provider's claims would
// give a role, until an admin grants one again.
type Grant struct {
	Issuer     string    `json:"issuer"`
	Subject    string    `json:"subject"`
	Name       string    `json:"name,omitempty"`
	Role       string    `json:"role,omitempty"`
	Street     string    `json:"street_id,omitempty"`
	District   string    `json:"district_id,omitempty"`
	Department string    `json:"department,omitempty"`
	Grid       string    `json:"grid_id,omitempty"`
	Revoked    bool      `json:"revoked,omitempty"`
	By         string    `json:"by"`
	At         time.Time `json:"at"`
}

// Identity is the internal identity the grant gives.
func (g Grant) Identity() auth.Identity {
	return auth.Identity{Subject: PersonSubject(g.Subject), Role: g.Role, StreetID: g.Street, DistrictID: g.District, Department: g.Department, GridID: g.Grid}
}

// PersonSubject is the subject of the internal tokens of the provider's
// person sub: prefixed, so it never collides with a dev or service account.
func PersonSubject(sub string) string { return "oidc:" + sub }

// Key is the bucket key of a person: a hash, because subjects may hold
// characters a key may not.
func Key(issuer, subject string) string {
	sum := sha256.Sum256([]byte(issuer + "\n" + subject))
	return hex.EncodeToString(sum[:])
}

// Store is the bucket and this process's live copy of it.
type Store struct {
	JS       jetstream.JetStream
	Log      *slog.Logger
	Replicas int
	// Heartbeat and MaxStale (defaults DefaultHeartbeat, DefaultMaxStale)
	// bound how old a copy may be and still answer.
	Heartbeat, MaxStale time.Duration
	// Now is the real clock of the freshness check (default time.Now).
	Now func() time.Time

	mu      sync.Mutex
	grants  map[string]Grant // by Key
	ready   bool
	freshAt time.Time // when the last heartbeat came through the watch; zero: never
	changed chan struct{}
	kv      jetstream.KeyValue
}

// ErrNotReady is a lookup before the first complete copy of the bucket.
var ErrNotReady = errors.New("the grants are not loaded yet")

// ErrStale is a lookup while the copy may be behind the bucket: no
// heartbeat came through the watch for MaxStale (NATS unreachable, a lost
// watch). Nobody is resolved from grants until it is current again.
var ErrStale = errors.New("the grants copy is not current (the grants bucket cannot be read)")

func (s *Store) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func (s *Store) maxStale() time.Duration {
	if s.MaxStale > 0 {
		return s.MaxStale
	}
	return DefaultMaxStale
}

// currentLocked is nil while the copy may be relied on.
func (s *Store) currentLocked() error {
	switch {
	case !s.ready:
		return ErrNotReady
	case s.freshAt.IsZero() || s.now().Sub(s.freshAt) > s.maxStale():
		return ErrStale
	}
	return nil
}

func (s *Store) bucket(ctx context.Context) (jetstream.KeyValue, error) {
	s.mu.Lock()
	kv := s.kv
	s.mu.Unlock()
	if kv != nil {
		return kv, nil
	}
	kv, err := s.JS.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{
		Bucket: Bucket, History: history, Storage: jetstream.FileStorage, Replicas: max(s.Replicas, 1),
	})
	if err != nil {
		return nil, fmt.Errorf("declare bucket %s: %w", Bucket, err)
	}
	s.mu.Lock()
	s.kv = kv
	s.mu.Unlock()
	return kv, nil
}

// Run watches the bucket and writes this replica's heartbeat until ctx is
// cancelled, each retried after failures.
func (s *Store) Run(ctx context.Context) error {
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = retry.Forever(ctx, s.Log, "grants heartbeat", s.beat)
	}()
	err := retry.Forever(ctx, s.Log, "watch grants", s.watch)
	<-done
	return err
}

// beat writes the heartbeat every Heartbeat.
func (s *Store) beat(ctx context.Context) error {
	kv, err := s.bucket(ctx)
	if err != nil {
		return err
	}
	every := s.Heartbeat
	if every <= 0 {
		every = DefaultHeartbeat
	}
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		if _, err := kv.Put(ctx, liveKey, []byte(time.Now().UTC().Format(time.RFC3339Nano))); err != nil && ctx.Err() == nil {
			return fmt.Errorf("write grants heartbeat: %w", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
	}
}

func (s *Store) watch(ctx context.Context) error {
	kv, err := s.bucket(ctx)
	if err != nil {
		return err
	}
	err = bus.WatchMirror(ctx, bus.MirrorWatch[Grant]{
		KV: kv, Heartbeat: liveKey, MaxStale: s.maxStale(), Now: s.now,
		Decode: func(_ string, value []byte) (g Grant, err error) {
			err = json.Unmarshal(value, &g)
			return g, err
		},
		Skipped: func(key string, err error) {
			s.Log.WarnContext(ctx, "unreadable grant skipped", "key", key, "err", err)
		},
	}, grantMirror{s})
	if err != nil {
		return fmt.Errorf("watch %s: %w", Bucket, err)
	}
	return nil
}

// grantMirror is the store as bus.WatchMirror's Mirror.
type grantMirror struct{ s *Store }

func (m grantMirror) Replace(set map[string]Grant) { m.s.replace(set) }
func (m grantMirror) Set(key string, g *Grant)     { m.s.set(key, g) }
func (m grantMirror) Fresh(at time.Time)           { m.s.fresh(at) }

func (s *Store) replace(set map[string]Grant) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.grants, s.ready = set, true
	s.notifyLocked()
}

// fresh records a heartbeat seen at at; a copy that turns current again
// wakes whoever waits on Changed.
func (s *Store) fresh(at time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	wasStale := s.currentLocked() != nil
	if at.After(s.freshAt) {
		s.freshAt = at
	}
	if wasStale && s.currentLocked() == nil {
		s.notifyLocked()
	}
}

func (s *Store) set(key string, g *Grant) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.grants == nil {
		s.grants = map[string]Grant{}
	}
	if g == nil {
		delete(s.grants, key)
	} else {
		s.grants[key] = *g
	}
	s.notifyLocked()
}

func (s *Store) notifyLocked() {
	if s.changed != nil {
		close(s.changed)
		s.changed = nil
	}
}

// Changed returns a channel closed at the next change of any grant (or when
// a stale copy turns current), so a long-lived connection (the live stream)
// re-checks its person at once.
func (s *Store) Changed() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.changed == nil {
		s.changed = make(chan struct{})
	}
	return s.changed
}

// Ready reports ErrNotReady until the first complete copy of the bucket
// has been current (a heartbeat came through the watch). A copy that turns
// stale later leaves the gateway ready: callers other than signed-in people
// are not the grants' business.
func (s *Store) Ready() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.ready || s.freshAt.IsZero() {
		return ErrNotReady
	}
	return nil
}

// Current is nil while lookups answer: the copy is loaded and a heartbeat
// came through the watch within MaxStale; else ErrNotReady or ErrStale.
func (s *Store) Current() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.currentLocked()
}

// Lookup returns the person's grant, if any; ErrNotReady or ErrStale while
// the copy cannot be relied on, for anyone.
func (s *Store) Lookup(issuer, subject string) (Grant, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.currentLocked(); err != nil {
		return Grant{}, false, err
	}
	g, ok := s.grants[Key(issuer, subject)]
	return g, ok, nil
}

// List returns every grant, revoked ones included, by name then subject.
func (s *Store) List() ([]Grant, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.currentLocked(); err != nil {
		return nil, err
	}
	out := make([]Grant, 0, len(s.grants))
	for _, g := range s.grants {
		out = append(out, g)
	}
	slices.SortFunc(out, func(a, b Grant) int {
		if c := strings.Compare(a.Name, b.Name); c != 0 {
			return c
		}
		return strings.Compare(a.Subject, b.Subject)
	})
	return out, nil
}

// Put writes g (a grant or a revocation) and applies it to this process's
// copy at once; the other replicas get it through their watch.
func (s *Store) Put(ctx context.Context, g Grant) error {
	kv, err := s.bucket(ctx)
	if err != nil {
		return err
	}
	body, err := json.Marshal(g)
	if err != nil {
		return fmt.Errorf("encode grant: %w", err)
	}
	key := Key(g.Issuer, g.Subject)
	if _, err := kv.Put(ctx, key, body); err != nil {
		return fmt.Errorf("write grant of %s: %w", g.Subject, err)
	}
	s.set(key, &g)
	return nil
}

// restore puts back prev as the person's grant, or removes the person's
// key when there was none.
func (s *Store) restore(ctx context.Context, issuer, subject string, prev *Grant) error {
	if prev != nil {
		return s.Put(ctx, *prev)
	}
	kv, err := s.bucket(ctx)
	if err != nil {
		return err
	}
	key := Key(issuer, subject)
	if err := kv.Delete(ctx, key); err != nil {
		return fmt.Errorf("remove grant of %s: %w", subject, err)
	}
	s.set(key, nil)
	return nil
}

// ErrRevoked is a person whose grant was revoked or changed since their
// internal token was signed.
var ErrRevoked = errors.New("the person's grant was revoked or changed")

// Check is the verifier's identity check (auth.WithIdentityCheck) for the
// people of issuer: a token of a person whose grant is now revoked, or
// gives another role or scope, is refused.
func (s *Store) Check(issuer string) func(auth.Identity) error {
	return func(id auth.Identity) error {
		sub, ok := strings.CutPrefix(id.Subject, PersonSubject(""))
		if !ok {
			return nil
		}
		g, ok, err := s.Lookup(issuer, sub)
		switch {
		case err != nil:
			return err
		case ok && (g.Revoked || g.Identity() != id):
			return ErrRevoked
		}
		return nil
	}
}
