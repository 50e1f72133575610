package duty

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"

	"github.com/chuishao/whistle/platform/auth"
	"github.com/chuishao/whistle/services/response/internal/dutystore"
	"github.com/chuishao/whistle/services/response/internal/response"
	"github.com/chuishao/whistle/services/response/internal/sla"
)

// Heartbeat records that a desk of the caller's department and district is
// live now; desk names it (a console tab, a system) and defaults to the caller.
// It returns who is on duty now.
func (s *Service) Heartbeat(ctx context.Context, caller auth.Identity, desk string) ([]Shift, error) {
	if caller.Role != auth.RoleDesk || caller.Department == "" || caller.DistrictID == "" {
		return nil, fmt.Errorf("%w: only a duty desk sends heartbeats, not role %q", response.ErrPermission, caller.Role)
	}
	if err := s.CheckAccount(ctx, caller); err != nil {
		return nil, err
	}
	desk = strings.TrimSpace(desk)
	if desk == "" {
		desk = caller.Subject
	}
	if utf8.RuneCountInString(desk) > 128 {
		return nil, response.InvalidError{{Field: "desk", Reason: "must be at most 128 characters"}}
	}
	now := s.Clock.Now()
	if err := dutystore.New(s.Pool).Heartbeat(ctx, dutystore.HeartbeatParams{
		Department: caller.Department, DistrictID: caller.DistrictID, Desk: desk, Seen: now,
	}); err != nil {
		return nil, fmt.Errorf("record heartbeat: %w", err)
	}
	d := Desk{Department: caller.Department, DistrictID: caller.DistrictID}
	on, err := s.OnDuty(ctx, []Desk{d}, now)
	return on[d], err
}

// Beat is a desk's last heartbeat.
type Beat struct {
	Desk
	Name     string
	LastSeen time.Time
	Live     bool
}

// Heartbeats lists the desks' last heartbeats in the caller's scope.
func (s *Service) Heartbeats(ctx context.Context, caller auth.Identity, filter Desk) ([]Beat, error) {
	scope, err := adminScope(caller)
	if err != nil {
		return nil, err
	}
	district, ok := narrow(scope, filter.DistrictID)
	if !ok {
		return nil, nil
	}
	rows, err := dutystore.New(s.Pool).ListHeartbeats(ctx, dutystore.ListHeartbeatsParams{Department: filter.Department, DistrictID: district})
	if err != nil {
		return nil, fmt.Errorf("list heartbeats: %w", err)
	}
	now := s.Clock.Now()
	out := make([]Beat, len(rows))
	for i, r := range rows {
		out[i] = Beat{
			Desk: Desk{Department: r.Department, DistrictID: r.DistrictID}, Name: r.Desk, LastSeen: r.LastSeen.UTC(),
			Live: s.Window > 0 && now.Sub(r.LastSeen) <= s.Window,
		}
	}
	return out, nil
}

// Unstaffed names the desks among desks that nobody staffs at now, with
// why, in one statement. Only desks that take part in duty tracking can be
// unstaffed: one that has a roster or has ever sent a heartbeat. A desk never
// heard of is not escalated, so that turning the feature on changes nothing
// until a department starts using it.
func (s *Service) Unstaffed(ctx context.Context, q *dutystore.Queries, desks []Desk, now time.Time) (map[Desk]string, error) {
	if s.Window <= 0 || len(desks) == 0 {
		return nil, nil
	}
	var arg dutystore.DesksStaffingParams
	for _, d := range desks {
		arg.Departments = append(arg.Departments, d.Department)
		arg.DistrictIds = append(arg.DistrictIds, d.DistrictID)
	}
	rows, err := q.DesksStaffing(ctx, arg)
	if err != nil {
		return nil, fmt.Errorf("staffing of %d desks: %w", len(desks), err)
	}
	unstaffed := map[Desk]string{}
	for _, st := range rows {
		if st.Seen && now.Sub(st.LastSeen) <= s.Window || !st.Seen && !st.Rostered {
			continue // staffed, or never rostered nor seen: not expected to be staffed
		}
		last := "never"
		if st.Seen {
			last = shanghai(st.LastSeen)
		}
		unstaffed[Desk{Department: st.Department, DistrictID: st.DistrictID}] = fmt.Sprintf(
			"值班台无人值守，直接督办 (unstaffed: no %s desk heartbeat in %s within %s; last heartbeat %s)",
			st.Department, st.DistrictID, s.Window, last)
	}
	return unstaffed, nil
}

// EscalateIfUnstaffed is the hook run when dispatches are created, in their
// transaction: a dispatch to an unstaffed desk goes straight to 督办.
func (s *Service) EscalateIfUnstaffed(ctx context.Context, tx pgx.Tx, ds []response.Dispatch, now time.Time) error {
	var desks []Desk
	seen := map[Desk]bool{}
	for _, d := range ds {
		desk := Desk{Department: d.Department, DistrictID: d.DistrictID}
		if !seen[desk] {
			seen[desk] = true
			desks = append(desks, desk)
		}
	}
	unstaffed, err := s.Unstaffed(ctx, dutystore.New(tx), desks, now)
	if err != nil || len(unstaffed) == 0 {
		return err
	}
	var us []sla.Unstaffed
	for _, d := range ds {
		if reason, ok := unstaffed[Desk{Department: d.Department, DistrictID: d.DistrictID}]; ok {
			us = append(us, sla.Unstaffed{Dispatch: d, Reason: reason})
		}
	}
	return sla.EscalateUnstaffed(ctx, tx, s.Outbox, us, now)
}
