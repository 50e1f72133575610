package desk

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/chuishao/whistle/platform/auth"
	"github.com/chuishao/whistle/platform/postgres"
	typesv1 "github.com/chuishao/whistle/proto/gen/whistle/types/v1"
	"github.com/chuishao/whistle/services/response/internal/events"
	"github.com/chuishao/whistle/services/response/internal/response"
	"github.com/chuishao/whistle/services/response/internal/store"
)

// Board is a whistle's joint board (联合执法): its dispatches, the lead
// first, the notes, oldest first, and when the joint action was completed.
type Board struct {
	WhistleID   string
	Dispatches  []response.Dispatch
	Notes       []events.BoardNote
	CompletedAt *time.Time
	CompletedBy string
}

// whistleDispatches are the dispatches of whistle id, once caller may read its board.
func whistleDispatches(ctx context.Context, q *store.Queries, caller auth.Identity, whistleID string) ([]response.Dispatch, error) {
	rows, err := q.WhistleDispatches(ctx, whistleID)
	if err != nil {
		return nil, fmt.Errorf("dispatches of whistle %s: %w", whistleID, err)
	}
	ds := make([]response.Dispatch, len(rows))
	for i, row := range rows {
		if ds[i], err = row.Domain(); err != nil {
			return nil, err
		}
	}
	if err := response.BoardScope(caller, ds); err != nil {
		return nil, err
	}
	return ds, nil
}

// Board reads whistle id's board for caller.
func (s *Service) Board(ctx context.Context, caller auth.Identity, whistleID string) (Board, error) {
	if err := s.checkAccount(ctx, caller); err != nil {
		return Board{}, err
	}
	q := store.New(s.Pool)
	ds, err := whistleDispatches(ctx, q, caller, whistleID)
	if err != nil {
		return Board{}, err
	}
	b := Board{WhistleID: whistleID, Dispatches: ds}
	notes, err := q.BoardNotes(ctx, whistleID)
	if err != nil {
		return Board{}, fmt.Errorf("notes of whistle %s: %w", whistleID, err)
	}
	for _, n := range notes {
		b.Notes = append(b.Notes, events.BoardNote{
			ID: uuid.UUID(n.ID.Bytes).String(), WhistleID: n.WhistleID, Department: n.Department,
			Author: &typesv1.Actor{Role: n.AuthorRole, Id: n.AuthorID}, Text: n.Body, CreatedAt: n.CreatedAt,
		})
	}
	done, err := q.JointCompletion(ctx, whistleID)
	if err != nil {
		return Board{}, fmt.Errorf("completion of whistle %s: %w", whistleID, err)
	}
	for _, c := range done {
		b.CompletedAt, b.CompletedBy = &c.CompletedAt, c.CompletedBy
	}
	return b, nil
}

// AddNote adds caller's note to whistle id's board and records it on the
// timeline, in one transaction.
func (s *Service) AddNote(ctx context.Context, caller auth.Identity, whistleID, text string) (events.BoardNote, error) {
	if err := s.checkAccount(ctx, caller); err != nil {
		return events.BoardNote{}, err
	}
	if _, err := response.ReadScope(caller); err != nil {
		return events.BoardNote{}, err
	}
	if err := response.CheckNote(text); err != nil {
		return events.BoardNote{}, err
	}
	id := uuid.New()
	n := events.BoardNote{
		ID: id.String(), WhistleID: whistleID, Department: caller.Department,
		Author: &typesv1.Actor{Role: caller.Role, Id: caller.Subject},
		Text:   strings.TrimSpace(text), CreatedAt: s.Clock.Now().Round(time.Microsecond),
	}
	if caller.Role != auth.RoleDesk {
		n.Department = ""
	}
	err := postgres.InTx(ctx, s.Pool, func(tx pgx.Tx) error {
		q := store.New(tx)
		ds, err := whistleDispatches(ctx, q, caller, whistleID)
		if err != nil {
			return err
		}
		if err := q.AddBoardNote(ctx, store.AddBoardNoteParams{
			ID: pgtype.UUID{Bytes: id, Valid: true}, WhistleID: whistleID, DistrictID: ds[0].DistrictID,
			Department: n.Department, AuthorRole: n.Author.GetRole(), AuthorID: n.Author.GetId(),
			Body: n.Text, CreatedAt: n.CreatedAt,
		}); err != nil {
			return fmt.Errorf("add note to whistle %s: %w", whistleID, err)
		}
		return s.Outbox.Add(ctx, tx, events.BoardNoted(authorsDispatch(caller, ds), n))
	})
	return n, err
}

// authorsDispatch is the dispatch a note's event is filed under: the
// author's department's, else (a supervisor) the lead's, else the first.
func authorsDispatch(caller auth.Identity, ds []response.Dispatch) response.Dispatch {
	for _, want := range []func(response.Dispatch) bool{
		func(d response.Dispatch) bool {
			return caller.Role == auth.RoleDesk && d.Department == caller.Department && d.Status != response.Returned
		},
		func(d response.Dispatch) bool { return d.Role == response.RoleLead },
	} {
		for _, d := range ds {
			if want(d) {
				return d
			}
		}
	}
	return ds[0]
}

// Complete is the lead's desk marking whistle id's joint action done. The
// whistle's lock keeps a concurrent arrival or return from slipping past the
// check; a second completion changes nothing and emits nothing.
func (s *Service) Complete(ctx context.Context, caller auth.Identity, whistleID string) (Board, error) {
	if err := s.checkAccount(ctx, caller); err != nil {
		return Board{}, err
	}
	if _, err := response.ActScope(caller); err != nil {
		return Board{}, err
	}
	err := postgres.InTx(ctx, s.Pool, func(tx pgx.Tx) error {
		q := store.New(tx)
		if err := q.LockWhistle(ctx, whistleID); err != nil {
			return err
		}
		ds, err := whistleDispatches(ctx, q, caller, whistleID)
		if err != nil {
			return err
		}
		lead, arrived, err := response.CanComplete(caller, ds)
		if err != nil {
			return err
		}
		now := s.Clock.Now().Round(time.Microsecond)
		n, err := q.CompleteJointAction(ctx, store.CompleteJointActionParams{WhistleID: whistleID, CompletedBy: caller.Subject, CompletedAt: now})
		if err != nil || n == 0 {
			return err
		}
		return s.Outbox.Add(ctx, tx, events.JointCompleted(lead, arrived, now, &typesv1.Actor{Role: caller.Role, Id: caller.Subject}))
	})
	if err != nil {
		return Board{}, err
	}
	return s.Board(ctx, caller, whistleID)
}

// JointWhistles are those of whistleIDs with more than one department on
// them: the whistles that have a joint board.
func (s *Service) JointWhistles(ctx context.Context, whistleIDs []string) (map[string]bool, error) {
	ids, err := store.New(s.Pool).JointWhistles(ctx, whistleIDs)
	if err != nil {
		return nil, fmt.Errorf("joint whistles: %w", err)
	}
	out := make(map[string]bool, len(ids))
	for _, id := range ids {
		out[id] = true
	}
	return out, nil
}
