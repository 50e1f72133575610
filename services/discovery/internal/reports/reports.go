// Package reports is discovery before the whistle: what a report
// is, how it is checked, how the inbox groups nearby duplicates, how a 12345
// CSV is read, and the follow-up tokens reporters rate with. It knows nothing
// of SQL, gRPC or JetStream.
package reports

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"net"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/chuishao/whistle/platform/invalid"
	"github.com/chuishao/whistle/services/discovery/internal/whistle"
)

// Source is where a report came from (the API's enum names).
type Source string

// Sources.
const (
	SourceGrid     Source = "GRID"
	SourceResident Source = "RESIDENT"
	SourceHotline  Source = "HOTLINE"
	SourceStreet   Source = "STREET"
)

// Status of a report (the API's enum names).
type Status string

// Report statuses.
const (
	StatusReceived   Status = "RECEIVED"
	StatusInProgress Status = "IN_PROGRESS"
	StatusClosed     Status = "CLOSED"
)

// Triage actions (the API's enum names).
const (
	TriageLocal   = "HANDLE_LOCALLY"
	TriageMerge   = "MERGE"
	TriageWhistle = "BLOW_WHISTLE"
	TriageReject  = "REJECT"
)

// DefaultTriageLimit is how long a street has to triage a report.
const DefaultTriageLimit = 2 * time.Hour

// WarningShare of the triage limit raises the warning.
const WarningShare = 0.8

// DefaultTicketSource is the source of imported tickets when none is named.
const DefaultTicketSource = "12345"

// Limits in characters.
const (
	MaxExternalNumber = 64
	MaxContact        = 100
	MaxResult         = 2000
	MaxPhotos         = 9
	MaxURL            = 1000
)

// New is a report before it is checked: the fields every source shares.
type New struct {
	StreetID    string
	Category    string
	Description string
	Address     string
	HasLocation bool
	Lat, Lng    float64
	Photos      []Photo
}

// Photo is a photo's metadata.
type Photo struct {
	URL         string    `json:"url"`
	ContentType string    `json:"content_type,omitempty"`
	SizeBytes   int64     `json:"size_bytes,omitempty"`
	TakenAt     time.Time `json:"taken_at,omitzero"`
	HasLocation bool      `json:"has_location,omitempty"`
	Lat         float64   `json:"lat,omitempty"`
	Lng         float64   `json:"lng,omitempty"`
}

// Validate checks a report with the whistle's own rules for the fields they
// share (a report may become a whistle), and the photos.
func (n New) Validate(f *invalid.Violations) {
	r := whistle.Raise{StreetID: n.StreetID, Category: n.Category, Description: n.Description,
		Address: n.Address, HasLocation: n.HasLocation, Lat: n.Lat, Lng: n.Lng}
	f.Merge(r.Validate())
	if len(n.Photos) > MaxPhotos {
		f.Add("photos", "at most 9 photos")
	}
	for _, p := range n.Photos {
		if strings.TrimSpace(p.URL) == "" || utf8.RuneCountInString(p.URL) > MaxURL {
			f.Add("photos.url", "is required, at most 1000 characters")
			break
		}
		if !photoURLAllowed(p.URL) {
			f.Add("photos.url", "must be an https URL (http only for localhost)")
			break
		}
	}
}

// photoURLAllowed says whether a photo URL may be stored and shown as a link:
// https to a named host, or http to a loopback host for development. Any other
// scheme (javascript:, data:, file:, ftp:) would run or read something in the
// browser of whoever opens the report.
func photoURLAllowed(raw string) bool {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.User != nil {
		return false
	}
	switch strings.ToLower(u.Scheme) {
	case "https":
		return true
	case "http":
		h := u.Hostname()
		if h == "localhost" {
			return true
		}
		ip := net.ParseIP(h)
		return ip != nil && ip.IsLoopback()
	}
	return false
}

// ValidateContact checks a resident's optional contact.
func ValidateContact(f *invalid.Violations, name, phone string) {
	if utf8.RuneCountInString(name) > MaxContact {
		f.Add("contact_name", "must be at most 100 characters")
	}
	if utf8.RuneCountInString(phone) > MaxContact {
		f.Add("contact_phone", "must be at most 100 characters")
	}
}

// ValidateResult checks the result text of a locally handled report.
func ValidateResult(f *invalid.Violations, result string) {
	switch n := utf8.RuneCountInString(result); {
	case strings.TrimSpace(result) == "":
		f.Add("result", "is required")
	case n > MaxResult:
		f.Add("result", "must be at most 2000 characters")
	}
}

// DefaultFollowUpTTL is how long a follow-up token works after the result it
// follows was given: long enough for a resident to look and rate, short
// enough that an old link found in a browser history or a log is worthless.
const DefaultFollowUpTTL = 30 * 24 * time.Hour

// Follow-up token refusals.
var (
	// ErrTokenExpired means the result was given longer ago than the token's lifetime.
	ErrTokenExpired = errors.New("this follow-up code has expired")
	// ErrAlreadyRated means the token already rated this result; a reopened
	// and again resolved whistle or report can be rated once more.
	ErrAlreadyRated = errors.New("this result has already been rated with this follow-up code")
)

// TokenCheck is when the followed report or whistle got its current result
// (resultAt zero while it has none) and when the token last rated one.
type TokenCheck struct {
	ResultAt time.Time
	RatedAt  time.Time
}

// Expired tells whether the token no longer works at now: ttl after the result.
func (c TokenCheck) Expired(now time.Time, ttl time.Duration) bool {
	return !c.ResultAt.IsZero() && now.After(c.ResultAt.Add(ttl))
}

// Rated tells whether the token already rated the current result.
func (c TokenCheck) Rated() bool {
	return !c.ResultAt.IsZero() && !c.RatedAt.IsZero() && !c.RatedAt.Before(c.ResultAt)
}

// NewToken returns a follow-up token and the hash that is stored: the token
// itself is shown once, to the reporter.
func NewToken() (token, hash string) {
	b := make([]byte, 18)
	_, _ = rand.Read(b)
	token = base64.RawURLEncoding.EncodeToString(b)
	return token, HashToken(token)
}

// HashToken is the stored form of a token.
func HashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// TriageState is the triage clock of an untriaged report at now: "" while
// running, WARNING after 80 % of the limit, BREACHED after it.
func TriageState(status Status, from, by, now time.Time) string {
	if status != StatusReceived {
		return ""
	}
	switch {
	case !now.Before(by):
		return "BREACHED"
	case !now.Before(from.Add(time.Duration(float64(by.Sub(from)) * WarningShare))):
		return "WARNING"
	}
	return ""
}
