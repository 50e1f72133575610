-- What discovery keeps of whistles and their dispatches from the events.

-- name: InsertWhistle :exec
-- whistle.raised; a redelivered one changes nothing.
INSERT INTO whistles (id, street_id, district_id, category, status, raised_at)
VALUES (@id, @street_id, @district_id, @category, @status, @raised_at)
ON CONFLICT (id) DO NOTHING;

-- name: GetWhistle :one
SELECT * FROM whistles WHERE id = @id;

-- name: SetWhistleStatus :exec
UPDATE whistles SET status = @status, resolved_at = coalesce(sqlc.narg(resolved_at), resolved_at) WHERE id = @id;

-- name: SetWhistleMergedInto :exec
UPDATE whistles SET merged_into = @merged_into WHERE id = @id;

-- name: UpsertDispatch :exec
-- A dispatch's snapshot, unless a newer one is kept already.
INSERT INTO whistle_dispatches (dispatch_id, whistle_id, department, status, status_rank, snapshot, updated_at)
VALUES (@dispatch_id, @whistle_id, @department, @status, @status_rank, @snapshot, @updated_at)
ON CONFLICT (dispatch_id) DO UPDATE
SET status = excluded.status, status_rank = excluded.status_rank, snapshot = excluded.snapshot,
    updated_at = excluded.updated_at, department = excluded.department
WHERE (whistle_dispatches.updated_at, whistle_dispatches.status_rank) <= (excluded.updated_at, excluded.status_rank);

-- name: WhistleDispatches :many
SELECT * FROM whistle_dispatches WHERE whistle_id = @whistle_id ORDER BY department, updated_at, dispatch_id;

-- name: DispatchesOfWhistles :many
SELECT * FROM whistle_dispatches WHERE whistle_id = ANY(@whistle_ids::text[]) ORDER BY whistle_id, department, updated_at, dispatch_id;
