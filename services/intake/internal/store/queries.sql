-- name: InsertWhistles :many
-- A group of new whistles, one per element of the arrays (an empty key is
-- none). A row whose key its street used before returns nothing: ON CONFLICT
-- waits for a concurrent transaction holding the key, and the caller reads
-- the winner after its own commit. Rows come in the arrays' order, sorted by
-- street and key, so two groups wait on each other's keys in one order only.
INSERT INTO whistles (
    id, street_id, district_id, category, title, description, address, lat, lng,
    urgency, status, raised_by_role, raised_by_id, raised_at, updated_at, idempotency_key
)
SELECT unnest(@ids::text[]), unnest(@street_ids::text[]), unnest(@district_ids::text[]), unnest(@categories::text[]),
       unnest(@titles::text[]), unnest(@descriptions::text[]), unnest(@addresses::text[]),
       unnest(@lats::float8[]), unnest(@lngs::float8[]), unnest(@urgencies::text[]), unnest(@statuses::text[]),
       unnest(@raised_by_roles::text[]), unnest(@raised_by_ids::text[]), unnest(@raised_ats::timestamptz[]),
       unnest(@updated_ats::timestamptz[]), NULLIF(unnest(@idempotency_keys::text[]), '')
ON CONFLICT (street_id, idempotency_key) DO NOTHING
RETURNING *;

-- name: GetWhistleByIdempotencyKey :one
SELECT * FROM whistles WHERE street_id = @street_id AND idempotency_key = @idempotency_key;

-- name: GetWhistle :one
SELECT * FROM whistles WHERE id = @id;

-- name: GetWhistles :many
SELECT * FROM whistles WHERE id = ANY(@ids::text[]) ORDER BY id;

-- name: LockWhistle :one
SELECT * FROM whistles WHERE id = @id FOR UPDATE;

-- name: LockWhistles :many
-- LockWhistle for many whistles, in one order (by id) so that two
-- transactions locking overlapping sets do not wait on each other in a cycle.
SELECT * FROM whistles WHERE id = ANY (@ids::text[]) ORDER BY id FOR UPDATE;

-- name: SetWhistlesProgress :exec
-- What routing's and response's events move on whistles locked by
-- LockWhistles, one per element of the arrays (ids distinct): the status, and
-- routed_at / resolved_at set to @at where asked; a whistle routed now takes
-- the community routing resolved its point to.
UPDATE whistles AS w SET
    status = r.status,
    updated_at = @at,
    routed_at = CASE WHEN r.routed THEN @at ELSE w.routed_at END,
    resolved_at = CASE WHEN r.resolved THEN @at ELSE w.resolved_at END,
    community_code = CASE WHEN r.routed THEN r.community_code ELSE w.community_code END,
    community_name = CASE WHEN r.routed THEN r.community_name ELSE w.community_name END
FROM (SELECT unnest(@ids::text[]) AS id, unnest(@statuses::text[]) AS status, unnest(@routed::boolean[]) AS routed,
             unnest(@resolved::boolean[]) AS resolved, unnest(@community_codes::text[]) AS community_code,
             unnest(@community_names::text[]) AS community_name) AS r
WHERE w.id = r.id;

-- name: UpdateWhistle :one
UPDATE whistles SET
    status = @status,
    updated_at = @updated_at,
    resolved_at = @resolved_at,
    closed_at = @closed_at,
    satisfaction = @satisfaction,
    feedback_comment = @feedback_comment,
    routed_at = @routed_at,
    reopened_at = @reopened_at
WHERE id = @id
RETURNING *;

