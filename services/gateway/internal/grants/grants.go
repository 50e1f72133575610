// Package grants is who may do what, managed in the product: a table of
// people (the provider's issuer and subject) to a Whistle role and scope,
// kept in a JetStream key-value bucket that the gateway owns. Every gateway
// replica watches the bucket, so a grant or a revocation reaches all of them
// within moments, and every request of a signed-in person is checked against
// its copy.
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
	"github.com/chuishao/whistle/platform/retry"
)

// Bucket is the key-value bucket of the grants, one key per person.
const Bucket = "WHISTLE_GRANTS"

// history is how many past values of a person's grant the bucket keeps: who
// granted and revoked what, and when, for whoever audits it.
const history = 16

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

	mu      sync.Mutex
	grants  map[string]Grant // by Key
	ready   bool
	changed chan struct{}
	kv      jetstream.KeyValue
}

// ErrNotReady is a lookup before the first complete copy of the bucket.
var ErrNotReady = errors.New("the grants are not loaded yet")

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

// Run watches the bucket until ctx is cancelled, re-watching after failures.
func (s *Store) Run(ctx context.Context) error {
	return retry.Forever(ctx, s.Log, "watch grants", s.watch)
}

func (s *Store) watch(ctx context.Context) error {
	kv, err := s.bucket(ctx)
	if err != nil {
		return err
	}
	w, err := kv.WatchAll(ctx)
	if err != nil {
		return fmt.Errorf("watch %s: %w", Bucket, err)
	}
	defer func() { _ = w.Stop() }()
	replayed := map[string]Grant{}
	live := false
	for {
		var e jetstream.KeyValueEntry
		var ok bool
		select {
		case <-ctx.Done():
			return nil
		case e, ok = <-w.Updates():
		}
		switch {
		case !ok:
			return errors.New("grants watch closed")
		case e == nil:
			live = true
			s.replace(replayed)
		case e.Operation() != jetstream.KeyValuePut:
			if live {
				s.set(e.Key(), nil)
			} else {
				delete(replayed, e.Key())
			}
		default:
			var g Grant
			if err := json.Unmarshal(e.Value(), &g); err != nil {
				s.Log.WarnContext(ctx, "unreadable grant skipped", "key", e.Key(), "err", err)
				continue
			}
			if live {
				s.set(e.Key(), &g)
			} else {
				replayed[e.Key()] = g
			}
		}
	}
}

func (s *Store) replace(set map[string]Grant) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.grants, s.ready = set, true
	s.notifyLocked()
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

// Changed returns a channel closed at the next change of any grant, so a
// long-lived connection (the live stream) re-checks its person at once.
func (s *Store) Changed() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.changed == nil {
		s.changed = make(chan struct{})
	}
	return s.changed
}

// Ready reports ErrNotReady until the first complete copy of the bucket.
func (s *Store) Ready() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.ready {
		return ErrNotReady
	}
	return nil
}

// Lookup returns the person's grant, if any.
func (s *Store) Lookup(issuer, subject string) (Grant, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.ready {
		return Grant{}, false, ErrNotReady
	}
	g, ok := s.grants[Key(issuer, subject)]
	return g, ok, nil
}

// List returns every grant, revoked ones included, by name then subject.
func (s *Store) List() ([]Grant, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.ready {
		return nil, ErrNotReady
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
