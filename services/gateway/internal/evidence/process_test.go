package evidence_test

import (
	"bytes"
	"image"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/chuishao/whistle/services/gateway/evidencetest"
	"github.com/chuishao/whistle/services/gateway/internal/evidence"
)

func TestPhotoKeepsItsPositionAsMetadataButNotInTheStoredImage(t *testing.T) {
	t.Parallel()
	photo := evidencetest.JPEGWithGPS(t, 800, 600, 39.9087, 116.3975)
	require.True(t, evidencetest.HasEXIF(photo))

	p, err := evidence.Prepare(photo)
	require.NoError(t, err)
	require.Equal(t, "image/jpeg", p.MediaType)
	require.NotNil(t, p.GPS)
	require.InDelta(t, 39.9087, p.GPS.Lat, 1e-6)
	require.InDelta(t, 116.3975, p.GPS.Lng, 1e-6)
	require.Equal(t, 800, p.Width)
	require.Len(t, p.SHA256, 64)
	require.NotEqual(t, p.SHA256, p.StoredSHA256)

	require.False(t, evidencetest.HasEXIF(p.Stored), "the stored image carries no EXIF")
	require.False(t, evidencetest.HasEXIF(p.Thumbnail), "the thumbnail carries no EXIF")
	cfg, _, err := image.DecodeConfig(bytes.NewReader(p.Thumbnail))
	require.NoError(t, err)
	require.Equal(t, evidence.ThumbnailEdge, cfg.Width)
	require.Equal(t, 240, cfg.Height)
}

func TestTypeIsSniffedNotTrusted(t *testing.T) {
	t.Parallel()
	// A script named and labelled as a photo is refused for what it is.
	_, err := evidence.Prepare([]byte("<html><script>alert(1)</script></html>"))
	require.ErrorIs(t, err, evidence.ErrUnsupported)
	require.Contains(t, err.Error(), "text/html")

	// A PDF is kept as uploaded, with its hash.
	pdf := []byte("%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n")
	p, err := evidence.Prepare(pdf)
	require.NoError(t, err)
	require.Equal(t, "application/pdf", p.MediaType)
	require.Equal(t, pdf, p.Stored)
	require.Equal(t, p.SHA256, p.StoredSHA256)
	require.Nil(t, p.Thumbnail)

	// A JPEG header over garbage is no photo.
	_, err = evidence.Prepare(append([]byte{0xFF, 0xD8, 0xFF, 0xE0}, []byte(strings.Repeat("x", 100))...))
	require.Error(t, err)
}

func TestOversizedAndEmptyAreRefused(t *testing.T) {
	t.Parallel()
	_, err := evidence.Prepare(nil)
	require.Error(t, err)
	_, err = evidence.Prepare(make([]byte, evidence.MaxBytes+1))
	require.Error(t, err)
}
