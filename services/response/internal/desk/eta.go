package desk

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/chuishao/whistle/platform/auth"
	typesv1 "github.com/chuishao/whistle/proto/gen/whistle/types/v1"
	"github.com/chuishao/whistle/services/response/internal/events"
	"github.com/chuishao/whistle/services/response/internal/response"
	"github.com/chuishao/whistle/services/response/internal/store"
)

// SetEta is dispatch id's own desk stating when it expects to be on site,
// before it has arrived. The latest statement is kept and goes on the
// whistle's timeline (dispatch.eta_set), in one transaction.
func (s *Service) SetEta(ctx context.Context, caller auth.Identity, id string, arriveAt time.Time, note string) (events.DeskEta, error) {
	scope, err := s.actScope(ctx, caller)
	if err != nil {
		return events.DeskEta{}, err
	}
	var out events.DeskEta
	err = s.inTx(ctx, id, scope, func(tx pgx.Tx, q *store.Queries, d response.Dispatch, now time.Time) error {
		if err := response.CheckEta(d, arriveAt, note, now); err != nil {
			return err
		}
		now = now.Round(time.Microsecond)
		out = events.DeskEta{
			Dispatch: d, ArriveAt: arriveAt.UTC().Round(time.Microsecond), Note: strings.TrimSpace(note),
			SetBy: &typesv1.Actor{Role: caller.Role, Id: caller.Subject}, SetAt: now,
		}
		if err := q.SetDeskEta(ctx, store.SetDeskEtaParams{
			DispatchID: d.ID, ArriveAt: out.ArriveAt, Note: out.Note,
			SetByRole: caller.Role, SetByID: caller.Subject, SetAt: now,
		}); err != nil {
			return err
		}
		return s.Outbox.Add(ctx, tx, events.EtaSet(out))
	})
	if err != nil {
		return events.DeskEta{}, fmt.Errorf("set eta of dispatch %s: %w", id, err)
	}
	return out, nil
}
