package whistles

import (
	"github.com/chuishao/whistle/platform/geo/coordsys"
	typesv1 "github.com/chuishao/whistle/proto/gen/whistle/types/v1"

	"github.com/chuishao/whistle/services/intake/internal/intake"
)

// CoordSysOf reads a request's coord_sys: the deployment's default when empty,
// a problem of the field when it names no system.
func (s *Service) CoordSysOf(f *intake.Fields, name string) coordsys.System {
	if name == "" {
		if s.CoordSys == "" {
			return coordsys.WGS84
		}
		return s.CoordSys
	}
	sys, err := coordsys.Parse(name)
	if err != nil {
		f.Add("coord_sys", "must be WGS84, GCJ02 (高德, 腾讯) or BD09 (百度)")
		return coordsys.WGS84
	}
	return sys
}

// ToWGS84 converts a location given in the named coordinate system to
// WGS-84, the only one intake stores and routing's map is drawn in. It is
// done here, where a point comes in, so that nothing behind intake ever sees
// another system. A missing location stays missing.
func (s *Service) ToWGS84(f *intake.Fields, loc *typesv1.LatLng, name string) *typesv1.LatLng {
	sys := s.CoordSysOf(f, name)
	if loc == nil {
		return nil
	}
	p := coordsys.ToWGS84(sys, coordsys.Point{Lat: loc.GetLat(), Lng: loc.GetLng()})
	return &typesv1.LatLng{Lat: p.Lat, Lng: p.Lng}
}
