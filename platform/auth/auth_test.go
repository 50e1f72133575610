package auth_test

import (
	"crypto/ed25519"
	"log/slog"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/chuishao/whistle/platform/auth"
)

func TestTokensCarryTheScopeAndExpire(t *testing.T) {
	t.Parallel()
	pub, priv, err := ed25519.GenerateKey(nil)
	require.NoError(t, err)
	now := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	desk := auth.Identity{Subject: "d1", Role: auth.RoleDesk, DistrictID: "110101", Department: "police"}
	tok, err := auth.NewSigner(priv).Sign(desk, now, time.Hour)
	require.NoError(t, err)

	v := auth.NewVerifier(pub)
	got, err := v.Verify(tok, now.Add(time.Minute))
	require.NoError(t, err)
	require.Equal(t, desk, got)

	_, err = v.Verify(tok, now.Add(2*time.Hour))
	require.ErrorContains(t, err, "expired")

	otherPub, _, _ := ed25519.GenerateKey(nil)
	_, err = auth.NewVerifier(otherPub).Verify(tok, now)
	require.Error(t, err, "a token signed by another key is rejected")
}

func TestScopeClaimsAreRequiredPerRole(t *testing.T) {
	t.Parallel()
	_, priv, _ := ed25519.GenerateKey(nil)
	s := auth.NewSigner(priv)
	for _, id := range []auth.Identity{
		{Subject: "s", Role: auth.RoleStreet, DistrictID: "110101"},
		{Subject: "d", Role: auth.RoleDesk, DistrictID: "110101"},
		{Subject: "d", Role: auth.RoleDesk, Department: "police"},
		{Subject: "x", Role: "mayor"},
		{Role: auth.RoleSupervisor},
	} {
		_, err := s.Sign(id, time.Now(), time.Hour)
		require.Error(t, err, "%+v", id)
	}
}

func TestKeysRoundTrip(t *testing.T) {
	t.Parallel()
	pub, priv, _ := ed25519.GenerateKey(nil)
	gotPub, err := auth.ParsePublicKey(auth.EncodeKey(pub))
	require.NoError(t, err)
	require.Equal(t, pub, gotPub)
	gotPriv, err := auth.ParsePrivateKey(auth.EncodeKey(priv.Seed()))
	require.NoError(t, err)
	require.Equal(t, priv, gotPriv)
	_, err = auth.ParsePublicKey("not base64!")
	require.ErrorContains(t, err, "WHISTLE_JWT_PUBLIC_KEY")
}

// TestScopedKeysSignOnlyTheirScope: a scoped key's tokens verify only for the
// identities its scope permits; the main key still signs anything.
func TestScopedKeysSignOnlyTheirScope(t *testing.T) {
	t.Parallel()
	pub, priv, _ := ed25519.GenerateKey(nil)
	saPub, saPriv, _ := ed25519.GenerateKey(nil)
	o311Pub, o311Priv, _ := ed25519.GenerateKey(nil)
	fuPub, fuPriv, _ := ed25519.GenerateKey(nil)
	keys, err := auth.ParseScopedKeys(auth.FormatScopedKeys(
		auth.ScopedKey{Scope: auth.ScopeServiceAccount, Key: saPub}, auth.ScopedKey{Scope: auth.ScopeOpen311, Key: o311Pub},
		auth.ScopedKey{Scope: auth.ScopeFollowUp, Key: fuPub}))
	require.NoError(t, err)
	v := auth.NewVerifier(pub, auth.WithIssuer(auth.Issuer), auth.WithScopedKeys(keys...))
	now := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	admin := auth.Identity{Subject: "a", Role: auth.RoleAdmin}
	saDesk := auth.Identity{Subject: "sa:1", Role: auth.RoleDesk, DistrictID: "110101", Department: "police"}
	desk := auth.Identity{Subject: "d", Role: auth.RoleDesk, DistrictID: "110101", Department: "police"}
	street := auth.Identity{Subject: "client", Role: auth.RoleStreet, StreetID: "110101001", DistrictID: "110101"}
	public := auth.Identity{Subject: "open311-public", Role: auth.RolePublic}
	publicSupervisor := auth.Identity{Subject: "open311-public", Role: auth.RoleSupervisor}
	resident := auth.Identity{Subject: "grid:g-1", Role: auth.RoleResident}
	for _, c := range []struct {
		key  ed25519.PrivateKey
		id   auth.Identity
		want bool
	}{
		{priv, admin, true}, {priv, saDesk, true},
		{saPriv, saDesk, true}, {saPriv, admin, false}, {saPriv, desk, false}, {saPriv, street, false},
		{o311Priv, street, true}, {o311Priv, public, true}, {o311Priv, admin, false}, {o311Priv, saDesk, false},
		{o311Priv, desk, false}, {o311Priv, publicSupervisor, false}, {saPriv, public, false},
		// The follow-up key signs residents only, and only it (or the main key) signs them.
		{fuPriv, resident, true}, {fuPriv, street, false}, {fuPriv, public, false}, {fuPriv, admin, false},
		{o311Priv, resident, false}, {saPriv, resident, false},
	} {
		tok, err := auth.NewSigner(c.key).Sign(c.id, now, time.Hour)
		require.NoError(t, err)
		_, err = v.Verify(tok, now)
		if c.want {
			require.NoError(t, err, "%+v", c.id)
		} else {
			require.ErrorContains(t, err, "may not sign", "%+v", c.id)
		}
	}
	_, err = auth.ParseScopedKeys("root:" + auth.EncodeKey(pub))
	require.ErrorContains(t, err, "unknown scope")
}