-- name: ListWhistlesByStreet :many
-- Without a cursor the page starts at the newest whistle. With neighbours, the
-- whistles the street was informed of as a neighbour are listed too. Each
-- branch pages through its own index (an OR of the two would walk every
-- whistle for a quiet street), and the page is the newest of both.
SELECT * FROM (
    (SELECT * FROM whistles own
     WHERE own.street_id = @street_id
       AND (sqlc.narg(district_id)::text IS NULL OR own.district_id = sqlc.narg(district_id))
       AND (sqlc.narg(status)::text IS NULL OR own.status = sqlc.narg(status))
       AND (own.raised_at, own.id) < (coalesce(sqlc.narg(cursor_raised_at)::timestamptz, 'infinity'), coalesce(sqlc.narg(cursor_id)::text, ''))
     ORDER BY own.raised_at DESC, own.id DESC
     LIMIT @max_rows)
    UNION ALL
    (SELECT w.* FROM whistle_neighbours n JOIN whistles w ON w.id = n.whistle_id
     WHERE @with_neighbours::boolean AND n.street_id = @street_id AND w.street_id <> @street_id
       AND (sqlc.narg(district_id)::text IS NULL OR w.district_id = sqlc.narg(district_id))
       AND (sqlc.narg(status)::text IS NULL OR w.status = sqlc.narg(status))
       AND (w.raised_at, w.id) < (coalesce(sqlc.narg(cursor_raised_at)::timestamptz, 'infinity'), coalesce(sqlc.narg(cursor_id)::text, ''))
     ORDER BY w.raised_at DESC, w.id DESC
     LIMIT @max_rows)
) AS page
ORDER BY raised_at DESC, id DESC
LIMIT @max_rows;

-- name: ListWhistlesByDistrict :many
SELECT * FROM whistles
WHERE district_id = @district_id
  AND (sqlc.narg(status)::text IS NULL OR status = sqlc.narg(status))
  AND (raised_at, id) < (coalesce(sqlc.narg(cursor_raised_at)::timestamptz, 'infinity'), coalesce(sqlc.narg(cursor_id)::text, ''))
ORDER BY raised_at DESC, id DESC
LIMIT @max_rows;

-- name: ListAllWhistles :many
SELECT * FROM whistles
WHERE (sqlc.narg(status)::text IS NULL OR status = sqlc.narg(status))
  AND (raised_at, id) < (coalesce(sqlc.narg(cursor_raised_at)::timestamptz, 'infinity'), coalesce(sqlc.narg(cursor_id)::text, ''))
ORDER BY raised_at DESC, id DESC
LIMIT @max_rows;

-- name: AddDepartment :exec
-- Routing's decision; a department already known (e.g. rerouted away first) keeps its row.
INSERT INTO whistle_departments (whistle_id, department, expected)
VALUES (@whistle_id, @department, true)
ON CONFLICT (whistle_id, department) DO NOTHING;

-- name: AddDepartments :exec
-- AddDepartment for many pairs of whistle and department.
INSERT INTO whistle_departments (whistle_id, department, expected)
SELECT r.whistle_id, r.department, true
FROM (SELECT unnest(@whistle_ids::text[]) AS whistle_id, unnest(@departments::text[]) AS department) AS r
ON CONFLICT (whistle_id, department) DO NOTHING;

-- name: SetDepartmentExpected :exec
INSERT INTO whistle_departments (whistle_id, department, expected)
VALUES (@whistle_id, @department, @expected)
ON CONFLICT (whistle_id, department) DO UPDATE SET expected = EXCLUDED.expected;

-- name: ExpectedDepartmentsOfWhistles :many
SELECT whistle_id, department FROM whistle_departments
WHERE whistle_id = ANY (@whistle_ids::text[]) AND expected
ORDER BY whistle_id, department;

-- name: CountOtherActiveDispatches :one
-- Dispatches of a department that still work on the whistle, other than the returned one.
SELECT count(*) FROM dispatches
WHERE whistle_id = @whistle_id AND department = @department AND dispatch_id <> @returned_dispatch_id
  AND status NOT IN ('RETURNED', 'CANCELLED');

