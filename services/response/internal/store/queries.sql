-- name: CreateDispatch :one
-- ON CONFLICT makes a re-delivered request (even under a new event id) a no-op:
-- no row comes back, and the caller does nothing more.
INSERT INTO dispatches (
    id, whistle_id, district_id, street_id, category, department, role, status,
    dispatched_at, sla_started_at, ack_by, arrive_by, resolve_by,
    whistle_lat, whistle_lng, updated_at
) VALUES (
    @id, @whistle_id, @district_id, @street_id, @category, @department, @role, 'PENDING',
    @dispatched_at, @sla_started_at, @ack_by, @arrive_by, @resolve_by,
    sqlc.narg(whistle_lat), sqlc.narg(whistle_lng), @dispatched_at
)
ON CONFLICT (id) DO NOTHING
RETURNING *;

-- name: GetDispatch :one
SELECT * FROM dispatches WHERE id = @id;

-- name: LockDispatch :one
SELECT * FROM dispatches WHERE id = @id FOR UPDATE;

-- name: UpdateDispatch :one
UPDATE dispatches SET
    status = @status,
    acknowledged_at = sqlc.narg(acknowledged_at),
    acknowledged_by = @acknowledged_by,
    arrived_at = sqlc.narg(arrived_at),
    arrived_by = @arrived_by,
    arrival_lat = sqlc.narg(arrival_lat),
    arrival_lng = sqlc.narg(arrival_lng),
    arrival_distance_m = sqlc.narg(arrival_distance_m),
    arrival_far = @arrival_far,
    resolved_at = sqlc.narg(resolved_at),
    resolved_by = @resolved_by,
    resolution_summary = @resolution_summary,
    returned_at = sqlc.narg(returned_at),
    returned_by = @returned_by,
    return_reason = @return_reason,
    cancelled_at = sqlc.narg(cancelled_at),
    updated_at = @updated_at
WHERE id = @id
RETURNING *;

-- name: ListDispatches :many
-- Empty department or district means any (a supervisor's district or city
-- scope). Keyset pagination on (queue_at, id).
SELECT * FROM dispatches
WHERE (@department::text = '' OR department = @department::text)
  AND (@district_id::text = '' OR district_id = @district_id::text)
  AND status = ANY (@statuses::text[])
  AND (@whistle_id::text = '' OR whistle_id = @whistle_id::text)
  AND (sqlc.narg(after_queue_at)::timestamptz IS NULL
       OR (queue_at, id) > (sqlc.narg(after_queue_at)::timestamptz, @after_id::text))
ORDER BY queue_at, id
LIMIT @page_limit;

-- name: LockOpenDispatchesOfWhistle :many
SELECT * FROM dispatches
WHERE whistle_id = @whistle_id AND status IN ('PENDING', 'ACKNOWLEDGED', 'ARRIVED')
ORDER BY id
FOR UPDATE;

-- name: MarkWhistleCancelled :exec
INSERT INTO cancelled_whistles (whistle_id, cancelled_at) VALUES (@whistle_id, @cancelled_at)
ON CONFLICT DO NOTHING;

-- name: IsWhistleCancelled :one
SELECT EXISTS (SELECT 1 FROM cancelled_whistles WHERE whistle_id = @whistle_id);

-- name: AddTimer :exec
INSERT INTO timers (dispatch_id, clock, kind, due_at, created_at)
VALUES (@dispatch_id, @clock, @kind, @due_at, @created_at)
ON CONFLICT (dispatch_id, clock, kind) DO NOTHING;

-- name: NotifyTimers :exec
-- Sent in the transaction that adds timers, so a sleeping poller wakes at
-- commit and sees a deadline earlier than the one it sleeps towards.
SELECT pg_notify('timers_' || current_schema(), '');

-- name: DeleteTimers :execrows
DELETE FROM timers WHERE dispatch_id = @dispatch_id AND clock = ANY (@clocks::text[]);

-- name: ClaimDueTimers :many
-- Locks the timer and its dispatch together, skipping any held by another
-- poller or by a desk's action in flight: no poller ever waits, so pollers and
-- actions cannot deadlock, and a timer claimed here is seen by no one else.
SELECT t.id, t.dispatch_id, t.clock, t.kind, t.due_at,
       d.whistle_id, d.district_id, d.street_id, d.department, d.status
FROM timers t
JOIN dispatches d ON d.id = t.dispatch_id
WHERE t.due_at <= @now
ORDER BY t.due_at, t.id
LIMIT @batch_size
FOR UPDATE OF t, d SKIP LOCKED;

-- name: DeleteTimer :exec
DELETE FROM timers WHERE id = @id;

-- name: AddBreach :exec
UPDATE dispatches
SET breaches = array_append(breaches, @clock::text), updated_at = @updated_at
WHERE id = @id AND NOT (@clock::text = ANY (breaches));

-- name: NextTimerDue :one
SELECT due_at FROM timers ORDER BY due_at LIMIT 1;

-- name: CountDueTimers :one
-- Timers due but not fired yet: zero when the pollers keep up (ops and tests).
SELECT count(*) FROM timers WHERE due_at <= @now;

-- name: CountOutbox :one
-- Events written but not yet published by the relay (ops and tests).
SELECT count(*) FROM outbox;

-- name: LockWhistle :exec
-- Serialises the handling of one whistle's requests and cancellation across
-- replicas, so a request handled concurrently with the cancellation cannot
-- slip past it. Held until the transaction ends.
SELECT pg_advisory_xact_lock(hashtext('response.whistle:' || @whistle_id::text));

-- name: CurrentSchema :one
-- The schema names the channel timer notifications travel on.
SELECT current_schema()::text;
