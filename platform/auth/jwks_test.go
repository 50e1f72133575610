package auth_test

import (
	"crypto/ed25519"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/require"

	"github.com/chuishao/whistle/platform/auth"
	"github.com/chuishao/whistle/platform/clock"
)

// keyServer is a JWKS endpoint whose published keys the test rotates.
type keyServer struct {
	mu      sync.Mutex
	keys    []ed25519.PublicKey
	fetches atomic.Int32
	down    atomic.Bool
	url     string
}

func newKeyServer(t *testing.T, keys ...ed25519.PublicKey) *keyServer {
	ks := &keyServer{keys: keys}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ks.fetches.Add(1)
		if ks.down.Load() {
			http.Error(w, "down", http.StatusServiceUnavailable)
			return
		}
		ks.mu.Lock()
		keys := ks.keys
		ks.mu.Unlock()
		auth.JWKSHandler(keys...).ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	ks.url = srv.URL + "/.well-known/jwks.json"
	return ks
}

func (ks *keyServer) publish(keys ...ed25519.PublicKey) {
	ks.mu.Lock()
	defer ks.mu.Unlock()
	ks.keys = keys
}

func newSigner(t *testing.T) *auth.Signer {
	_, priv, err := ed25519.GenerateKey(nil)
	require.NoError(t, err)
	return auth.NewSigner(priv)
}

var (
	t0     = time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	street = auth.Identity{Subject: "s1", Role: auth.RoleStreet, StreetID: "110101001", DistrictID: "110101"}
)

func sign(t *testing.T, s *auth.Signer, now time.Time) string {
	tok, err := s.Sign(street, now, time.Hour)
	require.NoError(t, err)
	return tok
}

// newJWKS is a JWKS of url closed with the test.
func newJWKS(t *testing.T, url string, opts auth.JWKSOptions) *auth.JWKS {
	set, err := auth.NewJWKS(url, opts)
	require.NoError(t, err)
	t.Cleanup(set.Close)
	return set
}

func TestARotatedInKeyWorksWithoutRestart(t *testing.T) {
	t.Parallel()
	oldKey, newKey := newSigner(t), newSigner(t)
	ks := newKeyServer(t, oldKey.PublicKey())
	// No background refresh during the test: only the unknown kid fetches.
	v := auth.NewJWKSVerifier(newJWKS(t, ks.url, auth.JWKSOptions{Refresh: time.Hour}),
		auth.WithIssuer(auth.Issuer), auth.WithAudience(auth.Audience))

	oldTok := sign(t, oldKey, t0)
	got, err := v.Verify(oldTok, t0)
	require.NoError(t, err)
	require.Equal(t, street, got)
	require.EqualValues(t, 1, ks.fetches.Load(), "the set is fetched once at start")

	// Rotation starts: the server publishes both keys; a token by the new key
	// names a kid the cache has not seen, which triggers a refetch at once.
	ks.publish(oldKey.PublicKey(), newKey.PublicKey())
	_, err = v.Verify(sign(t, newKey, t0), t0)
	require.NoError(t, err, "the new key works without a restart")
	require.EqualValues(t, 2, ks.fetches.Load())
	_, err = v.Verify(oldTok, t0)
	require.NoError(t, err, "the old key still works while it is published")
}

func TestAWithdrawnKeyStopsAtTheNextBackgroundRefresh(t *testing.T) {
	t.Parallel()
	oldKey, newKey := newSigner(t), newSigner(t)
	ks := newKeyServer(t, oldKey.PublicKey(), newKey.PublicKey())
	v := auth.NewJWKSVerifier(newJWKS(t, ks.url, auth.JWKSOptions{Refresh: 20 * time.Millisecond}))
	oldTok, newTok := sign(t, oldKey, t0), sign(t, newKey, t0)
	_, err := v.Verify(oldTok, t0)
	require.NoError(t, err)

	ks.publish(newKey.PublicKey())
	require.Eventually(t, func() bool {
		_, err := v.Verify(oldTok, t0)
		return err != nil
	}, 10*time.Second, 10*time.Millisecond, "a remembered token of a withdrawn key is refused too")
	_, err = v.Verify(oldTok, t0)
	require.ErrorContains(t, err, "unknown kid")
	_, err = v.Verify(newTok, t0)
	require.NoError(t, err)
}

