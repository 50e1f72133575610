package grpcapi

import (
	"context"
	"fmt"

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
	resp := &feedbackv1.VerifyAuditResponse{Ok: true}
	if req.GetWhistleId() != "" {
		rows, err := store.New(s.pool).ListEntriesForAudit(ctx, store.ListEntriesForAuditParams{DistrictID: district, WhistleID: req.GetWhistleId()})
		if err != nil {
			return nil, s.toStatus(ctx, fmt.Errorf("read timeline of %s for audit: %w", req.GetWhistleId(), err))
		}
		if len(rows) == 0 {
			return nil, s.toStatus(ctx, feedback.ErrNotFound)
		}
		entries := make([]auditEntry, len(rows))
		for i, r := range rows {
			entries[i] = auditEntry(r)
		}
		s.verifyChains(ctx, entries, resp)
		return resp, nil
	}
	// Every whistle in scope, a page at a time, so a city-wide audit never
	// holds more than one page of entries.
	after := ""
	for {
		ids, err := store.New(s.pool).ListAuditWhistles(ctx, store.ListAuditWhistlesParams{DistrictID: district, After: after, MaxRows: auditPage})
		if err != nil {
			return nil, s.toStatus(ctx, fmt.Errorf("list whistles for audit: %w", err))
		}
		if len(ids) == 0 {
			return resp, nil
		}
		rows, err := store.New(s.pool).ListEntriesOfWhistles(ctx, ids)
		if err != nil {
			return nil, s.toStatus(ctx, fmt.Errorf("read timelines for audit: %w", err))
		}
		entries := make([]auditEntry, len(rows))
		for i, r := range rows {
			entries[i] = auditEntry(r)
		}
		s.verifyChains(ctx, entries, resp)
		after = ids[len(ids)-1]
	}
}

// auditPage is how many whistles' timelines an audit reads at a time.
const auditPage = 500

// auditEntry is a stored timeline entry with its whistle.
type auditEntry store.ListEntriesOfWhistlesRow

// verifyChains verifies entries (ordered by whistle, then seq) chain by
// chain and adds the counts and broken chains to resp.
func (s *Server) verifyChains(ctx context.Context, rows []auditEntry, resp *feedbackv1.VerifyAuditResponse) {
	resp.EntriesChecked += int64(len(rows))
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
}
