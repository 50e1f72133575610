// Package geo measures on the Earth's surface: the great-circle distance
// between two points and the latitude/longitude box around a circle, both on
// a sphere of the mean Earth radius, plenty for "is it the same place" and
// "is the desk on site". Its subpackage coordsys converts points between
// coordinate systems; distances are taken between WGS-84 points.
package geo

import "math"

// EarthRadiusM is the mean Earth radius (IUGG), in metres.
const EarthRadiusM = 6371008.8

// DistanceM is the great-circle (haversine) distance between two points in metres.
func DistanceM(lat1, lng1, lat2, lng2 float64) float64 {
	rad := math.Pi / 180
	dLat := (lat2 - lat1) * rad
	dLng := (lng2 - lng1) * rad
	a := math.Sin(dLat/2)*math.Sin(dLat/2) + math.Cos(lat1*rad)*math.Cos(lat2*rad)*math.Sin(dLng/2)*math.Sin(dLng/2)
	return 2 * EarthRadiusM * math.Asin(math.Min(1, math.Sqrt(a)))
}

// Box is a latitude/longitude box that holds every point within radiusM of
// (lat, lng), so a database can narrow a search before DistanceM decides.
func Box(lat, lng, radiusM float64) (minLat, maxLat, minLng, maxLng float64) {
	dLat := radiusM / EarthRadiusM * 180 / math.Pi
	cos := math.Max(math.Cos(lat*math.Pi/180), 0.01)
	dLng := dLat / cos
	return lat - dLat, lat + dLat, lng - dLng, lng + dLng
}