func TestUnknownKidRefetchesAreRateLimited(t *testing.T) {
	t.Parallel()
	known := newSigner(t)
	ks := newKeyServer(t, known.PublicKey())
	v := auth.NewJWKSVerifier(newJWKS(t, ks.url, auth.JWKSOptions{Refresh: time.Hour, MinRefetch: time.Hour, Timeout: time.Second}))
	_, err := v.Verify(sign(t, known, t0), t0)
	require.NoError(t, err)
	require.EqualValues(t, 1, ks.fetches.Load())

	forged := sign(t, newSigner(t), t0)
	for range 5 {
		_, err = v.Verify(forged, t0)
		require.ErrorContains(t, err, "unknown kid")
	}
	require.EqualValues(t, 2, ks.fetches.Load(), "the first unknown kid refetches; the next ones within MinRefetch do not")
}

// A process often starts before its key server (make run starts the services
// before the gateway that serves the keys): while no set has been fetched,
// a token refetches it without waiting MinRefetch, so the first requests
// after the key server comes up are not refused for ten seconds.
func TestTokensWorkAsSoonAsAKeyServerThatStartedLateAnswers(t *testing.T) {
	t.Parallel()
	key := newSigner(t)
	ks := newKeyServer(t, key.PublicKey())
	ks.down.Store(true)
	v := auth.NewJWKSVerifier(newJWKS(t, ks.url, auth.JWKSOptions{Refresh: time.Hour, MinRefetch: time.Hour, Timeout: time.Second}))
	tok := sign(t, key, t0)
	_, err := v.Verify(tok, t0)
	require.ErrorContains(t, err, "no key set fetched")

	ks.down.Store(false)
	require.Eventually(t, func() bool {
		_, err := v.Verify(tok, t0)
		return err == nil
	}, 5*time.Second, 50*time.Millisecond, "accepted once the key server answers, long before MinRefetch (an hour)")

	// Many callers at once before any set is held share the one fetch: none is refused.
	var wg sync.WaitGroup
	var refused atomic.Int32
	fresh := newKeyServer(t, key.PublicKey())
	fresh.down.Store(true)
	fv := auth.NewJWKSVerifier(newJWKS(t, fresh.url, auth.JWKSOptions{Refresh: time.Hour, MinRefetch: time.Hour, Timeout: time.Second}))
	fresh.down.Store(false)
	for range 20 {
		wg.Go(func() {
			if _, err := fv.Verify(tok, t0); err != nil {
				refused.Add(1)
			}
		})
	}
	wg.Wait()
	require.Zero(t, refused.Load(), "the callers waiting for the first set all got it")

	forged := sign(t, newSigner(t), t0)
	fetches := ks.fetches.Load()
	for range 3 {
		_, err = v.Verify(forged, t0)
		require.ErrorContains(t, err, "unknown kid")
	}
	require.LessOrEqual(t, ks.fetches.Load(), fetches+1, "with a set held, unknown kids refetch once per MinRefetch again")
}

