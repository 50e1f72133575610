package blob_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/chuishao/whistle/platform/blob"
	"github.com/chuishao/whistle/platform/blob/blobtest"
)

func TestFS(t *testing.T) {
	s, err := blob.NewFS(t.TempDir())
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	blobtest.Run(t, s)
}

// TestS3 runs the same suite against a real SeaweedFS S3 gateway (built from
// the Go module proxy on first use; see blobtest.Seaweed).
func TestS3(t *testing.T) {
	cfg := blobtest.Seaweed(t)
	s, err := blob.NewS3(context.Background(), cfg)
	require.NoError(t, err)
	blobtest.Run(t, s)
}
