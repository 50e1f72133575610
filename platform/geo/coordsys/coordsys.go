// Package coordsys converts points between the three coordinate systems that
// points picked in maps used in China come in: WGS-84 (GPS, OpenStreetMap,
// phones' own positioning), GCJ-02 (the state-mandated offset used by 高德
// Amap and 腾讯 Tencent maps) and BD-09 (百度 Baidu maps, a further offset of
// GCJ-02). Whistle stores WGS-84 only; everything else is converted where it
// comes in.
//
// GCJ-02 is WGS-84 moved by a smooth, nonlinear offset of a few hundred
// metres, computed on the Krasovsky 1940 ellipsoid. Its forward formula is
// the one published in many open implementations; its inverse has no closed
// form, so ToWGS84 solves it by fixed-point iteration to well under a
// millimetre. BD-09 is a small polar distortion of GCJ-02 plus a constant
// shift; its published inverse is approximate, and is refined the same way.
// Outside China (the published rectangle, see OutOfChina) GCJ-02 equals
// WGS-84; BD-09 keeps its own shift everywhere. docs/decisions.md lists the
// sources.
package coordsys

import (
	"fmt"
	"math"
	"strings"
)

// System names a coordinate system.
type System string

// The coordinate systems a point may come in.
const (
	WGS84 System = "WGS84"
	GCJ02 System = "GCJ02"
	BD09  System = "BD09"
)

// Systems lists every system, for messages and documentation.
var Systems = []System{WGS84, GCJ02, BD09}

// Parse reads a system's name, ignoring case and a hyphen ("gcj-02", "BD09").
func Parse(name string) (System, error) {
	s := System(strings.ToUpper(strings.ReplaceAll(strings.TrimSpace(name), "-", "")))
	switch s {
	case WGS84, GCJ02, BD09:
		return s, nil
	}
	return "", fmt.Errorf("%q is not a coordinate system: want WGS84, GCJ02 or BD09", name)
}

// ParseDefault reads a deployment's default system: WGS-84 when unset.
func ParseDefault(name string) (System, error) {
	if name == "" {
		return WGS84, nil
	}
	return Parse(name)
}

// Point is a position in degrees.
type Point struct {
	Lat, Lng float64
}

// ToWGS84 converts p from system s to WGS-84.
func ToWGS84(s System, p Point) Point {
	switch s {
	case GCJ02:
		return GCJ02ToWGS84(p)
	case BD09:
		return GCJ02ToWGS84(BD09ToGCJ02(p))
	}
	return p
}

// FromWGS84 converts p from WGS-84 to system s.
func FromWGS84(s System, p Point) Point {
	switch s {
	case GCJ02:
		return WGS84ToGCJ02(p)
	case BD09:
		return GCJ02ToBD09(WGS84ToGCJ02(p))
	}
	return p
}

// Krasovsky 1940: semi-major axis (m) and first eccentricity squared.
const (
	krasovskyA  = 6378245.0
	krasovskyE2 = 0.00669342162296594323
)

// OutOfChina reports whether p lies outside the rectangle in which GCJ-02
// offsets points (longitude 72.004–137.8347, latitude 0.8293–55.8271). The
// rectangle is the published rule and is coarse: it also covers parts of
// neighbouring countries, where Chinese map apps apply the offset as well.
func OutOfChina(p Point) bool {
	return !(p.Lng >= 72.004 && p.Lng <= 137.8347 && p.Lat >= 0.8293 && p.Lat <= 55.8271)
}

// WGS84ToGCJ02 applies the GCJ-02 offset.
func WGS84ToGCJ02(p Point) Point {
	if OutOfChina(p) {
		return p
	}
	dLat, dLng := gcjOffset(p)
	return Point{Lat: p.Lat + dLat, Lng: p.Lng + dLng}
}

