package grpcapi

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/chuishao/whistle/platform/auth"
	feedbackv1 "github.com/chuishao/whistle/proto/gen/whistle/feedback/v1"

	"github.com/chuishao/whistle/services/feedback/internal/feedback"
	"github.com/chuishao/whistle/services/feedback/internal/store"
	"github.com/chuishao/whistle/services/feedback/internal/timeline"
)

// VerifyAudit re-computes the hash chains of one whistle or of every whistle
// in the caller's scope (a district supervisor's district; the city's for a
// city supervisor or an admin) and names each broken chain's first bad entry.
func (s *Server) VerifyAudit(ctx context.Context, req *feedbackv1.VerifyAuditRequest) (*feedbackv1.VerifyAuditResponse, error) {
	id, ok := auth.FromContext(ctx)
	if !ok {
		return nil, status.Error(codes.Unauthenticated, "missing identity")
	}
	var district string
	switch id.Role {
	case auth.RoleSupervisor:
		district = id.DistrictID
	case auth.RoleAdmin:
	default:
		return nil, s.toStatus(ctx, feedback.ErrWrongRole)
	}
	var rows []store.ListEntriesForAuditRow
	err := pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		var err error
		rows, err = store.New(tx).ListEntriesForAudit(ctx, store.ListEntriesForAuditParams{DistrictID: district, WhistleID: req.GetWhistleId()})
		return err
	})
	if err != nil {
		return nil, s.toStatus(ctx, fmt.Errorf("read timelines for audit: %w", err))
	}
	if req.GetWhistleId() != "" && len(rows) == 0 {
		return nil, s.toStatus(ctx, feedback.ErrNotFound)
	}
	resp := &feedbackv1.VerifyAuditResponse{Ok: true, EntriesChecked: int64(len(rows))}
	for start := 0; start < len(rows); {
		end := start
		for end < len(rows) && rows[end].WhistleID == rows[start].WhistleID {
			end++
		}
		chain := make([]timeline.Entry, 0, end-start)
		for _, r := range rows[start:end] {
			chain = append(chain, timeline.Entry{
				Seq: r.Seq, Type: r.Type, At: r.At.Time, Actor: timeline.Actor{Role: r.ActorRole, ID: r.ActorID},
				DispatchID: r.DispatchID, Department: r.Department, EventID: r.EventID, Data: r.Data,
				PrevHash: r.PrevHash, Hash: r.Hash,
			})
		}
		resp.WhistlesChecked++
		if seq, ok := timeline.Verify(chain); !ok {
			resp.Ok = false
			b := &feedbackv1.BrokenChain{WhistleId: rows[start].WhistleID, Seq: int64(seq)}
			if seq-1 < len(chain) {
				b.EventId = chain[seq-1].EventID
			}
			resp.Broken = append(resp.Broken, b)
			s.log.ErrorContext(ctx, "timeline hash chain broken", "whistle_id", b.WhistleId, "first_broken_seq", seq)
		}
		start = end
	}
	return resp, nil
}
