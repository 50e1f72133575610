package auth_test

import (
	"crypto/ed25519"
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
