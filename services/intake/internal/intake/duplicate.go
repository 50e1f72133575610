package intake

import "time"

// Duplicate search defaults: a whistle within 100 m of an open one of the same
// category raised in the last 24 hours may be the same problem.
const (
	DefaultDuplicateRadiusM = 100.0
	DefaultDuplicateWindow  = 24 * time.Hour
)

// Candidate states.
const (
	CandidateOpen   = "candidate"
	CandidateMerged = "merged"
	CandidateKept   = "kept"
)
