package app_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/chuishao/whistle/platform/auth"
	"github.com/chuishao/whistle/platform/config"
	"github.com/chuishao/whistle/platform/service"
	feedbackv1 "github.com/chuishao/whistle/proto/gen/whistle/feedback/v1"

	"github.com/chuishao/whistle/services/feedback/app"
	"github.com/chuishao/whistle/services/feedback/internal/timeline"
)

// tamper rewrites one timeline row behind the service's back, as someone with
// the database owner's privileges could: the append-only trigger is switched
// off for the edit. The hash chain is what still gives it away.
func (h *harness) tamper(whistleID string, seq int64, data string) {
	h.t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, h.dbURL)
	require.NoError(h.t, err)
	defer func() { _ = conn.Close(ctx) }()
	err = pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "ALTER TABLE feedback.timeline_entries DISABLE TRIGGER timeline_entries_no_update_delete"); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, "UPDATE feedback.timeline_entries SET data = $3::jsonb WHERE whistle_id = $1 AND seq = $2", whistleID, seq, data); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, "ALTER TABLE feedback.timeline_entries ENABLE TRIGGER timeline_entries_no_update_delete")
		return err
	})
	require.NoError(h.t, err)
}

func TestAuditVerifyNamesTheEditedEntry(t *testing.T) {
	t.Parallel()
	h := start(t)
	a := scenario{clk: h.clk, whistle: "w-audited", street: donghuamen, district: dongcheng}
	b := scenario{clk: h.clk, whistle: "w-untouched", street: donghuamen, district: dongcheng}
	for _, ev := range lifecycle(a) {
		h.publish(ev, ev.GetId())
	}
	for _, ev := range lifecycle(b) {
		h.publish(ev, ev.GetId())
	}
	entries := h.waitForTimeline("w-audited", 8)
	h.waitForTimeline("w-untouched", 8)

	admin := h.as(auth.Identity{Role: auth.RoleAdmin})
	clean, err := h.client.VerifyAudit(admin, &feedbackv1.VerifyAuditRequest{})
	require.NoError(t, err)
	require.True(t, clean.GetOk())
	require.Equal(t, int64(2), clean.GetWhistlesChecked())
	require.Equal(t, int64(16), clean.GetEntriesChecked())

	// Someone rewrites what the routing decision said.
	h.tamper("w-audited", 2, `{"rule": "category:forged", "departments": []}`)

	one, err := h.client.VerifyAudit(h.as(auth.Identity{Role: auth.RoleSupervisor, DistrictID: dongcheng}), &feedbackv1.VerifyAuditRequest{WhistleId: "w-audited"})
	require.NoError(t, err)
	require.False(t, one.GetOk())
	require.Len(t, one.GetBroken(), 1)
	require.Equal(t, "w-audited", one.GetBroken()[0].GetWhistleId())
	require.Equal(t, int64(2), one.GetBroken()[0].GetSeq())
	require.Equal(t, entries[1].GetEventId(), one.GetBroken()[0].GetEventId())

	all, err := h.client.VerifyAudit(admin, &feedbackv1.VerifyAuditRequest{})
	require.NoError(t, err)
	require.False(t, all.GetOk())
	require.Len(t, all.GetBroken(), 1, "the other whistle's chain is intact")
	require.Equal(t, int64(2), all.GetWhistlesChecked())

	// Access: a desk may not audit; another district cannot see the whistle.
	_, err = h.client.VerifyAudit(h.as(auth.Identity{Role: auth.RoleDesk, DistrictID: dongcheng, Department: "police"}), &feedbackv1.VerifyAuditRequest{})
	require.Equal(t, codes.PermissionDenied, status.Code(err))
	_, err = h.client.VerifyAudit(h.as(auth.Identity{Role: auth.RoleSupervisor, DistrictID: xicheng}), &feedbackv1.VerifyAuditRequest{WhistleId: "w-audited"})
	require.Equal(t, codes.NotFound, status.Code(err))
}

