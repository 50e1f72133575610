package coordsys

import (
	"github.com/chuishao/whistle/platform/invalid"
	typesv1 "github.com/chuishao/whistle/proto/gen/whistle/types/v1"
)

// FieldOf reads a request's coord_sys field: def (WGS-84 when def is empty)
// when the field is empty, and a problem of the field, recorded in f, when it
// names no system. Every service that takes a point from outside reads the
// field this way, so that the same input is refused the same way everywhere.
func FieldOf(f *invalid.Violations, name string, def System) System {
	if name == "" {
		if def == "" {
			return WGS84
		}
		return def
	}
	sys, err := Parse(name)
	if err != nil {
		f.Add("coord_sys", "must be WGS84, GCJ02 (高德, 腾讯) or BD09 (百度)")
		return WGS84
	}
	return sys
}

// LocationToWGS84 converts a request's location, given in the system its
// coord_sys field names (FieldOf), to WGS-84, the only system stored. A
// missing location stays missing; the field is checked all the same.
func LocationToWGS84(f *invalid.Violations, loc *typesv1.LatLng, name string, def System) *typesv1.LatLng {
	sys := FieldOf(f, name, def)
	if loc == nil {
		return nil
	}
	p := ToWGS84(sys, Point{Lat: loc.GetLat(), Lng: loc.GetLng()})
	return &typesv1.LatLng{Lat: p.Lat, Lng: p.Lng}
}
