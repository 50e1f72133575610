package signin

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// SessionBucket holds the signed-in sessions, shared by every gateway replica. Keys are hashes of the ids the browser
// holds, so reading the bucket does not give anyone a session.
const SessionBucket = "WHISTLE_SESSIONS"

// Session is one signed-in browser (or nothing else: whistlectl holds its
// own provider tokens).
type Session struct {
	Subject string `json:"sub"`
	Name    string `json:"name,omitempty"`
	Claims  Mapped `json:"claims"`
	// RefreshToken renews the provider's tokens; IDToken is the hint for
	// the provider's sign-out.
	RefreshToken string    `json:"refresh_token,omitempty"`
	IDToken      string    `json:"id_token,omitempty"`
	Expiry       time.Time `json:"expiry"`
	Created      time.Time `json:"created"`
}

// pending is a sign-in between the redirect to the provider and its
// callback, sealed into the browser's whistle_login cookie.
type pending struct {
	State    string    `json:"state"`
	Nonce    string    `json:"nonce"`
	Verifier string    `json:"verifier"`
	Created  time.Time `json:"created"`
}

// sessions is the bucket.
type sessions struct {
	kv     jetstream.KeyValue
	maxAge time.Duration
}

func openSessions(ctx context.Context, js jetstream.JetStream, ttl time.Duration, replicas int) (*sessions, error) {
	kv, err := js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{
		Bucket: SessionBucket, History: 1, TTL: ttl, Storage: jetstream.FileStorage, Replicas: max(replicas, 1),
	})
	if err != nil {
		return nil, fmt.Errorf("declare bucket %s: %w", SessionBucket, err)
	}
	return &sessions{kv: kv, maxAge: ttl}, nil
}

// newID is a random id for a browser to hold.
func newID() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // never fails (crypto/rand)
	return base64.RawURLEncoding.EncodeToString(b)
}

func hashKey(prefix, id string) string {
	sum := sha256.Sum256([]byte(id))
	return prefix + hex.EncodeToString(sum[:])
}

var errNoSession = errors.New("no such session")

func (s *sessions) get(ctx context.Context, key string, v any) error {
	e, err := s.kv.Get(ctx, key)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return errNoSession
	}
	if err != nil {
		return fmt.Errorf("read session: %w", err)
	}
	if err := json.Unmarshal(e.Value(), v); err != nil {
		return fmt.Errorf("decode session: %w", err)
	}
	return nil
}

func (s *sessions) put(ctx context.Context, key string, v any) error {
	body, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode session: %w", err)
	}
	if _, err := s.kv.Put(ctx, key, body); err != nil {
		return fmt.Errorf("write session: %w", err)
	}
	return nil
}

func (s *sessions) remove(ctx context.Context, key string) error {
	if err := s.kv.Purge(ctx, key); err != nil && !errors.Is(err, jetstream.ErrKeyNotFound) {
		return fmt.Errorf("end session: %w", err)
	}
	return nil
}

// Session reads the session whose browser holds id.
func (s *sessions) Session(ctx context.Context, id string, now time.Time) (Session, error) {
	var sess Session
	if err := s.get(ctx, hashKey("s.", id), &sess); err != nil {
		return Session{}, err
	}
	if now.Sub(sess.Created) > s.maxAge {
		return Session{}, errNoSession
	}
	return sess, nil
}