// asOwner runs fn in a transaction on the service's database with the
// append-only triggers switched off, as the tables' owner could.
func (h *harness) asOwner(fn func(ctx context.Context, tx pgx.Tx) error) {
	h.t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, h.dbURL)
	require.NoError(h.t, err)
	defer func() { _ = conn.Close(ctx) }()
	err = pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "ALTER TABLE feedback.timeline_entries DISABLE TRIGGER USER"); err != nil {
			return err
		}
		if err := fn(ctx, tx); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, "ALTER TABLE feedback.timeline_entries ENABLE TRIGGER USER")
		return err
	})
	require.NoError(h.t, err)
}

// auditedWhistles raises two whistles through their lifecycle and waits until
// both timelines are complete (8 entries each).
func auditedWhistles(t *testing.T, h *harness) {
	t.Helper()
	for _, id := range []string{"w-audited", "w-untouched"} {
		for _, ev := range lifecycle(scenario{clk: h.clk, whistle: id, street: donghuamen, district: dongcheng}) {
			h.publish(ev, ev.GetId())
		}
	}
	h.waitForTimeline("w-audited", 8)
	h.waitForTimeline("w-untouched", 8)
}

// requireBroken verifies every chain as an admin and requires that exactly
// w-audited is reported, from seq on, for reason.
func requireBroken(t *testing.T, h *harness, seq int64, reason string) {
	t.Helper()
	resp, err := h.client.VerifyAudit(h.as(auth.Identity{Role: auth.RoleAdmin}), &feedbackv1.VerifyAuditRequest{})
	require.NoError(t, err)
	require.False(t, resp.GetOk())
	require.Len(t, resp.GetBroken(), 1, "only the tampered whistle is reported")
	require.Equal(t, "w-audited", resp.GetBroken()[0].GetWhistleId())
	require.Equal(t, seq, resp.GetBroken()[0].GetSeq())
	require.Equal(t, reason, resp.GetBroken()[0].GetReason())
}

// rehash recomputes, as the tables' owner could, the hashes of a whistle's
// entries from seq on with the published unkeyed scheme (blanking their key
// ids when unkeyed is set), and its chain head.
func rehash(ctx context.Context, tx pgx.Tx, whistleID string, from int64, unkeyed bool) error {
	rows, err := tx.Query(ctx, `SELECT seq, type, at, actor_role, actor_id, dispatch_id, department, event_id, data
		FROM feedback.timeline_entries WHERE whistle_id = $1 AND seq >= $2 ORDER BY seq`, whistleID, from)
	if err != nil {
		return err
	}
	var chain []timeline.Entry
	for rows.Next() {
		var e timeline.Entry
		var data []byte
		if err := rows.Scan(&e.Seq, &e.Type, &e.At, &e.Actor.Role, &e.Actor.ID, &e.DispatchID, &e.Department, &e.EventID, &data); err != nil {
			return err
		}
		e.Data = data
		chain = append(chain, e)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	prev := ""
	if from > 1 {
		if err := tx.QueryRow(ctx, `SELECT hash FROM feedback.timeline_entries WHERE whistle_id = $1 AND seq = $2`, whistleID, from-1).Scan(&prev); err != nil {
			return err
		}
	}
	for _, e := range chain {
		c, err := timeline.Canonical(e)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(append([]byte(prev), c...))
		hash := hex.EncodeToString(sum[:])
		if _, err := tx.Exec(ctx, `UPDATE feedback.timeline_entries SET prev_hash = $3, hash = $4,
			key_id = CASE WHEN $5 THEN '' ELSE key_id END WHERE whistle_id = $1 AND seq = $2`, whistleID, e.Seq, prev, hash, unkeyed); err != nil {
			return err
		}
		prev = hash
	}
	_, err = tx.Exec(ctx, `UPDATE feedback.chain_heads SET last_hash = $2 WHERE whistle_id = $1`, whistleID, prev)
	return err
}

// The owner rewrites an entry and recomputes the chain from there on with the
// published (unkeyed) hash, head included: only a key the database does not
// hold gives it away.
func TestAuditVerifyCatchesARewriteWithRecomputedHashes(t *testing.T) {
	t.Parallel()
	h := start(t)
	auditedWhistles(t, h)
	h.asOwner(func(ctx context.Context, tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `UPDATE feedback.timeline_entries SET data = '{"rule": "category:forged", "departments": []}' WHERE whistle_id = 'w-audited' AND seq = 2`); err != nil {
			return err
		}
		return rehash(ctx, tx, "w-audited", 2, false)
	})
	requireBroken(t, h, 2, timeline.ReasonContent)
}

