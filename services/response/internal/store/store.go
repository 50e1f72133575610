// Package store is the response schema's SQL: queries in queries.sql, compiled
// by sqlc into this package, plus conversions to and from the domain.
package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/chuishao/whistle/services/response/internal/response"
)

// SaveAction writes d as action left it and deletes the timers the action
// meets, so the state change and the end of its deadlines commit together.
func (q *Queries) SaveAction(ctx context.Context, d response.Dispatch, action response.Action) (response.Dispatch, error) {
	row, err := q.UpdateDispatch(ctx, UpdateParams(d))
	if err != nil {
		return response.Dispatch{}, fmt.Errorf("update dispatch %s: %w", d.ID, err)
	}
	if !d.Status.Open() {
		if _, err := q.DeleteAllTimers(ctx, d.ID); err != nil {
			return response.Dispatch{}, fmt.Errorf("stop timers of dispatch %s: %w", d.ID, err)
		}
	} else if _, err := q.DeleteTimers(ctx, DeleteTimersParams{DispatchID: d.ID, Clocks: Clocks(response.TimersMet(action))}); err != nil {
		return response.Dispatch{}, fmt.Errorf("stop timers of dispatch %s: %w", d.ID, err)
	}
	return row.Domain()
}

// Saved is a dispatch as a group of desk actions left it, with the actions
// that changed it.
type Saved struct {
	Dispatch response.Dispatch
	Actions  []response.Action
}

// SaveActions is SaveAction for many dispatches in two statements: one
// update of them all, one delete of the timers their actions meet.
func (q *Queries) SaveActions(ctx context.Context, saved []Saved) error {
	if len(saved) == 0 {
		return nil
	}
	rows := make([]updateRow, len(saved))
	var stop DeleteMetTimersParams
	for i, s := range saved {
		rows[i] = updateRow(UpdateParams(s.Dispatch))
		if !s.Dispatch.Status.Open() {
			stop.DispatchIds, stop.Clocks = append(stop.DispatchIds, s.Dispatch.ID), append(stop.Clocks, "")
			continue
		}
		for _, a := range s.Actions {
			for _, c := range response.TimersMet(a) {
				stop.DispatchIds, stop.Clocks = append(stop.DispatchIds, s.Dispatch.ID), append(stop.Clocks, string(c))
			}
		}
	}
	b, err := json.Marshal(rows)
	if err != nil {
		return fmt.Errorf("update %d dispatches: %w", len(rows), err)
	}
	if err := q.UpdateDispatches(ctx, b); err != nil {
		return fmt.Errorf("update %d dispatches: %w", len(rows), err)
	}
	if len(stop.DispatchIds) == 0 {
		return nil
	}
	if _, err := q.DeleteMetTimers(ctx, stop); err != nil {
		return fmt.Errorf("stop timers of %d dispatches: %w", len(rows), err)
	}
	return nil
}

// updateRow is UpdateDispatchParams as UpdateDispatches reads it.
type updateRow struct {
	Status            string     `json:"status"`
	AcknowledgedAt    *time.Time `json:"acknowledged_at"`
	AcknowledgedBy    string     `json:"acknowledged_by"`
	ArrivedAt         *time.Time `json:"arrived_at"`
	ArrivedBy         string     `json:"arrived_by"`
	ArrivalLat        *float64   `json:"arrival_lat"`
	ArrivalLng        *float64   `json:"arrival_lng"`
	ArrivalDistanceM  *float64   `json:"arrival_distance_m"`
	ArrivalFar        bool       `json:"arrival_far"`
	ResolvedAt        *time.Time `json:"resolved_at"`
	ResolvedBy        string     `json:"resolved_by"`
	ResolutionSummary string     `json:"resolution_summary"`
	ReturnedAt        *time.Time `json:"returned_at"`
	ReturnedBy        string     `json:"returned_by"`
	ReturnReason      string     `json:"return_reason"`
	ReturnCode        string     `json:"return_code"`
	ReturnDepartment  string     `json:"return_department"`
	CancelledAt       *time.Time `json:"cancelled_at"`
	UpdatedAt         time.Time  `json:"updated_at"`
	ID                string     `json:"id"`
}

// Extensions loads the extensions of d, newest first.
func (q *Queries) Extensions(ctx context.Context, d response.Dispatch) (response.Dispatch, error) {
	rows, err := q.ListExtensions(ctx, d.ID)
	if err != nil {
		return d, fmt.Errorf("extensions of dispatch %s: %w", d.ID, err)
	}
	d.Extensions = make([]response.Extension, 0, len(rows))
	for _, r := range rows {
		e, err := r.Domain()
		if err != nil {
			return d, err
		}
		d.Extensions = append(d.Extensions, e)
	}
	return d, nil
}

// calendarHorizon is how far ahead the calendar is read for a deadline: far
// more than any resolve limit in working days spans.
const calendarHorizon = 400 * 24 * time.Hour

// Calendar reads the special days that deadlines starting between from and
// to may meet, with the given working hours.
func (q *Queries) Calendar(ctx context.Context, from, to time.Time, workStart, workEnd time.Duration) (*response.Calendar, error) {
	rows, err := q.ListCalendarDays(ctx, ListCalendarDaysParams{
		FromDay: Date(from.In(response.Shanghai)), ToDay: Date(to.In(response.Shanghai).Add(calendarHorizon)),
	})
	if err != nil {
		return nil, fmt.Errorf("read calendar: %w", err)
	}
	cal := &response.Calendar{Special: make(map[string]response.DayKind, len(rows)), WorkStart: workStart, WorkEnd: workEnd}
	for _, r := range rows {
		cal.Special[DayOf(r.Day)] = response.DayKind(r.Kind)
	}
	return cal, nil
}
