// Package desk is what duty desks and supervisors do with dispatches: read the
// queue and act on one dispatch. Each action is one transaction that locks the
// dispatch, applies the state machine, moves the dispatch's timer to its next
// SLA step (or removes it) and writes the event to the outbox.
package desk

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/chuishao/whistle/platform/auth"
	"github.com/chuishao/whistle/platform/bus/outbox"
	"github.com/chuishao/whistle/platform/clock"
	"github.com/chuishao/whistle/platform/groupcommit"
	typesv1 "github.com/chuishao/whistle/proto/gen/whistle/types/v1"
	"github.com/chuishao/whistle/services/response/internal/events"
	"github.com/chuishao/whistle/services/response/internal/notify"
	"github.com/chuishao/whistle/services/response/internal/response"
	"github.com/chuishao/whistle/services/response/internal/store"
)

// Page sizes of the queue.
const (
	DefaultPageSize = 50
	MaxPageSize     = 200
)

// Service reads and changes dispatches on behalf of a verified caller.
type Service struct {
	Pool  *pgxpool.Pool
	Clock clock.Clock
	// FarArrivalMeters is the distance from the whistle beyond which a check-in is flagged.
	FarArrivalMeters float64
	// Ladder is the delays between escalation steps, for the step after a manual one.
	Ladder response.Ladder
	// Accounts turns away revoked service-account tokens; nil lets every verified caller through.
	Accounts interface {
		CheckAccount(ctx context.Context, caller auth.Identity) error
	}
	// Outbox writes the events and queues their webhooks.
	Outbox *notify.Outbox

	actOnce    sync.Once
	actBatcher *groupcommit.Batcher[action, response.Dispatch]
}

// checkAccount turns away a revoked service account.
func (s *Service) checkAccount(ctx context.Context, caller auth.Identity) error {
	if s.Accounts == nil {
		return nil
	}
	return s.Accounts.CheckAccount(ctx, caller)
}

// readScope is what caller may read, once its service account (if it is one) is checked.
func (s *Service) readScope(ctx context.Context, caller auth.Identity) (response.Scope, error) {
	if err := s.checkAccount(ctx, caller); err != nil {
		return response.Scope{}, err
	}
	return response.ReadScope(caller)
}

// actScope is what caller may act on, once its service account (if it is one) is checked.
func (s *Service) actScope(ctx context.Context, caller auth.Identity) (response.Scope, error) {
	if err := s.checkAccount(ctx, caller); err != nil {
		return response.Scope{}, err
	}
	return response.ActScope(caller)
}

// Get returns one dispatch in the caller's scope.
func (s *Service) Get(ctx context.Context, caller auth.Identity, id string) (response.Dispatch, error) {
	scope, err := s.readScope(ctx, caller)
	if err != nil {
		return response.Dispatch{}, err
	}
	row, err := store.New(s.Pool).GetDispatch(ctx, id)
	if errors.Is(err, pgx.ErrNoRows) {
		return response.Dispatch{}, response.ErrNotFound
	}
	if err != nil {
		return response.Dispatch{}, fmt.Errorf("get dispatch %s: %w", id, err)
	}
	d, err := row.Domain()
	if err != nil {
		return response.Dispatch{}, err
	}
	if !scope.Allows(d) {
		return response.Dispatch{}, response.ErrNotFound
	}
	return store.New(s.Pool).Extensions(ctx, d)
}

// Query filters the queue.
type Query struct {
	// Status keeps one status; "" keeps every open one.
	Status    response.Status
	WhistleID string
	PageSize  int
	PageToken string
}

// List returns a page of the caller's queue, the soonest deadline to meet
// first, and the token of the next page ("" on the last).
func (s *Service) List(ctx context.Context, caller auth.Identity, q Query) ([]response.Dispatch, string, error) {
	scope, err := s.readScope(ctx, caller)
	if err != nil {
		return nil, "", err
	}
	size, invalid := pageSize(q.PageSize, nil)
	params := store.ListDispatchesParams{
		Department: scope.Department,
		DistrictID: scope.DistrictID,
		WhistleID:  q.WhistleID,
		PageLimit:  int32(size) + 1,
	}
	if q.Status == "" {
		for _, st := range response.OpenStatuses {
			params.Statuses = append(params.Statuses, string(st))
		}
	} else if _, err := response.ParseStatus(string(q.Status)); err != nil {
		invalid = append(invalid, response.FieldError{Field: "status", Reason: "is not a dispatch status"})
	} else {
		params.Statuses = []string{string(q.Status)}
	}
	if q.PageToken != "" {
		at, id, err := decodePageToken(q.PageToken)
		if err != nil {
			invalid = append(invalid, response.FieldError{Field: "page_token", Reason: "is not a token this service issued"})
		}
		params.AfterQueueAt, params.AfterID = &at, id
	}
	if len(invalid) > 0 {
		return nil, "", invalid
	}
	rows, err := store.New(s.Pool).ListDispatches(ctx, params)
	if err != nil {
		return nil, "", fmt.Errorf("list dispatches: %w", err)
	}
	next := ""
	if len(rows) > size {
		rows = rows[:size]
		last := rows[len(rows)-1]
		next = encodePageToken(last.QueueAt, last.ID)
	}
	out := make([]response.Dispatch, 0, len(rows))
	for _, row := range rows {
		d, err := row.Domain()
		if err != nil {
			return nil, "", err
		}
		out = append(out, d)
	}
	return out, next, nil
}

