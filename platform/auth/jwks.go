package auth

import (
	"context"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net/http"
	"sync"
	"time"

	"github.com/chuishao/whistle/platform/clock"
)

// JWK is one public key of a JSON Web Key Set (RFC 7517). Ed25519 (kty OKP)
// and RSA keys are understood; others are skipped.
type JWK struct {
	Kty string `json:"kty"`
	Crv string `json:"crv,omitempty"`
	X   string `json:"x,omitempty"`
	N   string `json:"n,omitempty"`
	E   string `json:"e,omitempty"`
	Kid string `json:"kid,omitempty"`
	Use string `json:"use,omitempty"`
	Alg string `json:"alg,omitempty"`
}

// KeySet is the JSON document served at a JWKS URL.
type KeySet struct {
	Keys []JWK `json:"keys"`
}

// KeyID is the RFC 7638 thumbprint of an Ed25519 public key: a kid that every
// party derives the same way from the key alone.
func KeyID(pub ed25519.PublicKey) string {
	x := base64.RawURLEncoding.EncodeToString(pub)
	// RFC 7638: the required members in lexicographic order, no whitespace.
	sum := sha256.Sum256([]byte(`{"crv":"Ed25519","kty":"OKP","x":"` + x + `"}`))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// PublicKeySet is the key set that publishes keys, each with its KeyID as kid.
func PublicKeySet(keys ...ed25519.PublicKey) KeySet {
	set := KeySet{Keys: []JWK{}}
	seen := map[string]bool{}
	for _, k := range keys {
		kid := KeyID(k)
		if seen[kid] {
			continue
		}
		seen[kid] = true
		set.Keys = append(set.Keys, JWK{Kty: "OKP", Crv: "Ed25519", X: base64.RawURLEncoding.EncodeToString(k), Kid: kid, Use: "sig", Alg: "EdDSA"})
	}
	return set
}

// JWKSHandler serves PublicKeySet(keys...) as application/jwk-set+json (the
// gateway's /.well-known/jwks.json in dev auth).
func JWKSHandler(keys ...ed25519.PublicKey) http.Handler {
	body, _ := json.Marshal(PublicKeySet(keys...)) // cannot fail: strings only
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/jwk-set+json")
		w.Header().Set("Cache-Control", "max-age=60")
		_, _ = w.Write(body)
	})
}

// publicKey decodes k, or reports why it cannot verify signatures.
func (k JWK) publicKey() (any, error) {
	if k.Use != "" && k.Use != "sig" {
		return nil, fmt.Errorf("use %q is not sig", k.Use)
	}
	switch k.Kty {
	case "OKP":
		x, err := base64.RawURLEncoding.DecodeString(k.X)
		if k.Crv != "Ed25519" || err != nil || len(x) != ed25519.PublicKeySize {
			return nil, errors.New("not an Ed25519 key")
		}
		return ed25519.PublicKey(x), nil
	case "RSA":
		n, err1 := base64.RawURLEncoding.DecodeString(k.N)
		e, err2 := base64.RawURLEncoding.DecodeString(k.E)
		if err1 != nil || err2 != nil || len(n) < 256 || len(e) == 0 || len(e) > 4 {
			return nil, errors.New("not an RSA key of at least 2048 bits")
		}
		return &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: int(new(big.Int).SetBytes(e).Int64())}, nil
	}
	return nil, fmt.Errorf("unsupported kty %q", k.Kty)
}

// JWKSOptions tune a JWKS cache; zero values take the defaults.
type JWKSOptions struct {
	// Refresh is how old the cached set may get before the next lookup refetches it (default 5 min).
	Refresh time.Duration
	// MaxStale is how long the last good set is still used while refetches
	// fail (default 1 h); after that every token is rejected.
	MaxStale time.Duration
	// MinRefetch rate-limits refetches: an unknown kid, or a failed fetch,
	// triggers at most one refetch per MinRefetch (default 10 s).
	MinRefetch time.Duration
	// Client fetches the set (default: a client with a 10 s timeout).
	Client *http.Client
	// Log receives refetch failures (default: discarded).
	Log *slog.Logger
}

// JWKS is a cached key set fetched from a URL. Keys are looked up by kid; the
// set is refetched when it is older than Refresh, and at once (rate-limited)
// when a token names a kid it does not hold, so a rotated-in key works without
// a restart and a removed key stops working at the next refresh. Refetches
// happen on the lookup path, timed by the injected clock, so tests drive them
// with a fake clock.
type JWKS struct {
	url  string
	clk  clock.Clock
	opts JWKSOptions

	mu          sync.Mutex
	keys        map[string]any
	fetchedAt   time.Time // last successful fetch; zero before the first
	attemptedAt time.Time // last fetch attempt, successful or not
}

