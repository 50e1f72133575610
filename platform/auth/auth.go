// Package auth issues and verifies Whistle's EdDSA JWTs and carries the
// verified identity in a context.
package auth

import (
	"context"
	"crypto"
	"crypto/ed25519"
	"encoding/base64"
	"errors"
	"fmt"
	"time"

	"github.com/golang-jwt/jwt/v5"
	lru "github.com/hashicorp/golang-lru/v2"
)

// Roles in tokens.
const (
	RoleStreet     = "street"
	RoleDesk       = "desk"
	RoleSupervisor = "supervisor"
	RoleAdmin      = "admin"
	// RoleGrid is a grid worker (网格员): files reports on its street's micro-grid.
	RoleGrid = "grid"
	// RolePublic is the anonymous public's read-only identity (Open311's
	// reads): it carries no scope, may call only the methods a service
	// declares as its public view (grpcserver.RegisterPublicView), and gets
	// those answers without personal data.
	RolePublic = "public"
	// RoleResident is a resident answering a follow-up (回访) through the
	// code a street or a report gave them, on whose behalf a service acts: it
	// carries no scope claims, is signed only by a follow-up key
	// (ScopeFollowUp), and may call only the methods a service declares for
	// it (grpcserver.RegisterResidentMethods).
	RoleResident = "resident"
)

// Issuer is the default iss claim: what signers write and verifiers require
// unless WHISTLE_JWT_ISSUER names another (make run, tests).
const Issuer = "whistle-dev"

// Audience is the aud claim of tokens signed by the dev signer.
const Audience = "whistle"

// Identity is who is asking, as proven by a verified token.
type Identity struct {
	Subject    string
	Role       string
	StreetID   string
	DistrictID string
	Department string
	// GridID is a grid worker's micro-grid within its street.
	GridID string
}

// Claims is the JWT payload.
type Claims struct {
	Role       string `json:"role"`
	Street     string `json:"street,omitempty"`
	District   string `json:"district,omitempty"`
	Department string `json:"department,omitempty"`
	Grid       string `json:"grid,omitempty"`
	jwt.RegisteredClaims
}

// Validate checks that the role's scope claims are present, so a token can never
// grant a wider scope by leaving a claim out.
func (id Identity) Validate() error {
	switch id.Role {
	case RoleStreet:
		if id.StreetID == "" || id.DistrictID == "" {
			return errors.New("a street token needs street and district")
		}
	case RoleDesk:
		if id.Department == "" || id.DistrictID == "" {
			return errors.New("a desk token needs department and district")
		}
	case RoleGrid:
		if id.StreetID == "" || id.DistrictID == "" || id.GridID == "" {
			return errors.New("a grid token needs street, district and grid")
		}
	case RoleSupervisor, RoleAdmin:
		// A supervisor without district has city scope.
	case RolePublic, RoleResident:
		if id.StreetID != "" || id.DistrictID != "" || id.Department != "" || id.GridID != "" {
			return fmt.Errorf("a %s token carries no scope claims", id.Role)
		}
	default:
		return fmt.Errorf("unknown role %q", id.Role)
	}
	if id.Subject == "" {
		return errors.New("token has no subject")
	}
	return nil
}

// Signer issues tokens (dev sign-in, the launcher, Open311, service accounts, tests).
type Signer struct {
	key    ed25519.PrivateKey
	kid    string
	issuer string
}

// NewSigner returns a signer for key whose tokens name Issuer. Its tokens
// carry the key's RFC 7638 thumbprint as kid, so a verifier picks the right
// key (and knows what that key may sign: KeyScope).
func NewSigner(key ed25519.PrivateKey) *Signer {
	return &Signer{key: key, kid: KeyID(key.Public().(ed25519.PublicKey)), issuer: Issuer}
}

// WithIssuer returns a signer of the same key whose tokens name issuer
// (WHISTLE_JWT_ISSUER); empty keeps Issuer.
func (s *Signer) WithIssuer(issuer string) *Signer {
	c := *s
	if issuer != "" {
		c.issuer = issuer
	}
	return &c
}

// KeyID is the kid of the signer's key (also its JWK's kid).
func (s *Signer) KeyID() string { return s.kid }

