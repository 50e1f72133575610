-- name: AddOutbox :exec
INSERT INTO outbox (event_id, subject, payload, headers) VALUES ($1, $2, $3, $4);

-- name: ClaimOutbox :many
SELECT id, event_id, subject, payload, headers FROM outbox ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED;

-- name: DeleteOutbox :exec
DELETE FROM outbox WHERE id = ANY(@ids::bigint[]);

-- name: OutboxBacklog :one
SELECT count(*)::bigint AS pending, coalesce(extract(epoch FROM now() - min(created_at)), 0)::float8 AS oldest_seconds FROM outbox;

-- name: AddOutboxRows :exec
-- A batch of events in one statement, in their order.
INSERT INTO outbox (event_id, subject, payload, headers)
SELECT unnest(@event_ids::text[]), unnest(@subjects::text[]), unnest(@payloads::bytea[]), unnest(@headers::jsonb[]);

-- name: DeadLetterOutbox :exec
-- Copies a claimed row that can never be published to the dead letters, with
-- its error; the relay then deletes it from the outbox in the same transaction.
INSERT INTO outbox_dead_letters (event_id, subject, payload, headers, error, created_at)
SELECT o.event_id, o.subject, o.payload, o.headers, @error::text, o.created_at FROM outbox o WHERE o.id = @id
ON CONFLICT (event_id) DO UPDATE
SET subject = excluded.subject, payload = excluded.payload, headers = excluded.headers,
    error = excluded.error, created_at = excluded.created_at, failed_at = now();

-- name: ListDeadLetters :many
SELECT event_id, subject, octet_length(payload)::int AS size, error, created_at, failed_at
FROM outbox_dead_letters ORDER BY failed_at DESC, event_id LIMIT $1;

-- name: ReplayDeadLetter :execrows
-- Moves a dead letter back into the outbox under its own event id, so
-- JetStream still drops a copy of an event it once took.
WITH moved AS (
    DELETE FROM outbox_dead_letters d WHERE d.event_id = @event_id
    RETURNING d.event_id, d.subject, d.payload, d.headers
)
INSERT INTO outbox (event_id, subject, payload, headers)
SELECT m.event_id, m.subject, m.payload, m.headers FROM moved m;

-- name: PruneProcessedEvents :execrows
-- At most max_rows of the events handled more than retention_seconds ago (by
-- the database's clock, which dated them), so one statement stays short
-- whatever the backlog.
DELETE FROM processed_events
WHERE ctid = ANY (ARRAY(
    SELECT ctid FROM processed_events
    WHERE processed_at < now() - make_interval(secs => @retention_seconds::float8)
    LIMIT @max_rows::int
));