// encodePageToken makes the keyset position (queue_at, id) opaque.
func encodePageToken(at time.Time, id string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(at.UTC().Format(time.RFC3339Nano) + "|" + id))
}

func decodePageToken(token string) (time.Time, string, error) {
	raw, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil {
		return time.Time{}, "", err
	}
	ts, id, ok := strings.Cut(string(raw), "|")
	if !ok || id == "" {
		return time.Time{}, "", errors.New("malformed page token")
	}
	at, err := time.Parse(time.RFC3339Nano, ts)
	return at, id, err
}

// Act performs cmd on dispatch id for caller. Repeating an action the
// dispatch has already passed returns it unchanged and emits nothing.
// Concurrent actions commit together in groups (groupcommit): the caller's
// checks run here, before its action joins a group.
func (s *Service) Act(ctx context.Context, caller auth.Identity, id string, cmd response.Command) (response.Dispatch, error) {
	scope, err := s.actScope(ctx, caller)
	if err != nil {
		return response.Dispatch{}, err
	}
	if err := cmd.Validate(); err != nil {
		return response.Dispatch{}, err
	}
	cmd.By = caller.Subject
	a := action{
		id: id, scope: scope, cmd: cmd,
		actor: &typesv1.Actor{Role: caller.Role, Id: caller.Subject},
		// The action happened when the desk asked, not when its transaction
		// got the dispatch's lock: a desk that arrived in time is not judged
		// late because another transaction (the SLA poller, a colleague, the
		// group ahead) held the row. Whole microseconds, as stored, so that
		// the answer of an action a group applied in memory is what is stored.
		now: s.Clock.Now().Round(time.Microsecond),
	}
	out, err := s.actions().Do(ctx, a)
	if err != nil {
		return response.Dispatch{}, fmt.Errorf("%s dispatch %s: %w", cmd.Action, id, err)
	}
	return out, nil
}

// action is one desk's checked request to act on one dispatch.
type action struct {
	id    string
	scope response.Scope
	cmd   response.Command
	actor *typesv1.Actor
	now   time.Time
}

// actions is the batcher desk actions go through.
func (s *Service) actions() *groupcommit.Batcher[action, response.Dispatch] {
	s.actOnce.Do(func() {
		s.actBatcher = &groupcommit.Batcher[action, response.Dispatch]{Group: s.actGroup, Alone: s.actAlone}
	})
	return s.actBatcher
}

// actAlone is one action in its own transaction.
func (s *Service) actAlone(ctx context.Context, a action) (response.Dispatch, error) {
	var out response.Dispatch
	err := s.inTx(ctx, a.id, a.scope, func(tx pgx.Tx, q *store.Queries, d response.Dispatch, _ time.Time) error {
		next, changed, err := response.Apply(d, a.cmd, a.now, s.FarArrivalMeters)
		if err != nil {
			return err
		}
		if !changed {
			out = d
			return nil
		}
		if out, err = q.SaveAction(ctx, next); err != nil {
			return err
		}
		return s.Outbox.Add(ctx, tx, events.DispatchChanged(out, a.cmd.Action, a.now, a.actor))
	})
	return out, err
}

// actGroup is a group of actions in one transaction of a fixed number of
// statements: lock every dispatch of the group, apply the actions in arrival
// order in memory (a dispatch acted on twice sees the first action's result),
// write the changed dispatches, move their timers to their next SLA steps,
// and add the events. A request's own failure (not found, an illegal move) is its
// answer and does not fail the group.
func (s *Service) actGroup(ctx context.Context, reqs []groupcommit.Request[action]) ([]groupcommit.Outcome[response.Dispatch], error) {
	outs := make([]groupcommit.Outcome[response.Dispatch], len(reqs))
	ids := make([]string, 0, len(reqs))
	for _, r := range reqs {
		if !slices.Contains(ids, r.Req.id) {
			ids = append(ids, r.Req.id)
		}
	}
	err := pgx.BeginFunc(ctx, s.Pool, func(tx pgx.Tx) error {
		q := store.New(tx)
		rows, err := q.LockDispatches(ctx, ids)
		if err != nil {
			return err
		}
		state := make(map[string]response.Dispatch, len(rows))
		for _, row := range rows {
			d, err := row.Domain()
			if err != nil {
				return err
			}
			state[d.ID] = d
		}
		var evs []outbox.Caused
		changed := map[string]bool{}
		for i, r := range reqs {
			a := r.Req
			d, ok := state[a.id]
			if !ok || !a.scope.Allows(d) {
				outs[i].Err = response.ErrNotFound
				continue
			}
			next, moved, err := response.Apply(d, a.cmd, a.now, s.FarArrivalMeters)
			if err != nil {
				outs[i].Err = err
				continue
			}
			outs[i].Value = next
			if !moved {
				continue
			}
			state[a.id] = next
			changed[a.id] = true
			evs = append(evs, outbox.Caused{Ctx: r.Ctx, Event: events.DispatchChanged(next, a.cmd.Action, a.now, a.actor)})
		}
		saved := make([]response.Dispatch, 0, len(changed))
		for _, id := range ids {
			if changed[id] {
				saved = append(saved, state[id])
			}
		}
		if err := q.SaveActions(ctx, saved); err != nil {
			return err
		}
		return s.Outbox.AddCaused(ctx, tx, evs)
	})
	if err != nil {
		return nil, fmt.Errorf("act on %d dispatches: %w", len(ids), err)
	}
	return outs, nil
}
