// Package evidence checks and prepares an uploaded attachment before it is
// stored: the type is sniffed from the bytes (the client's Content-Type is
// never trusted), images are decoded, re-encoded without any metadata and
// thumbnailed, their EXIF GPS position is read as evidence metadata, and the
// SHA-256 of the upload and of the stored object are taken.
package evidence

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"image"
	"image/jpeg"
	"image/png"

	"github.com/gabriel-vasile/mimetype"
	"golang.org/x/image/draw"
	_ "golang.org/x/image/webp" // WebP uploads are decoded and stored as JPEG
)

// Limits of one upload (docs/security.md).
const (
	// MaxBytes bounds one file.
	MaxBytes = 10 << 20
	// MaxPixels bounds a decoded image (width × height), so a small file
	// cannot expand into gigabytes of pixels.
	MaxPixels = 40_000_000
	// ThumbnailEdge is the longest edge of a thumbnail, in pixels.
	ThumbnailEdge = 320
	// jpegQuality of re-encoded photos and thumbnails.
	jpegQuality = 88
)

// ErrUnsupported is an upload whose sniffed type is not accepted.
var ErrUnsupported = errors.New("unsupported type")

// Prepared is an upload ready to store.
type Prepared struct {
	// MediaType is the stored object's type.
	MediaType string
	// Stored is the object to store: the re-encoded image, else the upload.
	Stored []byte
	// Thumbnail is a JPEG no larger than ThumbnailEdge (images only).
	Thumbnail []byte
	// SHA256 is of the upload, StoredSHA256 of Stored (hex).
	SHA256, StoredSHA256 string
	Width, Height        int
	// GPS is the EXIF position, when the upload carried one.
	GPS *Position
}

// Position is a WGS-84 point (EXIF GPS is WGS-84 by its standard).
type Position struct{ Lat, Lng float64 }

// Accepted lists the sniffed types an upload may have and what is stored.
var Accepted = map[string]string{
	"image/jpeg":      "image/jpeg",
	"image/png":       "image/png",
	"image/webp":      "image/jpeg",
	"video/mp4":       "video/mp4",
	"application/pdf": "application/pdf",
}

// Prepare checks and prepares data (at most MaxBytes).
func Prepare(data []byte) (*Prepared, error) {
	if len(data) == 0 {
		return nil, errors.New("the file is empty")
	}
	if len(data) > MaxBytes {
		return nil, fmt.Errorf("the file is larger than %d bytes", MaxBytes)
	}
	sniffed := mimetype.Detect(data).String()
	stored, ok := Accepted[sniffed]
	if !ok {
		return nil, fmt.Errorf("%w: the file is %s; accepted are JPEG, PNG, WebP, MP4 and PDF (HEIC: export as JPEG)", ErrUnsupported, sniffed)
	}
	sum := sha256.Sum256(data)
	p := &Prepared{MediaType: stored, Stored: data, SHA256: hex.EncodeToString(sum[:])}
	if stored == "image/jpeg" || stored == "image/png" {
		if err := p.image(data, stored); err != nil {
			return nil, err
		}
	}
	sum = sha256.Sum256(p.Stored)
	p.StoredSHA256 = hex.EncodeToString(sum[:])
	return p, nil
}

// image decodes data, reads its EXIF position and replaces Stored by a
// re-encoding of the pixels alone (no EXIF, XMP, ICC or comments survive).
func (p *Prepared) image(data []byte, stored string) error {
	cfg, _, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return fmt.Errorf("the image cannot be read: %v", err)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 || cfg.Width*cfg.Height > MaxPixels {
		return fmt.Errorf("the image is %d×%d pixels; at most %d pixels are accepted", cfg.Width, cfg.Height, MaxPixels)
	}
	img, _, err := image.Decode(bytes.NewReader(data))
	if err != nil {
		return fmt.Errorf("the image cannot be read: %v", err)
	}
	p.GPS = exifPosition(data)
	img = orient(img, exifOrientation(data))
	b := img.Bounds()
	p.Width, p.Height = b.Dx(), b.Dy()
	if p.Stored, err = encode(img, stored); err != nil {
		return err
	}
	p.Thumbnail, err = encode(thumbnail(img), "image/jpeg")
	return err
}

func encode(img image.Image, mediaType string) ([]byte, error) {
	var buf bytes.Buffer
	var err error
	if mediaType == "image/png" {
		err = (&png.Encoder{CompressionLevel: png.BestSpeed}).Encode(&buf, img)
	} else {
		err = jpeg.Encode(&buf, img, &jpeg.Options{Quality: jpegQuality})
	}
	if err != nil {
		return nil, fmt.Errorf("re-encode image: %w", err)
	}
	return buf.Bytes(), nil
}

// thumbnail scales img so its longest edge is at most ThumbnailEdge.
func thumbnail(img image.Image) image.Image {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	if w <= ThumbnailEdge && h <= ThumbnailEdge {
		return img
	}
	if w >= h {
		w, h = ThumbnailEdge, max(1, h*ThumbnailEdge/w)
	} else {
		w, h = max(1, w*ThumbnailEdge/h), ThumbnailEdge
	}
	dst := image.NewRGBA(image.Rect(0, 0, w, h))
	draw.CatmullRom.Scale(dst, dst.Bounds(), img, b, draw.Src, nil)
	return dst
}
