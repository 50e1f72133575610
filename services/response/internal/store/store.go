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

// SaveAction writes d as an action left it and rewrites its timer row, so
// the state change and its next deadline (none once closed) commit together.
func (q *Queries) SaveAction(ctx context.Context, d response.Dispatch) (response.Dispatch, error) {
	row, err := q.UpdateDispatch(ctx, UpdateParams(d))
	if err != nil {
		return response.Dispatch{}, fmt.Errorf("update dispatch %s: %w", d.ID, err)
	}
	if err := q.Reschedule(ctx, d); err != nil {
		return response.Dispatch{}, err
	}
	return row.Domain()
}

// SaveActions is SaveAction for many dispatches (distinct) in two
// statements: one update of them all, one write of their timer rows.
func (q *Queries) SaveActions(ctx context.Context, ds []response.Dispatch) error {
	if len(ds) == 0 {
		return nil
	}
	rows := make([]updateRow, len(ds))
	for i, d := range ds {
		rows[i] = updateRow(UpdateParams(d))
	}
	b, err := json.Marshal(rows)
	if err != nil {
		return fmt.Errorf("update %d dispatches: %w", len(rows), err)
	}
	if err := q.UpdateDispatches(ctx, b); err != nil {
		return fmt.Errorf("update %d dispatches: %w", len(rows), err)
	}
	return q.Reschedule(ctx, ds...)
}

// Reschedule writes the timer row of each dispatch (distinct) in one
// statement: its NextStep, or no row when nothing is left to fire. Whoever
// changes a dispatch's SLA state calls it in the same transaction, holding
// the dispatch's lock. When a step may now come sooner than the one the
// pollers sleep towards, the caller wakes them (WakeTimerPollers).
func (q *Queries) Reschedule(ctx context.Context, ds ...response.Dispatch) error {
	if len(ds) == 0 {
		return nil
	}
	var arg SetTimersParams
	for _, d := range ds {
		s, ok := d.NextStep()
		if !ok {
			arg.StopIds = append(arg.StopIds, d.ID)
			continue
		}
		arg.DispatchIds = append(arg.DispatchIds, d.ID)
		arg.DueAts = append(arg.DueAts, s.DueAt)
		arg.Clocks = append(arg.Clocks, string(s.Clock))
		arg.Kinds = append(arg.Kinds, string(s.Kind))
	}
	if err := q.SetTimers(ctx, arg); err != nil {
		return fmt.Errorf("set timers of %d dispatches: %w", len(ds), err)
	}
	return nil
}

// RecordSteps writes what firing changed on dispatches (distinct) in one
// statement: their warnings, breaches, escalation level and ladder step.
func (q *Queries) RecordSteps(ctx context.Context, ds []response.Dispatch) error {
	if len(ds) == 0 {
		return nil
	}
	rows := make([]stepsRow, len(ds))
	for i, d := range ds {
		rows[i] = stepsRow{
			ID: d.ID, Warnings: nonNil(d.Warnings), Breaches: nonNil(d.Breaches),
			EscalationLevel: d.EscalationLevel, EscalateAt: d.EscalateAt, UpdatedAt: d.UpdatedAt,
		}
	}
	b, err := json.Marshal(rows)
	if err != nil {
		return fmt.Errorf("record steps of %d dispatches: %w", len(rows), err)
	}
	if err := q.RecordFired(ctx, b); err != nil {
		return fmt.Errorf("record steps of %d dispatches: %w", len(rows), err)
	}
	return nil
}

// stepsRow is a dispatch's SLA state as RecordSteps writes it.
type stepsRow struct {
	ID              string     `json:"id"`
	Warnings        []string   `json:"warnings"`
	Breaches        []string   `json:"breaches"`
	EscalationLevel int        `json:"escalation_level"`
	EscalateAt      *time.Time `json:"escalate_at"`
	UpdatedAt       time.Time  `json:"updated_at"`
}

// nonNil keeps an empty list an empty array in JSON (the columns are NOT NULL).
func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
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
	ArrivalAccuracyM  *float64   `json:"arrival_accuracy_m"`
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
