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

-- The consumer's set-based writes: one statement for a batch of events.

-- name: WhistlesByID :many
SELECT * FROM whistles WHERE id = ANY(@ids::text[]);

-- name: InsertWhistles :exec
-- The batch's whistle.raised; a redelivered one changes nothing.
INSERT INTO whistles (id, street_id, district_id, category, status, raised_at)
SELECT unnest(@ids::text[]), unnest(@street_ids::text[]), unnest(@district_ids::text[]), unnest(@categories::text[]),
       unnest(@statuses::text[]), unnest(@raised_ats::timestamptz[])
ON CONFLICT (id) DO NOTHING;

-- name: SetWhistleFacts :exec
-- The facts the batch's status and merge events leave; resolved_at is kept
-- where the batch did not resolve the whistle.
UPDATE whistles w
SET status = f.status, merged_into = f.merged_into,
    resolved_at = CASE WHEN f.resolved THEN f.resolved_at ELSE w.resolved_at END
FROM (SELECT unnest(@ids::text[]) AS id, unnest(@statuses::text[]) AS status, unnest(@merged_intos::text[]) AS merged_into,
             unnest(@resolved::bool[]) AS resolved, unnest(@resolved_ats::timestamptz[]) AS resolved_at) AS f
WHERE w.id = f.id;

-- name: UpsertDispatches :exec
-- Each dispatch's latest snapshot of the batch (one per dispatch), unless a
-- newer one is kept already (the rule of UpsertDispatch).
INSERT INTO whistle_dispatches (dispatch_id, whistle_id, department, status, status_rank, snapshot, updated_at)
SELECT unnest(@dispatch_ids::text[]), unnest(@whistle_ids::text[]), unnest(@departments::text[]), unnest(@statuses::text[]),
       unnest(@status_ranks::smallint[]), unnest(@snapshots::bytea[]), unnest(@updated_ats::timestamptz[])
ON CONFLICT (dispatch_id) DO UPDATE
SET status = excluded.status, status_rank = excluded.status_rank, snapshot = excluded.snapshot,
    updated_at = excluded.updated_at, department = excluded.department
WHERE (whistle_dispatches.updated_at, whistle_dispatches.status_rank) <= (excluded.updated_at, excluded.status_rank);

-- name: WhistlesWithReports :many
-- Which of these whistles have linked reports.
SELECT DISTINCT whistle_id FROM reports WHERE whistle_id = ANY(@whistle_ids::text[]);