func TestASlowKeyServerDoesNotStallTokensOfKnownKeys(t *testing.T) {
	t.Parallel()
	known, rotated := newSigner(t), newSigner(t)
	entered, release := make(chan struct{}), make(chan struct{})
	var fetches atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if fetches.Add(1) == 1 {
			auth.JWKSHandler(known.PublicKey()).ServeHTTP(w, r)
			return
		}
		// Every later fetch (the rotated-in key is published) hangs until released.
		entered <- struct{}{}
		<-release
		auth.JWKSHandler(known.PublicKey(), rotated.PublicKey()).ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(release) })
	v := auth.NewJWKSVerifier(newJWKS(t, srv.URL, auth.JWKSOptions{Refresh: time.Hour, Timeout: time.Minute}))
	_, err := v.Verify(sign(t, known, t0), t0)
	require.NoError(t, err)

	// A token of a key the cache has not seen yet starts a refetch, which hangs.
	rotatedDone := make(chan error, 1)
	go func() {
		_, err := v.Verify(sign(t, rotated, t0.Add(time.Second)), t0.Add(time.Second))
		rotatedDone <- err
	}()
	<-entered

	// Meanwhile new tokens of the known key verify: nothing waits for the fetch.
	knownDone := make(chan error, 1)
	go func() {
		_, err := v.Verify(sign(t, known, t0.Add(2*time.Second)), t0.Add(2*time.Second))
		knownDone <- err
	}()
	select {
	case err := <-knownDone:
		require.NoError(t, err)
	case <-time.After(10 * time.Second):
		t.Fatal("a token of a known key waited for the hanging key server")
	}
	select {
	case <-rotatedDone:
		t.Fatal("the rotated-in key's token did not wait for its refetch")
	default:
	}
	release <- struct{}{} // the key server answers; the waiting token verifies
	require.NoError(t, <-rotatedDone)
}

func TestAStaleKeySetServesUntilMaxStaleThenRejects(t *testing.T) {
	t.Parallel()
	key := newSigner(t)
	ks := newKeyServer(t, key.PublicKey())
	clk := clock.NewFake(t0)
	v := auth.NewJWKSVerifier(newJWKS(t, ks.url, auth.JWKSOptions{Refresh: 20 * time.Millisecond, MaxStale: 10 * time.Minute, Clock: clk}))
	_, err := v.Verify(sign(t, key, clk.Now()), clk.Now())
	require.NoError(t, err)

	ks.down.Store(true)
	// Let refreshes fail (the second one after this starts once every earlier
	// one has finished), then age the set on the fake clock.
	since := ks.fetches.Load()
	require.Eventually(t, func() bool { return ks.fetches.Load() > since+1 }, 10*time.Second, 5*time.Millisecond)
	clk.Advance(5 * time.Minute)
	_, err = v.Verify(sign(t, key, clk.Now()), clk.Now())
	require.NoError(t, err, "a key server outage does not lock everyone out at once")
	clk.Advance(6 * time.Minute)
	_, err = v.Verify(sign(t, key, clk.Now()), clk.Now())
	require.ErrorContains(t, err, "stale")

	ks.down.Store(false)
	require.Eventually(t, func() bool {
		_, err := v.Verify(sign(t, key, clk.Now()), clk.Now())
		return err == nil
	}, 10*time.Second, 10*time.Millisecond, "recovers once the key server is back")
}

