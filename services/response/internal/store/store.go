// Package store is the response schema's SQL: queries in queries.sql, compiled
// by sqlc into this package, plus conversions to and from the domain.
package store

import (
	"context"
	"fmt"

	"github.com/chuishao/whistle/services/response/internal/response"
)

// SaveAction writes d as action left it and deletes the timers the action
// meets, so the state change and the end of its deadlines commit together.
func (q *Queries) SaveAction(ctx context.Context, d response.Dispatch, action response.Action) (response.Dispatch, error) {
	row, err := q.UpdateDispatch(ctx, UpdateParams(d))
	if err != nil {
		return response.Dispatch{}, fmt.Errorf("update dispatch %s: %w", d.ID, err)
	}
	if _, err := q.DeleteTimers(ctx, DeleteTimersParams{DispatchID: d.ID, Clocks: Clocks(response.TimersMet(action))}); err != nil {
		return response.Dispatch{}, fmt.Errorf("stop timers of dispatch %s: %w", d.ID, err)
	}
	return row.Domain()
}
