-- name: MarkProcessed :execrows
INSERT INTO processed_events (consumer, event_id) VALUES ($1, $2) ON CONFLICT DO NOTHING;

-- name: AddOutbox :exec
INSERT INTO outbox (event_id, subject, payload, headers) VALUES ($1, $2, $3, $4);

-- name: NotifyOutbox :exec
SELECT pg_notify('outbox_' || current_schema(), '');

-- name: ClaimOutbox :many
SELECT id, event_id, subject, payload, headers FROM outbox ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED;

-- name: DeleteOutbox :exec
DELETE FROM outbox WHERE id = ANY(@ids::bigint[]);

-- name: OutboxBacklog :one
SELECT count(*)::bigint AS pending, coalesce(extract(epoch FROM now() - min(created_at)), 0)::float8 AS oldest_seconds FROM outbox;