// Marking a rewritten chain as written before keyed hashes does not pass either.
func TestAuditVerifyReportsUnkeyedEntries(t *testing.T) {
	t.Parallel()
	h := start(t)
	auditedWhistles(t, h)
	h.asOwner(func(ctx context.Context, tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `UPDATE feedback.timeline_entries SET data = '{"rule": "category:forged", "departments": []}' WHERE whistle_id = 'w-audited' AND seq = 2`); err != nil {
			return err
		}
		return rehash(ctx, tx, "w-audited", 1, true)
	})
	requireBroken(t, h, 1, timeline.ReasonUnkeyed)
}

// Timelines written before keyed hashes are re-keyed by a migration run with
// WHISTLE_TIMELINE_REKEY, when they are intact; a broken one stays reported.
func TestRekeyAdoptsIntactUnkeyedTimelines(t *testing.T) {
	t.Parallel()
	h := start(t)
	auditedWhistles(t, h)
	// What a database from before keyed hashes holds: both chains unkeyed, one
	// of them edited afterwards.
	h.asOwner(func(ctx context.Context, tx pgx.Tx) error {
		for _, id := range []string{"w-audited", "w-untouched"} {
			if err := rehash(ctx, tx, id, 1, true); err != nil {
				return err
			}
		}
		_, err := tx.Exec(ctx, `UPDATE feedback.timeline_entries SET data = '{}' WHERE whistle_id = 'w-audited' AND seq = 3`)
		return err
	})
	resp, err := h.client.VerifyAudit(h.as(auth.Identity{Role: auth.RoleAdmin}), &feedbackv1.VerifyAuditRequest{})
	require.NoError(t, err)
	require.Len(t, resp.GetBroken(), 2, "unkeyed entries are reported until re-keyed")

	cfg := h.cfg
	cfg.MigrateOnly, cfg.TimelineRekey = true, true
	_, err = app.New(context.Background(), cfg, service.Deps{Log: h.log, Clock: h.clk})
	require.ErrorIs(t, err, config.ErrMigrated)

	requireBroken(t, h, 1, timeline.ReasonUnkeyed) // w-audited's own chain no longer verified
	entries := h.waitForTimeline("w-untouched", 8)
	for _, e := range entries {
		require.Equal(t, "test", e.GetKeyId())
	}
}

func TestTheChainKeyIsRequired(t *testing.T) {
	t.Parallel()
	cfg := app.Config{Base: config.Base{
		Database: config.Database{DatabaseURL: "postgres://x@127.0.0.1/x"}, Bus: config.Bus{NATSURL: "nats://127.0.0.1:1", StreamReplicas: 1},
		Server: config.Server{GRPCAddr: "127.0.0.1:0"}, Tokens: config.Tokens{JWTPublicKey: "k"}, Time: config.Time{TimeScale: 1},
	}}
	require.ErrorContains(t, cfg.Validate(), "WHISTLE_TIMELINE_KEYS")
	cfg.TimelineKeys = timeline.EncodeKey("short", []byte("16 bytes only..."))
	require.ErrorContains(t, cfg.Validate(), "WHISTLE_TIMELINE_KEYS")
	cfg.TimelineKeys = testTimelineKeys
	require.NoError(t, cfg.Validate())
}

// The owner removes a whistle's last entries; its chain head still counts them.
func TestAuditVerifyCatchesATruncatedChain(t *testing.T) {
	t.Parallel()
	h := start(t)
	auditedWhistles(t, h)
	h.asOwner(func(ctx context.Context, tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `DELETE FROM feedback.timeline_entries WHERE whistle_id = 'w-audited' AND seq > 6`)
		return err
	})
	requireBroken(t, h, 7, timeline.ReasonTruncated)
}

// The owner removes a whistle's whole timeline; its chain head remains.
func TestAuditVerifyCatchesADeletedChain(t *testing.T) {
	t.Parallel()
	h := start(t)
	auditedWhistles(t, h)
	h.asOwner(func(ctx context.Context, tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `DELETE FROM feedback.timeline_entries WHERE whistle_id = 'w-audited'`)
		return err
	})
	requireBroken(t, h, 1, timeline.ReasonTruncated)
}