// gcjOffset is the GCJ-02 offset in degrees at the WGS-84 point p: two
// polynomial-plus-sine fields in metres-like units around (105°E, 35°N),
// scaled to degrees by the ellipsoid's radii of curvature at p's latitude.
func gcjOffset(p Point) (dLat, dLng float64) {
	x, y := p.Lng-105, p.Lat-35
	// Terms shared by both fields, then each field's own.
	wave := (20*math.Sin(6*x*math.Pi) + 20*math.Sin(2*x*math.Pi)) * 2 / 3
	fLat := -100 + 2*x + 3*y + 0.2*y*y + 0.1*x*y + 0.2*math.Sqrt(math.Abs(x)) + wave +
		(20*math.Sin(y*math.Pi)+40*math.Sin(y/3*math.Pi))*2/3 +
		(160*math.Sin(y/12*math.Pi)+320*math.Sin(y*math.Pi/30))*2/3
	fLng := 300 + x + 2*y + 0.1*x*x + 0.1*x*y + 0.1*math.Sqrt(math.Abs(x)) + wave +
		(20*math.Sin(x*math.Pi)+40*math.Sin(x/3*math.Pi))*2/3 +
		(150*math.Sin(x/12*math.Pi)+300*math.Sin(x/30*math.Pi))*2/3

	phi := p.Lat * math.Pi / 180
	w2 := 1 - krasovskyE2*math.Sin(phi)*math.Sin(phi)
	w := math.Sqrt(w2)
	meridian := krasovskyA * (1 - krasovskyE2) / (w2 * w) // radius of curvature along the meridian
	parallel := krasovskyA / w * math.Cos(phi)            // radius of the parallel
	return fLat * 180 / (meridian * math.Pi), fLng * 180 / (parallel * math.Pi)
}

// tolerance ends the iterations: 1e-10° is about 0.01 mm.
const (
	tolerance     = 1e-10
	maxIterations = 30
)

// GCJ02ToWGS84 inverts WGS84ToGCJ02: it looks for the WGS-84 point whose
// offset lands on p, starting from p and correcting by the residual. The
// offset changes slowly (its derivative is far below 1), so each step gains
// several digits; a handful of steps reach the tolerance.
func GCJ02ToWGS84(p Point) Point {
	if OutOfChina(p) {
		return p
	}
	return invert(p, p, WGS84ToGCJ02)
}

// invert solves forward(w) = target for w by fixed-point iteration from start.
func invert(target, start Point, forward func(Point) Point) Point {
	w := start
	for range maxIterations {
		got := forward(w)
		dLat, dLng := got.Lat-target.Lat, got.Lng-target.Lng
		w.Lat -= dLat
		w.Lng -= dLng
		if math.Abs(dLat) < tolerance && math.Abs(dLng) < tolerance {
			break
		}
	}
	return w
}

// bdShift is BD-09's angular factor: 3000 × π / 180.
const bdShift = math.Pi * 3000 / 180

// GCJ02ToBD09 applies Baidu's offset: a slight stretch of the radius and
// turn of the angle around (0, 0), then a constant shift.
func GCJ02ToBD09(p Point) Point {
	x, y := p.Lng, p.Lat
	r := math.Hypot(x, y) + 0.00002*math.Sin(y*bdShift)
	theta := math.Atan2(y, x) + 0.000003*math.Cos(x*bdShift)
	return Point{Lat: r*math.Sin(theta) + 0.006, Lng: r*math.Cos(theta) + 0.0065}
}

// BD09ToGCJ02 inverts GCJ02ToBD09: the published approximate inverse (the
// same stretch and turn, subtracted), refined by iteration so that a round
// trip returns the point exactly.
func BD09ToGCJ02(p Point) Point {
	x, y := p.Lng-0.0065, p.Lat-0.006
	r := math.Hypot(x, y) - 0.00002*math.Sin(y*bdShift)
	theta := math.Atan2(y, x) - 0.000003*math.Cos(x*bdShift)
	return invert(p, Point{Lat: r * math.Sin(theta), Lng: r * math.Cos(theta)}, GCJ02ToBD09)
}