// TestTheIssuerIsConfiguredAndEnforced: a signer names the configured
// issuer, and a verifier refuses any other.
func TestTheIssuerIsConfiguredAndEnforced(t *testing.T) {
	t.Parallel()
	pub, priv, _ := ed25519.GenerateKey(nil)
	now := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	id := auth.Identity{Subject: "a", Role: auth.RoleAdmin}
	prod, err := auth.NewSigner(priv).WithIssuer("https://id.example.gov.cn").Sign(id, now, time.Hour)
	require.NoError(t, err)
	dev, err := auth.NewSigner(priv).Sign(id, now, time.Hour)
	require.NoError(t, err)
	v, err := auth.NewVerifierFromConfig(auth.KeyConfig{PublicKey: auth.EncodeKey(pub), Issuer: "https://id.example.gov.cn"}, slog.New(slog.DiscardHandler))
	require.NoError(t, err)
	_, err = v.Verify(prod, now)
	require.NoError(t, err)
	_, err = v.Verify(dev, now)
	require.ErrorContains(t, err, "issuer")
	// Without one configured, the default is required.
	v, err = auth.NewVerifierFromConfig(auth.KeyConfig{PublicKey: auth.EncodeKey(pub)}, slog.New(slog.DiscardHandler))
	require.NoError(t, err)
	_, err = v.Verify(prod, now)
	require.ErrorContains(t, err, "issuer")
	_, err = v.Verify(dev, now)
	require.NoError(t, err)
	require.Error(t, auth.ValidateIssuer("has space"))
}

type revokedList map[string]bool

func (r revokedList) CheckServiceAccount(id string) error {
	if r[id] {
		return auth.ErrRevoked
	}
	return nil
}

// TestARememberedTokenIsStillCheckedForRevocation: the verified-token cache
// does not outlive a revocation.
func TestARememberedTokenIsStillCheckedForRevocation(t *testing.T) {
	t.Parallel()
	pub, priv, _ := ed25519.GenerateKey(nil)
	list := revokedList{}
	v := auth.NewVerifier(pub, auth.WithRevocations(list))
	now := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	tok, err := auth.NewSigner(priv).Sign(auth.Identity{Subject: "sa:7", Role: auth.RoleDesk, DistrictID: "110101", Department: "police"}, now, time.Hour)
	require.NoError(t, err)
	_, err = v.Verify(tok, now)
	require.NoError(t, err)
	list["7"] = true
	_, err = v.Verify(tok, now)
	require.ErrorIs(t, err, auth.ErrRevoked)
}