-- name: UpsertDispatch :exec
-- Events may arrive out of order: an older snapshot never replaces a newer one.
INSERT INTO dispatches (dispatch_id, whistle_id, department, status, status_rank, snapshot, updated_at)
VALUES (@dispatch_id, @whistle_id, @department, @status, @status_rank, @snapshot, @updated_at)
ON CONFLICT (dispatch_id) DO UPDATE SET
    whistle_id = EXCLUDED.whistle_id,
    department = EXCLUDED.department,
    status = EXCLUDED.status,
    status_rank = EXCLUDED.status_rank,
    snapshot = EXCLUDED.snapshot,
    updated_at = EXCLUDED.updated_at
WHERE (dispatches.updated_at, dispatches.status_rank) <= (EXCLUDED.updated_at, EXCLUDED.status_rank);

-- name: UpsertDispatches :exec
-- UpsertDispatch for many dispatches, one per element of the arrays (ids distinct).
INSERT INTO dispatches (dispatch_id, whistle_id, department, status, status_rank, snapshot, updated_at)
SELECT unnest(@dispatch_ids::text[]) AS dispatch_id, unnest(@whistle_ids::text[]) AS whistle_id,
       unnest(@departments::text[]) AS department, unnest(@statuses::text[]) AS status,
       unnest(@status_ranks::smallint[]) AS status_rank, unnest(@snapshots::bytea[]) AS snapshot,
       unnest(@updated_ats::timestamptz[]) AS updated_at
ORDER BY 1
ON CONFLICT (dispatch_id) DO UPDATE SET
    whistle_id = EXCLUDED.whistle_id,
    department = EXCLUDED.department,
    status = EXCLUDED.status,
    status_rank = EXCLUDED.status_rank,
    snapshot = EXCLUDED.snapshot,
    updated_at = EXCLUDED.updated_at
WHERE (dispatches.updated_at, dispatches.status_rank) <= (EXCLUDED.updated_at, EXCLUDED.status_rank);

-- name: MarkWhistlesBreached :exec
-- Whistles (locked by the caller) one of whose dispatches breached an SLA clock.
UPDATE whistles SET breached = true WHERE id = ANY (@ids::text[]) AND NOT breached;

-- name: WhistleDispatches :many
SELECT * FROM dispatches WHERE whistle_id = @whistle_id ORDER BY department, updated_at, dispatch_id;

-- name: DispatchesOfWhistles :many
SELECT * FROM dispatches WHERE whistle_id = ANY(@whistle_ids::text[]) ORDER BY whistle_id, department, updated_at, dispatch_id;

-- name: HasDispatchToDepartment :one
SELECT EXISTS (SELECT 1 FROM dispatches WHERE whistle_id = @whistle_id AND department = @department);

-- name: NearbyOpenWhistles :many
-- The duplicate search of a group of new whistles (@ids, in the order they
-- were raised): for each, the first 20, oldest first, of its street's open
-- whistles of its category raised since its @since inside its box, other than
-- itself and the group's whistles raised after it, so the group finds what
-- raising its whistles one by one would. The caller measures the exact
-- distance. A box is read through the grid cells that cover it (see
-- intake.Cells): the other arrays hold one element per whistle and cell, the
-- whistle named by its position in @ids (from 1). Each cell is read in time
-- order up to its own first 20: the first 20 of all are among them.
SELECT f.whistle::int AS whistle, f.id, f.lat, f.lng
FROM (
    SELECT s.whistle, n.id, n.lat, n.lng, n.raised_at,
           row_number() OVER (PARTITION BY s.whistle ORDER BY n.raised_at, n.id) AS rank
    FROM (
        SELECT unnest(@whistles::int[]) AS whistle, unnest(@cells::bigint[]) AS cell,
               unnest(@street_ids::text[]) AS street_id, unnest(@categories::text[]) AS category,
               unnest(@since::timestamptz[]) AS since,
               unnest(@min_lats::float8[]) AS min_lat, unnest(@max_lats::float8[]) AS max_lat,
               unnest(@min_lngs::float8[]) AS min_lng, unnest(@max_lngs::float8[]) AS max_lng
    ) AS s
    CROSS JOIN LATERAL (
        SELECT w.id, w.lat, w.lng, w.raised_at FROM whistles w
        WHERE w.street_id = s.street_id AND w.category = s.category AND w.cell = s.cell
          AND w.raised_at >= s.since
          AND coalesce(array_position(@ids::text[], w.id), 0) < s.whistle
          AND w.open
          AND w.lat BETWEEN s.min_lat AND s.max_lat
          AND w.lng BETWEEN s.min_lng AND s.max_lng
        ORDER BY w.raised_at, w.id
        LIMIT 20
    ) AS n
) AS f
WHERE f.rank <= 20
ORDER BY f.whistle, f.raised_at, f.id;

