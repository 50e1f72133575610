// Package discovery is how problems reach a street before any whistle: grid
// workers' and residents' reports, the street's inbox and its triage, 12345
// hotline tickets (one by one or a CSV) and what goes back to the hotline,
// follow-up tokens and the public results. It holds the use cases — access
// checks, transactions, SQL and outbox writes — and answers in the domain's
// and the store's terms; the gRPC API maps requests and answers around it.
//
// What it needs of the whistle side (raising a whistle, reading one,
// reopening or closing one for a resident) comes only through the Whistles
// interface, and what it asks of routing through References; the gRPC API
// implements both on intake's and routing's clients.
package discovery

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/chuishao/whistle/platform/auth"
	"github.com/chuishao/whistle/platform/clock"
	"github.com/chuishao/whistle/platform/whistlestatus"
	intakev1 "github.com/chuishao/whistle/proto/gen/whistle/intake/v1"
	routingv1 "github.com/chuishao/whistle/proto/gen/whistle/routing/v1"
	typesv1 "github.com/chuishao/whistle/proto/gen/whistle/types/v1"

	"github.com/chuishao/whistle/services/discovery/internal/events"
	"github.com/chuishao/whistle/services/discovery/internal/reports"
	"github.com/chuishao/whistle/services/discovery/internal/store"
	"github.com/chuishao/whistle/services/discovery/internal/whistle"
)

// Whistles is what discovery needs of the whistle side.
type Whistles interface {
	// Raise raises a whistle for actor (the triaging street) with an
	// idempotency key, checked, de-duplicated and routed like any other.
	Raise(ctx context.Context, actor auth.Identity, req *intakev1.RaiseWhistleRequest, idempotencyKey string) (*intakev1.Whistle, error)
	// Get reads a whistle as viewer may (whistle.ErrNotFound out of its scope),
	// with its ViewerRole.
	Get(ctx context.Context, viewer auth.Identity, whistleID string) (*intakev1.Whistle, error)
	// Reopen and Close act on a whistle for a resident answering through a
	// follow-up token (the token is the scope): "not fixed" reopens it,
	// "fixed" closes a resolved one with the rating.
	Reopen(ctx context.Context, whistleID string, actor *typesv1.Actor, reason string) error
	Close(ctx context.Context, whistleID string, actor *typesv1.Actor, satisfaction int32, comment string) error
}

// References is what discovery asks routing.
type References interface {
	// District checks that the street and category exist (an
	// invalid.Error names what does not) and gives the street's district.
	District(ctx context.Context, streetID, category string) (string, error)
	// Street is a street (nil when routing does not know it).
	Street(ctx context.Context, id string) (*routingv1.Street, error)
	// CategoryKnown tells whether routing's catalogue has the category.
	CategoryKnown(ctx context.Context, code string) (bool, error)
}

// Service runs discovery's use cases.
type Service struct {
	Pool     *pgxpool.Pool
	Clock    clock.Clock
	Whistles Whistles
	Refs     References
	// TriageLimit is how long a street has to triage a report
	// (reports.DefaultTriageLimit when zero).
	TriageLimit time.Duration
	// FollowUpTTL is how long a follow-up token works after the result it
	// follows (reports.DefaultFollowUpTTL when zero).
	FollowUpTTL time.Duration
	// TicketLimits are the 12345 statutory limits per ticket type
	// (reports.DefaultTicketLimits when nil).
	TicketLimits reports.TicketLimits
	// DuplicateRadiusM groups an inbox's nearby reports
	// (whistle.DefaultDuplicateRadiusM when zero).
	DuplicateRadiusM float64
}

// Now is the service's clock, to the microsecond Postgres keeps, so what is
// answered equals what is stored.
func (s *Service) Now() time.Time {
	return s.Clock.Now().UTC().Truncate(time.Microsecond)
}

func (s *Service) ticketLimits() reports.TicketLimits {
	if s.TicketLimits != nil {
		return s.TicketLimits
	}
	return reports.DefaultTicketLimits
}

func (s *Service) triageLimit() time.Duration {
	if s.TriageLimit > 0 {
		return s.TriageLimit
	}
	return reports.DefaultTriageLimit
}

func (s *Service) followUpTTL() time.Duration {
	if s.FollowUpTTL > 0 {
		return s.FollowUpTTL
	}
	return reports.DefaultFollowUpTTL
}

// proto is a report as its events carry it.
func (s *Service) proto(r store.Report) *intakev1.Report {
	return events.ReportProto(r, s.Now())
}

func actorOf(id auth.Identity) *typesv1.Actor {
	return &typesv1.Actor{Role: id.Role, Id: id.Subject}
}

// Beijing is UTC+8: public results' months are Beijing months, and a
// follow-up token's end is told in Beijing time.
var Beijing = time.FixedZone("CST", 8*3600)

// ReportVisible tells whether r is in the caller's scope: its street (the
// street committee), its micro-grid (a grid worker: the grid claim; a report
// that carries no micro-grid — a resident's, a ticket, the street's own — is
// the whole street's), its district's supervisor or the city's.
func ReportVisible(id auth.Identity, r store.Report) bool {
	switch id.Role {
	case auth.RoleStreet:
		return r.StreetID == id.StreetID
	case auth.RoleGrid:
		return r.StreetID == id.StreetID && (r.GridID == "" || r.GridID == id.GridID)
	case auth.RoleSupervisor:
		return id.DistrictID == "" || r.DistrictID == id.DistrictID
	}
	return false
}

// readsReports: the roles that read reports at all.
func readsReports(id auth.Identity) error {
	switch id.Role {
	case auth.RoleStreet, auth.RoleGrid, auth.RoleSupervisor:
		return nil
	}
	return fmt.Errorf("role %s reads no reports: %w", id.Role, whistle.ErrPermissionDenied)
}

// streetInScope: a street and its grid workers see their own street, a
// supervisor the streets of its district (township codes begin with it).
func streetInScope(id auth.Identity, street string) bool {
	switch id.Role {
	case auth.RoleStreet, auth.RoleGrid:
		return street == id.StreetID
	case auth.RoleSupervisor:
		return id.DistrictID == "" || strings.HasPrefix(street, id.DistrictID)
	}
	return false
}

// TownshipCode tells whether s is a nine-digit township code.
func TownshipCode(s string) bool {
	if len(s) != 9 {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

func truncate(s string, runes int) string {
	r := []rune(s)
	if len(r) <= runes {
		return s
	}
	return string(r[:runes])
}

// remember records what intake answered of a whistle (nil: none) in
// discovery's facts of whistles, unless its events got there first: the
// reports linked to it show its status at once, and a follow-up token can
// follow it before its events arrive.
func remember(ctx context.Context, q *store.Queries, w *intakev1.Whistle) error {
	if w == nil {
		return nil
	}
	status := whistlestatus.Status(w.GetStatus().String())
	if w.GetStatus() == intakev1.Whistle_STATUS_UNSPECIFIED {
		status = whistlestatus.Raised
	}
	raised := w.GetRaisedAt().AsTime()
	if err := q.InsertWhistle(ctx, store.InsertWhistleParams{ID: w.GetId(), StreetID: w.GetStreetId(), DistrictID: w.GetDistrictId(),
		Category: w.GetCategory(), Status: string(status), RaisedAt: raised}); err != nil {
		return fmt.Errorf("remember whistle %s: %w", w.GetId(), err)
	}
	return nil
}
