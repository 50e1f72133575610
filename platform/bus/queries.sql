-- name: AddOutbox :exec
-- One round trip: the row, and the relay's wake-up at commit (Postgres folds
-- the identical notifications of one transaction into one).
WITH added AS (
    INSERT INTO outbox (event_id, subject, payload, headers) VALUES ($1, $2, $3, $4)
)
SELECT pg_notify('outbox_' || current_schema(), '');

-- name: ClaimOutbox :many
SELECT id, event_id, subject, payload, headers FROM outbox ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED;

-- name: DeleteOutbox :exec
DELETE FROM outbox WHERE id = ANY(@ids::bigint[]);

-- name: OutboxBacklog :one
SELECT count(*)::bigint AS pending, coalesce(extract(epoch FROM now() - min(created_at)), 0)::float8 AS oldest_seconds FROM outbox;
