package auth

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/MicahParks/jwkset"
	"github.com/MicahParks/keyfunc/v3"
	"github.com/golang-jwt/jwt/v5"
	"golang.org/x/sync/singleflight"
	"golang.org/x/time/rate"

	"github.com/chuishao/whistle/platform/clock"
)

// JWK is one public key of a JSON Web Key Set (RFC 7517), as PublicKeySet
// writes it (reading a set is jwkset's).
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
// REST edge's /.well-known/jwks.json in dev auth).
func JWKSHandler(keys ...ed25519.PublicKey) http.Handler {
	body, _ := json.Marshal(PublicKeySet(keys...)) // cannot fail: strings only
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/jwk-set+json")
		w.Header().Set("Cache-Control", "max-age=60")
		_, _ = w.Write(body)
	})
}

// JWKSOptions tune a JWKS cache; zero values take the defaults.
type JWKSOptions struct {
	// Refresh is how often the set is refetched in the background (default 5 min).
	Refresh time.Duration
	// MaxStale is how long the last good set is still used while refetches
	// fail (default 1 h); after that every token is rejected.
	MaxStale time.Duration
	// MinRefetch rate-limits the refetches an unknown kid triggers: at most
	// one per MinRefetch (default 10 s).
	MinRefetch time.Duration
	// Timeout bounds one fetch, and how long a token with an unknown kid may
	// wait for its refetch (default 10 s).
	Timeout time.Duration
	// Client fetches the set (default: http.DefaultClient, bounded by Timeout).
	Client *http.Client
	// Clock measures MaxStale (default: the real clock, since refetches run on
	// real time even when the service runs a scaled clock).
	Clock clock.Clock
	// Log receives refetch failures (default: discarded).
	Log *slog.Logger
}

// JWKS is a key set fetched from a URL and kept fresh in the background by
// jwkset, with keyfunc picking a token's key by kid. Verifying a token whose
// kid is known reads memory only: a slow or unreachable key server never
// stalls it. A kid the set does not hold triggers one refetch (rate-limited
// to one per MinRefetch, or per 250 ms while no set has been fetched yet; such
// a token may wait up to Timeout for it), so a
// rotated-in key works without a restart; a withdrawn key stops working at the
// next background refresh. Close stops the refreshing.
type JWKS struct {
	url  string
	opts JWKSOptions
	// cached reads the keys held; refetching reads them and, for a kid not
	// held, refetches the set first.
	cached, refetching keyfunc.Keyfunc
	// unknown rate-limits the refetches of unknown kids; unset, those made
	// while no set has been fetched yet (the key server may still be
	// starting: a process often starts before it).
	unknown, unset *rate.Limiter
	// first joins the callers that find no set yet into one fetch.
	first  singleflight.Group
	stamp  *stampedStorage
	cancel context.CancelFunc
}

// stampedStorage is jwkset's memory storage that remembers when the key
// server last answered with a set (a successful fetch replaces all keys).
type stampedStorage struct {
	jwkset.Storage
	clk       clock.Clock
	fetchedAt atomic.Pointer[time.Time]
}

// KeyReplaceAll stores a freshly fetched set and the time it came.
func (s *stampedStorage) KeyReplaceAll(ctx context.Context, given []jwkset.JWK) error {
	if err := s.Storage.KeyReplaceAll(ctx, given); err != nil {
		return err
	}
	now := s.clk.Now()
	s.fetchedAt.Store(&now)
	return nil
}