func TestClaimChecks(t *testing.T) {
	t.Parallel()
	_, priv, err := ed25519.GenerateKey(nil)
	require.NoError(t, err)
	pub := priv.Public().(ed25519.PublicKey)
	ks := newKeyServer(t, pub)
	clk := clock.NewFake(t0)
	jwksV := auth.NewJWKSVerifier(newJWKS(t, ks.url, auth.JWKSOptions{}), auth.WithIssuer("whistle-dev"), auth.WithAudience("whistle"))
	staticV := auth.NewVerifier(pub, auth.WithIssuer("whistle-dev"), auth.WithAudience("whistle"))

	mint := func(edit func(*auth.Claims)) string {
		c := auth.Claims{Role: auth.RoleStreet, Street: "110101001", District: "110101", RegisteredClaims: jwt.RegisteredClaims{
			Issuer: "whistle-dev", Subject: "s1", Audience: jwt.ClaimStrings{"whistle"},
			IssuedAt: jwt.NewNumericDate(t0), NotBefore: jwt.NewNumericDate(t0), ExpiresAt: jwt.NewNumericDate(t0.Add(time.Hour)),
		}}
		edit(&c)
		tok := jwt.NewWithClaims(jwt.SigningMethodEdDSA, c)
		tok.Header["kid"] = auth.KeyID(pub)
		s, err := tok.SignedString(priv)
		require.NoError(t, err)
		return s
	}
	for _, tc := range []struct {
		name string
		edit func(*auth.Claims)
		want string // empty: accepted
	}{
		{"valid", func(*auth.Claims) {}, ""},
		{"wrong issuer", func(c *auth.Claims) { c.Issuer = "evil" }, "issuer"},
		{"no issuer", func(c *auth.Claims) { c.Issuer = "" }, "iss"},
		{"wrong audience", func(c *auth.Claims) { c.Audience = jwt.ClaimStrings{"other"} }, "audience"},
		{"no audience", func(c *auth.Claims) { c.Audience = nil }, "aud"},
		{"not yet valid", func(c *auth.Claims) { c.NotBefore = jwt.NewNumericDate(t0.Add(time.Minute)) }, "not valid yet"},
		{"expired", func(c *auth.Claims) { c.ExpiresAt = jwt.NewNumericDate(t0.Add(-time.Second)) }, "expired"},
		{"no expiry", func(c *auth.Claims) { c.ExpiresAt = nil }, "exp"},
	} {
		tok := mint(tc.edit)
		for vname, v := range map[string]*auth.Verifier{"jwks": jwksV, "static": staticV} {
			_, err := v.Verify(tok, clk.Now())
			if tc.want == "" {
				require.NoError(t, err, "%s/%s", tc.name, vname)
			} else {
				require.ErrorContains(t, err, tc.want, "%s/%s", tc.name, vname)
			}
		}
	}
}

func TestDevTokensCarryKidIssuerAndAudience(t *testing.T) {
	t.Parallel()
	s := newSigner(t)
	tok := sign(t, s, t0)
	parsed, _, err := jwt.NewParser().ParseUnverified(tok, &auth.Claims{})
	require.NoError(t, err)
	require.Equal(t, s.KeyID(), parsed.Header["kid"])
	claims := parsed.Claims.(*auth.Claims)
	require.Equal(t, "whistle-dev", claims.Issuer)
	require.Equal(t, jwt.ClaimStrings{"whistle"}, claims.Audience)

	var set auth.KeySet
	rec := httptest.NewRecorder()
	auth.JWKSHandler(s.PublicKey()).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/.well-known/jwks.json", nil))
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &set))
	require.Len(t, set.Keys, 1)
	require.Equal(t, s.KeyID(), set.Keys[0].Kid)
	require.Equal(t, "OKP", set.Keys[0].Kty)
}

func TestVerifierFromConfigPrefersJWKS(t *testing.T) {
	t.Parallel()
	jwksKey, staticKey := newSigner(t), newSigner(t)
	ks := newKeyServer(t, jwksKey.PublicKey())
	log := slog.New(slog.DiscardHandler)
	v, err := auth.NewVerifierFromConfig(auth.KeyConfig{
		PublicKey: auth.EncodeKey(staticKey.PublicKey()), JWKSURL: ks.url, Issuer: auth.Issuer, Audience: auth.Audience,
	}, log)
	require.NoError(t, err)
	t.Cleanup(v.Close)
	_, err = v.Verify(sign(t, jwksKey, t0), t0)
	require.NoError(t, err)
	_, err = v.Verify(sign(t, staticKey, t0), t0)
	require.Error(t, err)

	v, err = auth.NewVerifierFromConfig(auth.KeyConfig{PublicKey: auth.EncodeKey(staticKey.PublicKey())}, log)
	require.NoError(t, err)
	_, err = v.Verify(sign(t, staticKey, t0), t0)
	require.NoError(t, err)
	_, err = auth.NewVerifierFromConfig(auth.KeyConfig{}, log)
	require.ErrorContains(t, err, "WHISTLE_JWT_PUBLIC_KEY")
}