// NewJWKS returns a cache for the key set at url. It fetches nothing yet: the
// first lookup does, so a service may start before its key server.
func NewJWKS(url string, clk clock.Clock, opts JWKSOptions) *JWKS {
	if opts.Refresh <= 0 {
		opts.Refresh = 5 * time.Minute
	}
	if opts.MaxStale <= 0 {
		opts.MaxStale = time.Hour
	}
	if opts.MinRefetch <= 0 {
		opts.MinRefetch = 10 * time.Second
	}
	if opts.Client == nil {
		opts.Client = &http.Client{Timeout: 10 * time.Second}
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	return &JWKS{url: url, clk: clk, opts: opts}
}

// Refresh fetches the set now, replacing the cached keys on success.
func (j *JWKS) Refresh(ctx context.Context) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.refreshLocked(ctx, j.clk.Now())
}

func (j *JWKS) refreshLocked(ctx context.Context, now time.Time) error {
	j.attemptedAt = now
	keys, err := j.fetch(ctx)
	if err != nil {
		j.opts.Log.WarnContext(ctx, "fetch JWKS", "url", j.url, "err", err)
		return err
	}
	j.keys, j.fetchedAt = keys, now
	return nil
}

func (j *JWKS) fetch(ctx context.Context) (map[string]any, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, j.url, nil)
	if err != nil {
		return nil, fmt.Errorf("fetch JWKS %s: %w", j.url, err)
	}
	resp, err := j.opts.Client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("fetch JWKS %s: %w", j.url, err)
	}
	defer func() { _ = resp.Body.Close() }()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("fetch JWKS %s: status %s", j.url, resp.Status)
	}
	var set KeySet
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&set); err != nil {
		return nil, fmt.Errorf("decode JWKS %s: %w", j.url, err)
	}
	keys := make(map[string]any, len(set.Keys))
	for _, k := range set.Keys {
		pub, err := k.publicKey()
		if err != nil || k.Kid == "" {
			continue // a key we cannot use must not hide the ones we can
		}
		keys[k.Kid] = pub
	}
	return keys, nil
}

// Key returns the public key named kid, refetching the set first when it is
// due or (rate-limited) when kid is unknown.
func (j *JWKS) Key(kid string, now time.Time) (any, error) {
	if kid == "" {
		return nil, errors.New("token has no kid")
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	ctx := context.Background() // the fetch is bounded by the client's timeout
	canRetry := now.Sub(j.attemptedAt) >= j.opts.MinRefetch
	switch {
	case j.fetchedAt.IsZero() || now.Sub(j.fetchedAt) >= j.opts.Refresh:
		if canRetry {
			_ = j.refreshLocked(ctx, now) // logged; the stale set serves until MaxStale
		}
	case j.keys[kid] == nil && canRetry:
		_ = j.refreshLocked(ctx, now)
	}
	if j.fetchedAt.IsZero() {
		return nil, fmt.Errorf("no key set fetched from %s yet", j.url)
	}
	if now.Sub(j.fetchedAt) > j.opts.MaxStale {
		return nil, fmt.Errorf("key set from %s is stale (last fetched %s)", j.url, j.fetchedAt.Format(time.RFC3339))
	}
	key, ok := j.keys[kid]
	if !ok {
		return nil, fmt.Errorf("unknown kid %q", kid)
	}
	return key, nil
}

// KeyConfig is where a process gets its verification keys and which claims it
// insists on (config.Base and the gateway's config fill it).
type KeyConfig struct {
	// PublicKey is a static base64 Ed25519 key (WHISTLE_JWT_PUBLIC_KEY).
	PublicKey string
	// JWKSURL is a key set URL (WHISTLE_JWKS_URL); it wins over PublicKey.
	JWKSURL string
	// Issuer is required in every token's iss (Issuer when empty);
	// Audience in its aud when set.
	Issuer, Audience string
	// ScopedKeys are keys that may sign only some identities (WHISTLE_JWT_SCOPED_KEYS).
	ScopedKeys string
	// Revocations, when set, is checked for every service-account token.
	Revocations Revocations
	// Refresh and MaxStale tune the JWKS cache (see JWKSOptions).
	Refresh, MaxStale time.Duration
}

// NewVerifierFromConfig builds the verifier c describes.
func NewVerifierFromConfig(c KeyConfig, clk clock.Clock, log *slog.Logger) (*Verifier, error) {
	issuer := c.Issuer
	if issuer == "" {
		issuer = Issuer
	}
	scoped, err := ParseScopedKeys(c.ScopedKeys)
	if err != nil {
		return nil, err
	}
	opts := []VerifierOption{WithIssuer(issuer), WithScopedKeys(scoped...)}
	if c.Revocations != nil {
		opts = append(opts, WithRevocations(c.Revocations))
	}
	if c.Audience != "" {
		opts = append(opts, WithAudience(c.Audience))
	}
	if c.JWKSURL != "" {
		if c.PublicKey != "" {
			log.Info("WHISTLE_JWKS_URL is set: WHISTLE_JWT_PUBLIC_KEY is ignored", "jwks_url", c.JWKSURL)
		}
		set := NewJWKS(c.JWKSURL, clk, JWKSOptions{Refresh: c.Refresh, MaxStale: c.MaxStale, Log: log.With("component", "jwks")})
		return NewJWKSVerifier(set, opts...), nil
	}
	pub, err := ParsePublicKey(c.PublicKey)
	if err != nil {
		return nil, err
	}
	return NewVerifier(pub, opts...), nil
}
