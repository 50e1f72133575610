package auth

import (
	"crypto/ed25519"
	"errors"
	"fmt"
	"strings"
)

// ServiceAccountPrefix begins the subject of every service-account token; the
// rest is the account id. Such tokens are checked against the revocation list
// (Revocations) by every verifier that has one.
const ServiceAccountPrefix = "sa:"

// KeyScope names what a scoped signing key may issue. A key without a scope
// (the identity provider's, the dev signer's) issues any identity; a scoped
// key's token for anything else is refused by every verifier.
type KeyScope string

// Key scopes.
const (
	// ScopeServiceAccount is the service-account key: desk tokens
	// whose subject is sa:<account id>, nothing else.
	ScopeServiceAccount KeyScope = "service-account"
	// ScopeOpen311 is the Open311 endpoints' key: street identities (a
	// client's api_key bound to its street) and the public's read-only
	// identity, never a desk, supervisor or admin.
	ScopeOpen311 KeyScope = "open311"
	// ScopeFollowUp is the follow-up key: resident identities, nothing else,
	// for the service that holds residents' follow-up codes to act on their
	// answer.
	ScopeFollowUp KeyScope = "follow-up"
)

// Permits reports why id is outside the scope, or nil when the scope may sign it.
func (s KeyScope) Permits(id Identity) error {
	sa := strings.HasPrefix(id.Subject, ServiceAccountPrefix)
	switch s {
	case ScopeServiceAccount:
		if id.Role == RoleDesk && sa {
			return nil
		}
	case ScopeOpen311:
		if !sa && (id.Role == RoleStreet || id.Role == RolePublic) {
			return nil
		}
	case ScopeFollowUp:
		if !sa && id.Role == RoleResident {
			return nil
		}
	default:
		return fmt.Errorf("unknown key scope %q", s)
	}
	return fmt.Errorf("a %s key may not sign a %s token for %q", s, id.Role, id.Subject)
}

// ScopedKey is a verification key that may sign only what its scope permits.
type ScopedKey struct {
	Scope KeyScope
	Key   ed25519.PublicKey
}

// ParseScopedKeys reads WHISTLE_JWT_SCOPED_KEYS: comma-separated
// scope:base64-public-key pairs, e.g. "service-account:MCow...,open311:Xb1...".
// A scope may be named more than once (a key being rotated in).
func ParseScopedKeys(s string) ([]ScopedKey, error) {
	var out []ScopedKey
	for part := range strings.SplitSeq(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		scope, b64, ok := strings.Cut(part, ":")
		if !ok {
			return nil, fmt.Errorf("WHISTLE_JWT_SCOPED_KEYS: %q is not scope:key", part)
		}
		sk := ScopedKey{Scope: KeyScope(strings.TrimSpace(scope))}
		if sk.Scope != ScopeServiceAccount && sk.Scope != ScopeOpen311 && sk.Scope != ScopeFollowUp {
			return nil, fmt.Errorf("WHISTLE_JWT_SCOPED_KEYS: unknown scope %q (want %s, %s or %s)", sk.Scope, ScopeServiceAccount, ScopeOpen311, ScopeFollowUp)
		}
		key, err := ParsePublicKey(strings.TrimSpace(b64))
		if err != nil {
			return nil, fmt.Errorf("WHISTLE_JWT_SCOPED_KEYS: %s key must be a base64 Ed25519 public key", sk.Scope)
		}
		sk.Key = key
		out = append(out, sk)
	}
	return out, nil
}

// FormatScopedKeys is the WHISTLE_JWT_SCOPED_KEYS value that ParseScopedKeys reads back.
func FormatScopedKeys(keys ...ScopedKey) string {
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = string(k.Scope) + ":" + EncodeKey(k.Key)
	}
	return strings.Join(parts, ",")
}

// ValidateIssuer checks WHISTLE_JWT_ISSUER; empty means Issuer.
func ValidateIssuer(issuer string) error {
	if len(issuer) > 200 || strings.ContainsFunc(issuer, func(r rune) bool { return r <= ' ' || r == 0x7f }) {
		return fmt.Errorf("WHISTLE_JWT_ISSUER must be at most 200 characters without spaces or control characters, got %q", issuer)
	}
	return nil
}

// ErrRevoked is a service-account token whose account was revoked, or one
// that cannot be trusted because the revocation list is not current.
var ErrRevoked = errors.New("service account revoked")

// Revocations tells a verifier whether a service account's tokens still hold.
type Revocations interface {
	// CheckServiceAccount returns an error wrapping ErrRevoked when account
	// (the id after "sa:") is revoked, or when the list is too stale to tell.
	CheckServiceAccount(account string) error
}

// WithRevocations makes the verifier check every sa: token against r, on
// every call (a remembered token too).
func WithRevocations(r Revocations) VerifierOption {
	return func(v *Verifier) { v.revocations = r }
}

// WithScopedKeys makes the verifier accept tokens of these keys (picked by
// their kid, ahead of the main keys) only within each key's scope.
func WithScopedKeys(keys ...ScopedKey) VerifierOption {
	return func(v *Verifier) {
		for _, k := range keys {
			v.scoped[KeyID(k.Key)] = k
		}
	}
}

// WithIdentityCheck makes the verifier refuse every identity check refuses,
// on every call (a remembered token too): the REST edge's check that a
// signed-in person's grant still stands.
func WithIdentityCheck(check func(Identity) error) VerifierOption {
	return func(v *Verifier) { v.check = check }
}

// checkRevoked applies the revocation list to a service-account identity,
// and the identity check to every identity.
func (v *Verifier) checkRevoked(id Identity) error {
	if v.check != nil {
		if err := v.check(id); err != nil {
			return fmt.Errorf("verify token: %w", err)
		}
	}
	account, ok := strings.CutPrefix(id.Subject, ServiceAccountPrefix)
	if !ok || v.revocations == nil {
		return nil
	}
	if err := v.revocations.CheckServiceAccount(account); err != nil {
		return fmt.Errorf("verify token: %w", err)
	}
	return nil
}