-- name: InsertDuplicateCandidates :exec
-- Links of new whistles to the candidates they may duplicate, one per
-- element of the arrays.
INSERT INTO duplicate_candidates (whistle_id, candidate_of, distance_m, found_at)
SELECT unnest(@whistle_ids::text[]), unnest(@candidate_ofs::text[]), unnest(@distances::float8[]),
       unnest(@found_ats::timestamptz[])
ON CONFLICT (whistle_id, candidate_of) DO NOTHING;

-- name: DuplicateCandidates :many
SELECT * FROM duplicate_candidates WHERE whistle_id = @whistle_id ORDER BY distance_m, candidate_of;

-- name: SetCandidateStates :exec
-- Merging into one candidate keeps the others; keeping keeps them all.
UPDATE duplicate_candidates
SET state = CASE WHEN candidate_of = @merged_into::text THEN 'merged' ELSE 'kept' END
WHERE whistle_id = @whistle_id;

-- name: SetMergedInto :exec
UPDATE whistles SET merged_into = @merged_into, updated_at = @updated_at WHERE id = @id;

-- name: AddNeighbour :exec
INSERT INTO whistle_neighbours (whistle_id, street_id) VALUES (@whistle_id, @street_id)
ON CONFLICT (whistle_id, street_id) DO NOTHING;

-- name: IsNeighbour :one
SELECT EXISTS (SELECT 1 FROM whistle_neighbours WHERE whistle_id = @whistle_id AND street_id = @street_id);

-- name: MergedWhistleIDs :many
-- The repeated condition lets the partial index whistles_merged_into serve a
-- prepared (generic) plan, which cannot know that @id is never ''.
SELECT id FROM whistles WHERE merged_into = @id AND merged_into <> '' ORDER BY raised_at, id;

-- name: InsertAttachment :execrows
-- Adding the same attachment id again inserts nothing.
INSERT INTO attachments (attachment_id, whistle_id, stage, dispatch_id, department, media_type, size_bytes, sha256,
    stored_sha256, width, height, has_thumbnail, exif_lat, exif_lng, file_name, actor_role, actor_id, added_at)
VALUES (@attachment_id, @whistle_id, @stage, @dispatch_id, @department, @media_type, @size_bytes, @sha256,
    @stored_sha256, @width, @height, @has_thumbnail, @exif_lat, @exif_lng, @file_name, @actor_role, @actor_id, @added_at)
ON CONFLICT (attachment_id) DO NOTHING;

-- name: GetAttachment :one
SELECT * FROM attachments WHERE whistle_id = @whistle_id AND attachment_id = @attachment_id;

-- name: ListAttachments :many
SELECT * FROM attachments WHERE whistle_id = @whistle_id ORDER BY added_at, attachment_id;

-- name: CountAttachments :one
SELECT count(*) FROM attachments WHERE whistle_id = @whistle_id;

-- name: DispatchOfDepartment :one
-- The department's current dispatch on the whistle (the newest), for a desk's evidence.
SELECT dispatch_id FROM dispatches WHERE whistle_id = @whistle_id AND department = @department
ORDER BY updated_at DESC, dispatch_id LIMIT 1;
