// Package evidencetest makes the photos the evidence tests upload: real
// JPEGs carrying an EXIF GPS position, as a phone camera writes them.
package evidencetest

import (
	"bytes"
	"encoding/binary"
	"image"
	"image/color"
	"image/jpeg"
	"math"
	"testing"

	exif "github.com/dsoprea/go-exif/v3"
	exifcommon "github.com/dsoprea/go-exif/v3/common"
)

// JPEGWithGPS is a w×h JPEG with an EXIF block holding the position (lat,
// lng) and the camera's Make, in an APP1 segment right after SOI.
func JPEGWithGPS(t testing.TB, w, h int, lat, lng float64) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.Set(x, y, color.RGBA{R: uint8(x * 255 / w), G: uint8(y * 255 / h), B: 128, A: 255})
		}
	}
	var pix bytes.Buffer
	if err := jpeg.Encode(&pix, img, &jpeg.Options{Quality: 90}); err != nil {
		t.Fatal(err)
	}
	im, err := exifcommon.NewIfdMappingWithStandard()
	if err != nil {
		t.Fatal(err)
	}
	ti := exif.NewTagIndex()
	root := exif.NewIfdBuilder(im, ti, exifcommon.IfdStandardIfdIdentity, exifcommon.EncodeDefaultByteOrder)
	if err := root.SetStandardWithName("Make", "WhistleTestCam"); err != nil {
		t.Fatal(err)
	}
	gps, err := exif.GetOrCreateIbFromRootIb(root, "IFD/GPSInfo")
	if err != nil {
		t.Fatal(err)
	}
	set := func(name string, v any) {
		if err := gps.SetStandardWithName(name, v); err != nil {
			t.Fatalf("EXIF %s: %v", name, err)
		}
	}
	set("GPSVersionID", []byte{2, 2, 0, 0})
	set("GPSLatitudeRef", ref(lat, "N", "S"))
	set("GPSLatitude", dms(lat))
	set("GPSLongitudeRef", ref(lng, "E", "W"))
	set("GPSLongitude", dms(lng))
	block, err := exif.NewIfdByteEncoder().EncodeToExif(root)
	if err != nil {
		t.Fatal(err)
	}
	app1 := append([]byte("Exif\x00\x00"), block...)
	var out bytes.Buffer
	out.Write([]byte{0xFF, 0xD8, 0xFF, 0xE1})
	_ = binary.Write(&out, binary.BigEndian, uint16(len(app1)+2))
	out.Write(app1)
	out.Write(pix.Bytes()[2:]) // the encoder's own SOI is already written
	return out.Bytes()
}

func ref(v float64, pos, neg string) string {
	if v < 0 {
		return neg
	}
	return pos
}

// dms is |v| as degrees, minutes and seconds (1/10000 s).
func dms(v float64) []exifcommon.Rational {
	v = math.Abs(v)
	d := math.Floor(v)
	m := math.Floor((v - d) * 60)
	s := ((v-d)*60 - m) * 60
	return []exifcommon.Rational{
		{Numerator: uint32(d), Denominator: 1},
		{Numerator: uint32(m), Denominator: 1},
		{Numerator: uint32(math.Round(s * 10000)), Denominator: 10000},
	}
}

// HasEXIF tells whether data carries an EXIF block anywhere (the test of a
// served image: it must not).
func HasEXIF(data []byte) bool {
	_, err := exif.SearchAndExtractExif(data)
	return err == nil
}