// NewJWKS fetches the key set at url once (bounded by Timeout; a failure is
// logged and the service starts anyway, so it may start before its key
// server) and keeps refreshing it in the background until Close.
func NewJWKS(url string, opts JWKSOptions) (*JWKS, error) {
	if opts.Refresh <= 0 {
		opts.Refresh = 5 * time.Minute
	}
	if opts.MaxStale <= 0 {
		opts.MaxStale = time.Hour
	}
	if opts.MinRefetch <= 0 {
		opts.MinRefetch = 10 * time.Second
	}
	if opts.Timeout <= 0 {
		opts.Timeout = 10 * time.Second
	}
	if opts.Client == nil {
		opts.Client = http.DefaultClient
	}
	if opts.Clock == nil {
		opts.Clock = clock.Real()
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	ctx, cancel := context.WithCancel(context.Background())
	stamp := &stampedStorage{Storage: jwkset.NewMemoryStorage(), clk: opts.Clock}
	remote, err := jwkset.NewStorageFromHTTP(url, jwkset.HTTPClientStorageOptions{
		Client: opts.Client, Ctx: ctx, HTTPTimeout: opts.Timeout, RefreshInterval: opts.Refresh,
		NoErrorReturnFirstHTTPReq: true, Storage: stamp,
		RefreshErrorHandler: func(ctx context.Context, err error) {
			opts.Log.WarnContext(ctx, "fetch JWKS", "url", url, "err", err)
		},
	})
	if err != nil {
		cancel()
		return nil, fmt.Errorf("JWKS %s: %w", url, err)
	}
	// The limiter is ours (Key asks it without waiting), so jwkset's never holds a refetch back.
	client, err := jwkset.NewHTTPClient(jwkset.HTTPClientOptions{
		HTTPURLs:          map[string]jwkset.Storage{url: remote},
		RateLimitWaitMax:  opts.Timeout,
		RefreshUnknownKID: rate.NewLimiter(rate.Inf, 1),
	})
	if err != nil {
		cancel()
		return nil, fmt.Errorf("JWKS %s: %w", url, err)
	}
	uses := []jwkset.USE{jwkset.UseSig, ""}
	cached, err := keyfunc.New(keyfunc.Options{Ctx: ctx, Storage: stamp, UseWhitelist: uses})
	if err != nil {
		cancel()
		return nil, fmt.Errorf("JWKS %s: %w", url, err)
	}
	refetching, err := keyfunc.New(keyfunc.Options{Ctx: ctx, Storage: client, UseWhitelist: uses})
	if err != nil {
		cancel()
		return nil, fmt.Errorf("JWKS %s: %w", url, err)
	}
	return &JWKS{
		url: url, opts: opts, cached: cached, refetching: refetching, stamp: stamp, cancel: cancel,
		unknown: rate.NewLimiter(rate.Every(opts.MinRefetch), 1),
		unset:   rate.NewLimiter(rate.Every(unsetRefetch), 1),
	}, nil
}

// Close stops the background refresh.
func (j *JWKS) Close() { j.cancel() }

// Key returns the public key named kid for a token signed with alg, after
// keyfunc's checks (the key's alg and use must fit). A kid the set does not
// hold refetches the set first, unless another did within MinRefetch: then it
// is refused at once, so a flood of made-up kids neither waits nor fetches.
// Every key is refused once the set is older than MaxStale.
func (j *JWKS) Key(kid, alg string) (any, error) {
	if kid == "" {
		return nil, errors.New("token has no kid")
	}
	tok := &jwt.Token{Header: map[string]any{"kid": kid, "alg": alg}}
	key, err := j.cached.Keyfunc(tok)
	switch {
	case !errors.Is(err, jwkset.ErrKeyNotFound):
	case j.stamp.fetchedAt.Load() == nil:
		// No set yet: the callers of this moment share one fetch and then read
		// what it brought, instead of all but one being refused.
		_, _, _ = j.first.Do("", func() (any, error) {
			if j.unset.Allow() {
				_, _ = j.refetching.Keyfunc(tok)
			}
			return nil, nil
		})
		key, err = j.cached.Keyfunc(tok)
	case j.unknown.Allow():
		key, err = j.refetching.Keyfunc(tok)
	}
	fetched := j.stamp.fetchedAt.Load()
	switch {
	case fetched == nil:
		return nil, fmt.Errorf("no key set fetched from %s yet", j.url)
	case j.opts.Clock.Now().Sub(*fetched) > j.opts.MaxStale:
		return nil, fmt.Errorf("key set from %s is stale (last fetched %s)", j.url, fetched.Format(time.RFC3339))
	case errors.Is(err, jwkset.ErrKeyNotFound):
		return nil, fmt.Errorf("unknown kid %q", kid)
	case err != nil:
		return nil, fmt.Errorf("key %q: %w", kid, err)
	}
	return key, nil
}

// unsetRefetch is the least time between two refetches while no set has been
// fetched yet: tokens are refused until one is, so the first ones after the
// key server comes up should not wait MinRefetch.
const unsetRefetch = 250 * time.Millisecond

// KeyConfig is where a process gets its verification keys and which claims it
// insists on (config.Base and the REST edge's config fill it).
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
	// Check, when set, is applied to every identity (WithIdentityCheck).
	Check func(Identity) error
	// Refresh and MaxStale tune the JWKS cache (see JWKSOptions).
	Refresh, MaxStale time.Duration
}

// NewVerifierFromConfig builds the verifier c describes; Close it to stop
// the refreshing of its JWKS.
func NewVerifierFromConfig(c KeyConfig, log *slog.Logger) (*Verifier, error) {
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
	if c.Check != nil {
		opts = append(opts, WithIdentityCheck(c.Check))
	}
	if c.Audience != "" {
		opts = append(opts, WithAudience(c.Audience))
	}
	if c.JWKSURL != "" {
		if c.PublicKey != "" {
			log.Info("WHISTLE_JWKS_URL is set: WHISTLE_JWT_PUBLIC_KEY is ignored", "jwks_url", c.JWKSURL)
		}
		set, err := NewJWKS(c.JWKSURL, JWKSOptions{Refresh: c.Refresh, MaxStale: c.MaxStale, Log: log.With("component", "jwks")})
		if err != nil {
			return nil, err
		}
		return NewJWKSVerifier(set, opts...), nil
	}
	pub, err := ParsePublicKey(c.PublicKey)
	if err != nil {
		return nil, err
	}
	return NewVerifier(pub, opts...), nil
}
