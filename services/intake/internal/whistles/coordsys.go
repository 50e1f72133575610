package whistles

import (
	"github.com/chuishao/whistle/platform/geo/coordsys"
	"github.com/chuishao/whistle/platform/invalid"
	typesv1 "github.com/chuishao/whistle/proto/gen/whistle/types/v1"
)

// CoordSysOf reads a request's coord_sys (coordsys.FieldOf), with the
// deployment's default.
func (s *Service) CoordSysOf(f *invalid.Violations, name string) coordsys.System {
	return coordsys.FieldOf(f, name, s.CoordSys)
}

// ToWGS84 converts a location given in the named coordinate system to
// WGS-84, the only one intake stores and routing's map is drawn in. It is
// done here, where a point comes in, so that nothing behind intake ever sees
// another system. A missing location stays missing.
func (s *Service) ToWGS84(f *invalid.Violations, loc *typesv1.LatLng, name string) *typesv1.LatLng {
	return coordsys.LocationToWGS84(f, loc, name, s.CoordSys)
}
