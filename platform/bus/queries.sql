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

-- name: AddOutboxRows :exec
-- A batch of events in one statement, with the relay's wake-up at commit (as
-- AddOutbox; the data-modifying CTE runs whether or not it is read).
WITH added AS (
    INSERT INTO outbox (event_id, subject, payload, headers)
    SELECT unnest(@event_ids::text[]), unnest(@subjects::text[]), unnest(@payloads::bytea[]), unnest(@headers::jsonb[])
)
SELECT pg_notify('outbox_' || current_schema(), '');
