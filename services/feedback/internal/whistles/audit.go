package whistles

import (
	"context"
	"fmt"

	"github.com/chuishao/whistle/platform/auth"

	"github.com/chuishao/whistle/services/feedback/internal/feedback"
	"github.com/chuishao/whistle/services/feedback/internal/store"
	"github.com/chuishao/whistle/services/feedback/internal/timeline"
)

// BrokenChain is a timeline whose hash chain does not verify: its first bad
// position, why, and the event recorded there (if any).
type BrokenChain struct {
	WhistleID string
	Seq       int64
	Reason    string
	EventID   string
}

// Audit is what verifying the hash chains found.
type Audit struct {
	WhistlesChecked, EntriesChecked int64
	Broken                          []BrokenChain
}

// Ok reports whether every chain verified.
func (a Audit) Ok() bool { return len(a.Broken) == 0 }

// auditPage is how many whistles' timelines an audit reads at a time.
const auditPage = 500

// VerifyAudit re-computes the keyed hash chains of one whistle (whistleID)
// or of every whistle in caller's scope (a district supervisor's district;
// the city's for a city supervisor or an admin), holds each to its chain
// head, and names each broken chain's first bad position and why.
func (s *Service) VerifyAudit(ctx context.Context, caller auth.Identity, whistleID string) (Audit, error) {
	var district string
	switch caller.Role {
	case auth.RoleSupervisor:
		district = caller.DistrictID
	case auth.RoleAdmin:
	default:
		return Audit{}, feedback.ErrWrongRole
	}
	var out Audit
	// A page of chains at a time, so a city-wide audit never holds more than
	// one page of entries.
	q := store.New(s.Pool)
	after := ""
	for {
		heads, err := q.ListAuditChains(ctx, store.ListAuditChainsParams{
			DistrictID: district, WhistleID: whistleID, After: after, MaxRows: auditPage,
		})
		if err != nil {
			return Audit{}, fmt.Errorf("list chains for audit: %w", err)
		}
		if len(heads) == 0 {
			if whistleID != "" && after == "" {
				return Audit{}, feedback.ErrNotFound
			}
			return out, nil
		}
		ids := make([]string, len(heads))
		for i, h := range heads {
			ids[i] = h.WhistleID
		}
		rows, err := q.ListEntriesOfWhistles(ctx, ids)
		if err != nil {
			return Audit{}, fmt.Errorf("read timelines for audit: %w", err)
		}
		s.verifyChains(ctx, heads, rows, &out)
		after = ids[len(ids)-1]
	}
}

// verifyChains verifies the chains of heads (ordered by whistle) against
// their entries (ordered by whistle, then seq) and adds the counts and
// broken chains to out.
func (s *Service) verifyChains(ctx context.Context, heads []store.ListAuditChainsRow, rows []store.ListEntriesOfWhistlesRow, out *Audit) {
	out.EntriesChecked += int64(len(rows))
	next := 0
	for _, h := range heads {
		var chain []timeline.Entry
		for ; next < len(rows) && rows[next].WhistleID == h.WhistleID; next++ {
			chain = append(chain, rows[next].Entry())
		}
		out.WhistlesChecked++
		b, broken := s.Keys.Verify(chain, timeline.Head{Seq: h.LastSeq, Hash: h.LastHash, Found: h.HasHead})
		if !broken {
			continue
		}
		bc := BrokenChain{WhistleID: h.WhistleID, Seq: b.Seq, Reason: b.Reason}
		if b.Seq >= 1 && int(b.Seq) <= len(chain) {
			bc.EventID = chain[b.Seq-1].EventID
		}
		out.Broken = append(out.Broken, bc)
		s.Log.ErrorContext(ctx, "timeline hash chain broken", "whistle_id", h.WhistleID, "first_broken_seq", b.Seq, "reason", b.Reason)
	}
}
