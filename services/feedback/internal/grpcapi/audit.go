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

// VerifyAudit re-computes the keyed hash chains of one whistle or of every
// whistle in the caller's scope (a district supervisor's district; the city's
// for a city supervisor or an admin), holds each to its chain head, and names
// each broken chain's first bad position and why.
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
	// A page of chains at a time, so a city-wide audit never holds more than
	// one page of entries.
	q := store.New(s.pool)
	after := ""
	for {
		heads, err := q.ListAuditChains(ctx, store.ListAuditChainsParams{
			DistrictID: district, WhistleID: req.GetWhistleId(), After: after, MaxRows: auditPage,
		})
		if err != nil {
			return nil, s.toStatus(ctx, fmt.Errorf("list chains for audit: %w", err))
		}
		if len(heads) == 0 {
			if req.GetWhistleId() != "" && after == "" {
				return nil, s.toStatus(ctx, feedback.ErrNotFound)
			}
			return resp, nil
		}
		ids := make([]string, len(heads))
		for i, h := range heads {
			ids[i] = h.WhistleID
		}
		rows, err := q.ListEntriesOfWhistles(ctx, ids)
		if err != nil {
			return nil, s.toStatus(ctx, fmt.Errorf("read timelines for audit: %w", err))
		}
		s.verifyChains(ctx, heads, rows, resp)
		after = ids[len(ids)-1]
	}
}

// auditPage is how many whistles' timelines an audit reads at a time.
const auditPage = 500

// verifyChains verifies the chains of heads (ordered by whistle) against
// their entries (ordered by whistle, then seq) and adds the counts and
// broken chains to resp.
func (s *Server) verifyChains(ctx context.Context, heads []store.ListAuditChainsRow, rows []store.ListEntriesOfWhistlesRow, resp *feedbackv1.VerifyAuditResponse) {
	resp.EntriesChecked += int64(len(rows))
	next := 0
	for _, h := range heads {
		var chain []timeline.Entry
		for ; next < len(rows) && rows[next].WhistleID == h.WhistleID; next++ {
			chain = append(chain, rows[next].Entry())
		}
		resp.WhistlesChecked++
		b, broken := s.keys.Verify(chain, timeline.Head{Seq: h.LastSeq, Hash: h.LastHash, Found: h.HasHead})
		if !broken {
			continue
		}
		resp.Ok = false
		bc := &feedbackv1.BrokenChain{WhistleId: h.WhistleID, Seq: b.Seq, Reason: b.Reason}
		if b.Seq >= 1 && int(b.Seq) <= len(chain) {
			bc.EventId = chain[b.Seq-1].EventID
		}
		resp.Broken = append(resp.Broken, bc)
		s.log.ErrorContext(ctx, "timeline hash chain broken", "whistle_id", h.WhistleID, "first_broken_seq", b.Seq, "reason", b.Reason)
	}
}
