// Package rekey re-seals, with the chain key, the timelines written before
// timeline hashes were keyed. It runs as the schema's owner, once, when an
// operator asks for it (WHISTLE_TIMELINE_REKEY) at a migration: the owner may
// switch off the append-only trigger, the service's own role may not.
package rekey

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/jackc/pgx/v5"

	"github.com/chuishao/whistle/services/feedback/internal/store"
	"github.com/chuishao/whistle/services/feedback/internal/timeline"
)

// Run re-seals every timeline that still holds unkeyed entries, in tx. A
// chain that does not verify under the unkeyed scheme, or does not end at its
// head, is left as it is, so that audit:verify keeps reporting it.
func Run(ctx context.Context, tx pgx.Tx, keys timeline.Keys, log *slog.Logger) error {
	q := store.New(tx)
	ids, err := q.ListUnkeyedChains(ctx)
	if err != nil {
		return fmt.Errorf("rekey: list unkeyed timelines: %w", err)
	}
	if len(ids) == 0 {
		return nil
	}
	if _, err := tx.Exec(ctx, "ALTER TABLE timeline_entries DISABLE TRIGGER timeline_entries_no_update_delete"); err != nil {
		return fmt.Errorf("rekey: %w", err)
	}
	rekeyed, left := 0, 0
	for _, id := range ids {
		ok, err := rekeyChain(ctx, q, keys, id)
		if err != nil {
			return fmt.Errorf("rekey whistle %s: %w", id, err)
		}
		if ok {
			rekeyed++
			continue
		}
		left++
		log.ErrorContext(ctx, "timeline not re-keyed: its unkeyed chain is broken", "whistle_id", id)
	}
	if _, err := tx.Exec(ctx, "ALTER TABLE timeline_entries ENABLE TRIGGER timeline_entries_no_update_delete"); err != nil {
		return fmt.Errorf("rekey: %w", err)
	}
	log.InfoContext(ctx, "re-keyed timelines", "rekeyed", rekeyed, "left_broken", left, "key_id", keys.CurrentID())
	return nil
}

// rekeyChain re-seals one whistle's timeline; false when it was left as is.
func rekeyChain(ctx context.Context, q *store.Queries, keys timeline.Keys, whistleID string) (bool, error) {
	rows, err := q.ListEntriesOfWhistles(ctx, []string{whistleID})
	if err != nil {
		return false, err
	}
	head := timeline.Head{}
	h, err := q.GetChainHead(ctx, whistleID)
	switch {
	case err == nil:
		head = timeline.Head{Seq: h.LastSeq, Hash: h.LastHash, Found: true}
	case !errors.Is(err, pgx.ErrNoRows):
		return false, err
	}
	entries := make([]timeline.Entry, len(rows))
	for i, r := range rows {
		entries[i] = r.Entry()
	}
	sealed, err := keys.Rekey(entries, head)
	if errors.Is(err, timeline.ErrBrokenLegacy) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	for _, e := range sealed {
		err := q.RekeyEntry(ctx, store.RekeyEntryParams{WhistleID: whistleID, Seq: e.Seq, PrevHash: e.PrevHash, Hash: e.Hash, KeyID: e.KeyID})
		if err != nil {
			return false, err
		}
	}
	return true, q.SetChainHeadHash(ctx, store.SetChainHeadHashParams{WhistleID: whistleID, LastHash: sealed[len(sealed)-1].Hash})
}
