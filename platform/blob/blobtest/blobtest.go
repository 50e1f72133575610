// Package blobtest is the one test suite every blob.Store passes (the
// filesystem and a real S3-compatible server), and the helper that starts
// that server (SeaweedFS) for tests.
package blobtest

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/chuishao/whistle/platform/blob"
)

// Run checks s as a user of the store would notice: what is put comes back
// byte for byte with its content type, a replaced key reads the new bytes, a
// deleted or unknown key is blob.ErrNotFound, a short body stores nothing and
// keys that could escape are refused.
func Run(t *testing.T, s blob.Store) {
	ctx := context.Background()
	t.Run("RoundTrip", func(t *testing.T) {
		data := make([]byte, 3<<20+17) // more than one S3 part buffer of small servers
		_, _ = rand.Read(data)
		require.NoError(t, s.Put(ctx, "whistles/w1/a1", bytes.NewReader(data), int64(len(data)), "image/jpeg"))
		obj, err := s.Get(ctx, "whistles/w1/a1")
		require.NoError(t, err)
		defer func() { _ = obj.Close() }()
		got, err := io.ReadAll(obj)
		require.NoError(t, err)
		require.Equal(t, data, got)
		require.EqualValues(t, len(data), obj.Size)
		require.Equal(t, "image/jpeg", obj.ContentType)
	})
	t.Run("Replace", func(t *testing.T) {
		require.NoError(t, s.Put(ctx, "r/k", strings.NewReader("old"), 3, "text/plain"))
		require.NoError(t, s.Put(ctx, "r/k", strings.NewReader("newer"), 5, "application/pdf"))
		obj, err := s.Get(ctx, "r/k")
		require.NoError(t, err)
		got, _ := io.ReadAll(obj)
		_ = obj.Close()
		require.Equal(t, "newer", string(got))
		require.Equal(t, "application/pdf", obj.ContentType)
	})
	t.Run("DeleteAndMissing", func(t *testing.T) {
		require.NoError(t, s.Put(ctx, "d/k", strings.NewReader("x"), 1, "text/plain"))
		require.NoError(t, s.Delete(ctx, "d/k"))
		_, err := s.Get(ctx, "d/k")
		require.ErrorIs(t, err, blob.ErrNotFound)
		require.ErrorIs(t, s.Delete(ctx, "d/k"), blob.ErrNotFound)
		_, err = s.Get(ctx, "never/put")
		require.ErrorIs(t, err, blob.ErrNotFound)
	})
	t.Run("ShortBodyStoresNothing", func(t *testing.T) {
		err := s.Put(ctx, "short/k", strings.NewReader("abc"), 10, "text/plain")
		require.Error(t, err)
		_, err = s.Get(ctx, "short/k")
		require.ErrorIs(t, err, blob.ErrNotFound)
	})
	t.Run("BadKeys", func(t *testing.T) {
		for _, key := range []string{"", "../x", "a/../../x", "/abs", "a//b", "A", "a b", "a\\b"} {
			err := s.Put(ctx, key, strings.NewReader("x"), 1, "text/plain")
			require.Error(t, err, key)
			_, err = s.Get(ctx, key)
			require.Error(t, err, key)
			require.False(t, errors.Is(err, blob.ErrNotFound), key)
		}
	})
}
