package intake

import (
	"math"
	"time"
)

// Duplicate search defaults: a whistle within 100 m of an open one of the same
// category raised in the last 24 hours may be the same problem.
const (
	DefaultDuplicateRadiusM = 100.0
	DefaultDuplicateWindow  = 24 * time.Hour
)

// earthRadiusM is the mean Earth radius.
const earthRadiusM = 6371008.8

// DistanceM is the great-circle distance between two points in metres.
func DistanceM(lat1, lng1, lat2, lng2 float64) float64 {
	rad := math.Pi / 180
	dLat := (lat2 - lat1) * rad
	dLng := (lng2 - lng1) * rad
	a := math.Sin(dLat/2)*math.Sin(dLat/2) + math.Cos(lat1*rad)*math.Cos(lat2*rad)*math.Sin(dLng/2)*math.Sin(dLng/2)
	return 2 * earthRadiusM * math.Asin(math.Min(1, math.Sqrt(a)))
}

// Box is a latitude/longitude box that holds every point within radiusM of
// (lat, lng), so the database can narrow the search before DistanceM decides.
func Box(lat, lng, radiusM float64) (minLat, maxLat, minLng, maxLng float64) {
	dLat := radiusM / earthRadiusM * 180 / math.Pi
	cos := math.Max(math.Cos(lat*math.Pi/180), 0.01)
	dLng := dLat / cos
	return lat - dLat, lat + dLat, lng - dLng, lng + dLng
}

// Candidate states.
const (
	CandidateOpen   = "candidate"
	CandidateMerged = "merged"
	CandidateKept   = "kept"
)
