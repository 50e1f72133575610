-- name: EnsureChainHead :exec
-- Creates an empty chain (seq 0, hash '') the first time a whistle is seen.
INSERT INTO chain_heads (whistle_id, last_seq, last_hash) VALUES ($1, 0, '')
ON CONFLICT (whistle_id) DO NOTHING;

-- name: LockChainHead :one
SELECT last_seq, last_hash FROM chain_heads WHERE whistle_id = $1 FOR UPDATE;

-- name: AdvanceChainHead :exec
UPDATE chain_heads SET last_seq = $2, last_hash = $3 WHERE whistle_id = $1;

-- name: AppendEntry :execrows
-- Zero rows means the event is already in a timeline.
INSERT INTO timeline_entries (
    whistle_id, seq, event_id, type, at, actor_role, actor_id,
    dispatch_id, department, data, prev_hash, hash, recorded_at
) VALUES (
    $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13
)
ON CONFLICT (event_id) DO NOTHING;

-- name: ListTimeline :many
SELECT seq, event_id, type, at, actor_role, actor_id, dispatch_id, department, data, prev_hash, hash
FROM timeline_entries
WHERE whistle_id = $1
ORDER BY seq;

-- name: SetRaisedScope :exec
-- whistle.raised carries the authoritative scope.
INSERT INTO whistle_scopes (whistle_id, street_id, district_id, from_raised)
VALUES ($1, $2, $3, true)
ON CONFLICT (whistle_id) DO UPDATE
SET street_id = EXCLUDED.street_id, district_id = EXCLUDED.district_id, from_raised = true;

-- name: NoteEnvelopeScope :exec
-- Any other event fills in what is still unknown until whistle.raised arrives.
INSERT INTO whistle_scopes (whistle_id, street_id, district_id, from_raised)
VALUES ($1, $2, $3, false)
ON CONFLICT (whistle_id) DO UPDATE
SET street_id = CASE WHEN whistle_scopes.street_id = '' THEN EXCLUDED.street_id ELSE whistle_scopes.street_id END,
    district_id = CASE WHEN whistle_scopes.district_id = '' THEN EXCLUDED.district_id ELSE whistle_scopes.district_id END
WHERE NOT whistle_scopes.from_raised;

-- name: AddDispatchDepartment :exec
INSERT INTO whistle_dispatch_departments (whistle_id, department, district_id)
VALUES ($1, $2, $3)
ON CONFLICT DO NOTHING;

-- name: GetWhistleScope :one
SELECT street_id, district_id FROM whistle_scopes WHERE whistle_id = $1;

-- name: ListDispatchDepartments :many
SELECT department, district_id FROM whistle_dispatch_departments
WHERE whistle_id = $1
ORDER BY department, district_id;
