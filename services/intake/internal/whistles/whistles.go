// Package whistles is what streets, desks, supervisors and the public do with
// whistles: raise one (checked, looked up in routing's catalogue, saved with
// its duplicate candidates and its whistle.raised event, concurrent raises
// committed together), read, list and search them, cancel, close, reopen,
// merge or keep one, and add or read its evidence. Every change and its events
// commit in one transaction; every use case takes its caller explicitly.
//
// The whistle message (intakev1.Whistle) is the read model: the events carry
// it, so the use cases build it; the gRPC API only maps requests in and
// errors out.
package whistles

import (
	"log/slog"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/chuishao/whistle/platform/auth"
	"github.com/chuishao/whistle/platform/clock"
	"github.com/chuishao/whistle/platform/geo/coordsys"
	"github.com/chuishao/whistle/platform/groupcommit"
	intakev1 "github.com/chuishao/whistle/proto/gen/whistle/intake/v1"
	routingv1 "github.com/chuishao/whistle/proto/gen/whistle/routing/v1"
	typesv1 "github.com/chuishao/whistle/proto/gen/whistle/types/v1"
)

// Service runs the whistle use cases.
type Service struct {
	Pool    *pgxpool.Pool
	Routing routingv1.RoutingServiceClient
	Clock   clock.Clock
	Log     *slog.Logger
	// DuplicateRadiusM and DuplicateWindow bound the duplicate search (defaults
	// intake.DefaultDuplicateRadiusM and intake.DefaultDuplicateWindow when zero).
	DuplicateRadiusM float64
	DuplicateWindow  time.Duration
	// CoordSys is the coordinate system of a location whose request names
	// none (WGS-84 when empty).
	CoordSys coordsys.System

	refs references // routing's answers about streets and categories, remembered a while

	raiseOnce    sync.Once
	raiseBatcher *groupcommit.Batcher[newWhistle, *intakev1.Whistle]
}

// Now is the service's clock, to the microsecond Postgres keeps: what is
// answered then equals what is stored.
func (s *Service) Now() time.Time {
	return s.Clock.Now().UTC().Truncate(time.Microsecond)
}

// ActorOf is the timeline's actor of a verified caller.
func ActorOf(id auth.Identity) *typesv1.Actor {
	return &typesv1.Actor{Role: id.Role, Id: id.Subject}
}

// seesDrills tells whether the caller takes part in drills: the supervisors
// and admins who run them and the desks their whistles are dispatched to
// (still only those of their own department). A street (which did not raise
// a replayed whistle) and the public never see a drill whistle.
func seesDrills(id auth.Identity) bool {
	switch id.Role {
	case auth.RoleSupervisor, auth.RoleAdmin, auth.RoleDesk:
		return true
	}
	return false
}