// PublicKey is the key that verifies the signer's tokens.
func (s *Signer) PublicKey() ed25519.PublicKey { return s.key.Public().(ed25519.PublicKey) }

// Sign issues a token for id, valid for ttl from now.
func (s *Signer) Sign(id Identity, now time.Time, ttl time.Duration) (string, error) {
	if err := id.Validate(); err != nil {
		return "", err
	}
	claims := Claims{
		Role: id.Role, Street: id.StreetID, District: id.DistrictID, Department: id.Department, Grid: id.GridID,
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer: s.issuer, Subject: id.Subject, Audience: jwt.ClaimStrings{Audience},
			IssuedAt: jwt.NewNumericDate(now), ExpiresAt: jwt.NewNumericDate(now.Add(ttl)),
		},
	}
	return s.SignClaims(claims)
}

// SignClaims signs claims as they are, with the signer's kid: for tests of
// what verifiers refuse (another audience, a future not-before).
func (s *Signer) SignClaims(claims Claims) (string, error) {
	tok := jwt.NewWithClaims(jwt.SigningMethodEdDSA, claims)
	tok.Header["kid"] = s.kid
	return tok.SignedString(s.key)
}

// Verifier checks tokens: the signature against a static key or a JWKS, then
// expiry (required), not-before, and issuer and audience when configured.
//
// A token that verified is remembered (an LRU of verifiedCacheSize tokens), so
// the same token presented again — every request of a session, every hop of a
// forwarded call — skips the signature check. A remembered token still gets
// expiry and not-before checked against now, and its kid must still give the
// same key (a key withdrawn from the JWKS withdraws its tokens).
//
// Service-account tokens (subject sa:<id>) are checked against the
// revocation list on every call, remembered or not (WithRevocations).
type Verifier struct {
	keys        func(kid, alg string) (any, error)
	close       func()
	scoped      map[string]ScopedKey // by kid
	revocations Revocations
	check       func(Identity) error
	issuer      string
	audience    string
	verified    *lru.Cache[string, verifiedToken]
}

// verifiedCacheSize bounds the tokens a verifier remembers.
const verifiedCacheSize = 4096

// verifiedToken is what a successful Verify remembers of a token.
type verifiedToken struct {
	id        Identity
	kid, alg  string
	key       any
	notBefore time.Time // zero: none
	expires   time.Time
}

// VerifierOption configures a Verifier.
type VerifierOption func(*Verifier)

// WithIssuer makes the verifier require iss == issuer.
func WithIssuer(issuer string) VerifierOption { return func(v *Verifier) { v.issuer = issuer } }

// WithAudience makes the verifier require audience among the token's aud.
func WithAudience(audience string) VerifierOption {
	return func(v *Verifier) { v.audience = audience }
}

// NewVerifier returns a verifier for one static key; a token's kid is ignored.
func NewVerifier(key ed25519.PublicKey, opts ...VerifierOption) *Verifier {
	return newVerifier(func(string, string) (any, error) { return key, nil }, opts)
}

// NewJWKSVerifier returns a verifier that picks each token's key by kid from
// set; closing the verifier closes set.
func NewJWKSVerifier(set *JWKS, opts ...VerifierOption) *Verifier {
	v := newVerifier(set.Key, opts)
	v.close = set.Close
	return v
}

// Close stops the background work of the verifier's key set, if any.
func (v *Verifier) Close() {
	if v != nil && v.close != nil {
		v.close()
	}
}

func newVerifier(keys func(kid, alg string) (any, error), opts []VerifierOption) *Verifier {
	cache, err := lru.New[string, verifiedToken](verifiedCacheSize)
	if err != nil {
		panic(err) // only for a size < 1
	}
	v := &Verifier{keys: keys, scoped: map[string]ScopedKey{}, verified: cache}
	for _, o := range opts {
		o(v)
	}
	return v
}

// ParsePublicKey decodes a base64 (standard) raw Ed25519 public key.
func ParsePublicKey(b64 string) (ed25519.PublicKey, error) {
	raw, err := base64.StdEncoding.DecodeString(b64)
	if err != nil || len(raw) != ed25519.PublicKeySize {
		return nil, errors.New("WHISTLE_JWT_PUBLIC_KEY must be a base64 Ed25519 public key")
	}
	return ed25519.PublicKey(raw), nil
}

