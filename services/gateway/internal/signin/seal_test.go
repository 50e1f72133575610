package signin

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestASealedSignInOpensOnlyWithItsKey(t *testing.T) {
	t.Parallel()
	key, other := [32]byte{1}, [32]byte{2}
	in := pending{State: "s", Nonce: "n", Verifier: "v", Created: time.Unix(1700000000, 0).UTC()}
	sealed, err := sealJSON(key, in)
	require.NoError(t, err)
	require.NotContains(t, sealed, "v\"", "the verifier is not readable in the cookie")
	var out pending
	require.NoError(t, openJSON(key, sealed, &out))
	require.Equal(t, in, out)
	require.Error(t, openJSON(other, sealed, &out), "another deployment's key")
	tampered := []byte(sealed)
	tampered[len(tampered)-3] ^= 1
	require.Error(t, openJSON(key, string(tampered), &out), "a changed cookie")
	require.Error(t, openJSON(key, "!!", &out))
}
