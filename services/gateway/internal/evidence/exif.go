package evidence

import (
	"image"
	"math"

	exif "github.com/dsoprea/go-exif/v3"
	exifcommon "github.com/dsoprea/go-exif/v3/common"
)

// rootIfd parses data's EXIF block, or nil when it has none or it is broken
// (a photo without readable EXIF is still evidence).
func rootIfd(data []byte) *exif.Ifd {
	raw, err := exif.SearchAndExtractExif(data)
	if err != nil {
		return nil
	}
	im, err := exifcommon.NewIfdMappingWithStandard()
	if err != nil {
		return nil
	}
	_, index, err := exif.Collect(im, exif.NewTagIndex(), raw)
	if err != nil || index.RootIfd == nil {
		return nil
	}
	return index.RootIfd
}

// exifPosition is the EXIF GPS position of data, or nil.
func exifPosition(data []byte) *Position {
	root := rootIfd(data)
	if root == nil {
		return nil
	}
	gpsIfd, err := root.ChildWithIfdPath(exifcommon.IfdGpsInfoStandardIfdIdentity)
	if err != nil {
		return nil
	}
	gi, err := gpsIfd.GpsInfo()
	if err != nil {
		return nil
	}
	lat, lng := gi.Latitude.Decimal(), gi.Longitude.Decimal()
	if math.IsNaN(lat) || math.IsNaN(lng) || lat < -90 || lat > 90 || lng < -180 || lng > 180 || (lat == 0 && lng == 0) {
		return nil
	}
	return &Position{Lat: lat, Lng: lng}
}

// exifOrientation is the EXIF Orientation tag (1-8), 1 when absent: the
// re-encoded image drops the tag, so the pixels are turned upright instead.
func exifOrientation(data []byte) int {
	root := rootIfd(data)
	if root == nil {
		return 1
	}
	tags, err := root.FindTagWithName("Orientation")
	if err != nil || len(tags) == 0 {
		return 1
	}
	v, err := tags[0].Value()
	if err != nil {
		return 1
	}
	if s, ok := v.([]uint16); ok && len(s) == 1 && s[0] >= 1 && s[0] <= 8 {
		return int(s[0])
	}
	return 1
}

// orient turns img upright for EXIF orientation o (mirror, then rotate).
func orient(img image.Image, o int) image.Image {
	if o <= 1 || o > 8 {
		return img
	}
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	swap := o >= 5
	dw, dh := w, h
	if swap {
		dw, dh = h, w
	}
	dst := image.NewRGBA(image.Rect(0, 0, dw, dh))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			var dx, dy int
			switch o {
			case 2:
				dx, dy = w-1-x, y
			case 3:
				dx, dy = w-1-x, h-1-y
			case 4:
				dx, dy = x, h-1-y
			case 5:
				dx, dy = y, x
			case 6:
				dx, dy = h-1-y, x
			case 7:
				dx, dy = h-1-y, w-1-x
			case 8:
				dx, dy = y, w-1-x
			}
			dst.Set(dx, dy, img.At(b.Min.X+x, b.Min.Y+y))
		}
	}
	return dst
}