// ParsePrivateKey decodes a base64 (standard) Ed25519 seed or private key.
func ParsePrivateKey(b64 string) (ed25519.PrivateKey, error) {
	raw, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		return nil, errors.New("signing key must be base64")
	}
	switch len(raw) {
	case ed25519.SeedSize:
		return ed25519.NewKeyFromSeed(raw), nil
	case ed25519.PrivateKeySize:
		return ed25519.PrivateKey(raw), nil
	}
	return nil, errors.New("signing key must be an Ed25519 seed or private key")
}

// EncodeKey is the base64 form that ParsePublicKey and ParsePrivateKey read.
func EncodeKey(key []byte) string { return base64.StdEncoding.EncodeToString(key) }

// Verify checks the signature, expiry, not-before, issuer, audience and scope
// claims of token at time now.
func (v *Verifier) Verify(token string, now time.Time) (Identity, error) {
	if t, ok := v.verified.Get(token); ok && t.stillValid(v, now) {
		if err := v.checkRevoked(t.id); err != nil {
			return Identity{}, err
		}
		return t.id, nil
	}
	var claims Claims
	var kid, alg string
	var key any
	opts := []jwt.ParserOption{
		jwt.WithValidMethods([]string{jwt.SigningMethodEdDSA.Alg(), jwt.SigningMethodRS256.Alg()}),
		jwt.WithExpirationRequired(),
		jwt.WithTimeFunc(func() time.Time { return now }),
	}
	if v.issuer != "" {
		opts = append(opts, jwt.WithIssuer(v.issuer))
	}
	if v.audience != "" {
		opts = append(opts, jwt.WithAudience(v.audience))
	}
	_, err := jwt.ParseWithClaims(token, &claims, func(t *jwt.Token) (any, error) {
		kid, _ = t.Header["kid"].(string)
		alg = t.Method.Alg()
		k, err := v.key(kid, alg)
		key = k
		return k, err
	}, opts...)
	if err != nil {
		return Identity{}, fmt.Errorf("verify token: %w", err)
	}
	id := Identity{Subject: claims.Subject, Role: claims.Role, StreetID: claims.Street, DistrictID: claims.District, Department: claims.Department, GridID: claims.Grid}
	if err := id.Validate(); err != nil {
		return Identity{}, fmt.Errorf("verify token: %w", err)
	}
	if sk, ok := v.scoped[kid]; ok {
		if err := sk.Scope.Permits(id); err != nil {
			return Identity{}, fmt.Errorf("verify token: %w", err)
		}
	}
	if err := v.checkRevoked(id); err != nil {
		return Identity{}, err
	}
	t := verifiedToken{id: id, kid: kid, alg: alg, key: key, expires: claims.ExpiresAt.Time}
	if claims.NotBefore != nil {
		t.notBefore = claims.NotBefore.Time
	}
	v.verified.Add(token, t)
	return id, nil
}

// stillValid reports whether a remembered token holds at now: inside its
// validity window, and its kid still resolves to the key that verified it.
// Anything else goes through the full check, which gives the error.
func (t verifiedToken) stillValid(v *Verifier, now time.Time) bool {
	if !now.Before(t.expires) || now.Before(t.notBefore) {
		return false
	}
	k, err := v.key(t.kid, t.alg)
	if err != nil {
		return false
	}
	eq, ok := k.(interface{ Equal(crypto.PublicKey) bool })
	return ok && eq.Equal(t.key)
}

// key is the key named kid: a scoped key first, then the main keys.
func (v *Verifier) key(kid, alg string) (any, error) {
	if sk, ok := v.scoped[kid]; ok {
		return sk.Key, nil
	}
	return v.keys(kid, alg)
}

type ctxKey struct{}

// WithIdentity returns ctx carrying id.
func WithIdentity(ctx context.Context, id Identity) context.Context {
	return context.WithValue(ctx, ctxKey{}, id)
}

// FromContext returns the verified identity of the caller, if any.
func FromContext(ctx context.Context) (Identity, bool) {
	id, ok := ctx.Value(ctxKey{}).(Identity)
	return id, ok
}
