-- name: CreateDispatches :many
-- New dispatches, one per element of the arrays (ids distinct), each with its
-- first timer row in the same statement: @step_ids, @step_due_ats,
-- @step_clocks and @step_kinds are the dispatches' NextStep. ON CONFLICT makes
-- a re-delivered request (even under a new event id) a no-op: only the ids of
-- the dispatches created now come back, only they get a timer row, and the
-- caller does nothing more for the others. A warning not to fire comes as the
-- zero time (0001-01-01), stored as none.
WITH created AS (
    INSERT INTO dispatches (
        id, whistle_id, district_id, street_id, category, department, role, status,
        dispatched_at, sla_started_at, ack_by, arrive_by, resolve_by,
        ack_warn_at, arrive_warn_at, resolve_warn_at,
        whistle_lat, whistle_lng, updated_at, community_code, community_name
    )
    SELECT r.id, r.whistle_id, r.district_id, r.street_id, r.category, r.department, r.role, 'PENDING',
           @dispatched_at, r.sla_started_at, r.ack_by, r.arrive_by, r.resolve_by,
           NULLIF(r.ack_warn_at, '0001-01-01 00:00:00+00'), NULLIF(r.arrive_warn_at, '0001-01-01 00:00:00+00'),
           NULLIF(r.resolve_warn_at, '0001-01-01 00:00:00+00'),
           CASE WHEN r.located THEN r.lat END, CASE WHEN r.located THEN r.lng END, @dispatched_at,
           r.community_code, r.community_name
    FROM (SELECT unnest(@ids::text[]) AS id, unnest(@whistle_ids::text[]) AS whistle_id,
                 unnest(@district_ids::text[]) AS district_id, unnest(@street_ids::text[]) AS street_id,
                 unnest(@categories::text[]) AS category, unnest(@departments::text[]) AS department,
                 unnest(@roles::text[]) AS role, unnest(@sla_started_ats::timestamptz[]) AS sla_started_at,
                 unnest(@ack_bys::timestamptz[]) AS ack_by, unnest(@arrive_bys::timestamptz[]) AS arrive_by,
                 unnest(@resolve_bys::timestamptz[]) AS resolve_by,
                 unnest(@ack_warn_ats::timestamptz[]) AS ack_warn_at, unnest(@arrive_warn_ats::timestamptz[]) AS arrive_warn_at,
                 unnest(@resolve_warn_ats::timestamptz[]) AS resolve_warn_at, unnest(@located::boolean[]) AS located,
                 unnest(@lats::float8[]) AS lat, unnest(@lngs::float8[]) AS lng,
                 unnest(@community_codes::text[]) AS community_code, unnest(@community_names::text[]) AS community_name) AS r
    ORDER BY r.id
    ON CONFLICT (id) DO NOTHING
    RETURNING id
), armed AS (
    INSERT INTO timers (dispatch_id, due_at, clock, kind)
    SELECT s.dispatch_id, s.due_at, s.clock, s.kind
    FROM created
    JOIN (SELECT unnest(@step_ids::text[]) AS dispatch_id, unnest(@step_due_ats::timestamptz[]) AS due_at,
                 unnest(@step_clocks::text[]) AS clock, unnest(@step_kinds::text[]) AS kind) AS s
        ON s.dispatch_id = created.id
)
SELECT id FROM created;

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
    arrival_accuracy_m = sqlc.narg(arrival_accuracy_m),
    resolved_at = sqlc.narg(resolved_at),
    resolved_by = @resolved_by,
    resolution_summary = @resolution_summary,
    returned_at = sqlc.narg(returned_at),
    returned_by = @returned_by,
    return_reason = @return_reason,
    return_code = @return_code,
    return_department = @return_department,
    cancelled_at = sqlc.narg(cancelled_at),
    updated_at = @updated_at
WHERE id = @id
RETURNING *;

-- name: LockDispatches :many
-- LockDispatch for a group of desk actions, locked in one order (by id) so
-- that two groups with dispatches in common do not wait on each other in a cycle.
SELECT * FROM dispatches WHERE id = ANY (@ids::text[]) ORDER BY id FOR UPDATE;

-- name: UpdateDispatches :exec
-- UpdateDispatch for many dispatches at once; @rows is a JSON array of
-- objects with the columns UpdateDispatch sets, named as stored.
UPDATE dispatches d SET
    status = u.status,
    acknowledged_at = u.acknowledged_at,
    acknowledged_by = u.acknowledged_by,
    arrived_at = u.arrived_at,
    arrived_by = u.arrived_by,
    arrival_lat = u.arrival_lat,
    arrival_lng = u.arrival_lng,
    arrival_distance_m = u.arrival_distance_m,
    arrival_far = u.arrival_far,
    arrival_accuracy_m = u.arrival_accuracy_m,
    resolved_at = u.resolved_at,
    resolved_by = u.resolved_by,
    resolution_summary = u.resolution_summary,
    returned_at = u.returned_at,
    returned_by = u.returned_by,
    return_reason = u.return_reason,
    return_code = u.return_code,
    return_department = u.return_department,
    cancelled_at = u.cancelled_at,
    updated_at = u.updated_at
FROM jsonb_to_recordset(@rows::jsonb) AS u(
    id text, status text,
    acknowledged_at timestamptz, acknowledged_by text,
    arrived_at timestamptz, arrived_by text,
    arrival_lat double precision, arrival_lng double precision,
    arrival_distance_m double precision, arrival_far boolean,
    arrival_accuracy_m double precision,
    resolved_at timestamptz, resolved_by text, resolution_summary text,
    returned_at timestamptz, returned_by text, return_reason text,
    return_code text, return_department text,
    cancelled_at timestamptz, updated_at timestamptz)
WHERE d.id = u.id;

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

-- name: PreflightDispatches :many
-- What creating dispatches reads first, per request (whistle, category and
-- district): whether its whistle was cancelled, and the policy of its category
-- in its district (the district's own row wins over the every-district row ''), if any,
-- with the policy's district (so a deadline can say which rule gave it).
SELECT r.whistle_id::text AS whistle_id, r.category::text AS category, r.district_id::text AS district_id,
       EXISTS (SELECT 1 FROM cancelled_whistles c WHERE c.whistle_id = r.whistle_id)::bool AS cancelled,
       (p.category IS NOT NULL)::bool AS has_policy,
       coalesce(p.district_id, '')::text AS policy_district_id,
       coalesce(p.ack_within_s, 0)::bigint AS ack_within_s,
       coalesce(p.arrive_within_s, 0)::bigint AS arrive_within_s,
       coalesce(p.resolve_within_s, 0)::bigint AS resolve_within_s,
       coalesce(p.resolve_working_days, 0)::integer AS resolve_working_days
FROM (SELECT DISTINCT unnest(@whistle_ids::text[]) AS whistle_id, unnest(@categories::text[]) AS category,
                      unnest(@district_ids::text[]) AS district_id) AS r
LEFT JOIN LATERAL (
    SELECT * FROM policies
    WHERE policies.category = r.category AND policies.district_id IN (r.district_id, '')
    ORDER BY policies.district_id DESC
    LIMIT 1
) AS p ON true;

-- name: SetTimers :exec
-- Writes the next step of each dispatch: @dispatch_ids (distinct) get their
-- row set to (@due_ats, @clocks, @kinds), inserted if missing and left alone
-- if unchanged; @stop_ids have nothing left to fire and lose theirs.
WITH stopped AS (
    DELETE FROM timers WHERE dispatch_id = ANY (@stop_ids::text[])
)
INSERT INTO timers (dispatch_id, due_at, clock, kind)
SELECT unnest(@dispatch_ids::text[]), unnest(@due_ats::timestamptz[]), unnest(@clocks::text[]), unnest(@kinds::text[])
ON CONFLICT (dispatch_id) DO UPDATE SET due_at = excluded.due_at, clock = excluded.clock, kind = excluded.kind
WHERE (timers.due_at, timers.clock, timers.kind) IS DISTINCT FROM (excluded.due_at, excluded.clock, excluded.kind);

-- name: SetEscalation :exec
-- A supervisor's step by hand: the level, and when the ladder climbs next.
UPDATE dispatches SET escalation_level = @level, escalate_at = sqlc.narg(escalate_at), updated_at = @updated_at
WHERE id = @id;

-- name: SetEscalationLevels :exec
UPDATE dispatches SET escalation_level = @level, updated_at = @updated_at WHERE id = ANY (@ids::text[]);

-- name: ClaimDueTimers :many
-- Locks the timer and its dispatch together, skipping any held by another
-- poller or by a desk's action in flight: no poller ever waits, so pollers and
-- actions cannot deadlock, and a timer claimed here is seen by no one else.
SELECT t.due_at AS timer_due_at, sqlc.embed(d)
FROM timers t
JOIN dispatches d ON d.id = t.dispatch_id
WHERE t.due_at <= @now
ORDER BY t.due_at
LIMIT @batch_size
FOR UPDATE OF t, d SKIP LOCKED;

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

-- name: LockWhistles :exec
-- LockWhistle for many whistles, taken in one order (by id) so that two
-- transactions locking overlapping sets do not wait on each other in a cycle.
SELECT pg_advisory_xact_lock(hashtext('response.whistle:' || w.id))
FROM (SELECT DISTINCT id FROM unnest(@whistle_ids::text[]) AS id ORDER BY id) AS w;

-- name: CurrentSchema :one
-- The schema names the channel timer notifications travel on.
SELECT current_schema()::text;

-- name: MoveDeadline :one
-- Applies an approved extension: the new deadline and warning time, the first
-- deadline kept, and the clock's warning forgotten (it warned of the old deadline).
UPDATE dispatches SET
    ack_by = @ack_by,
    arrive_by = @arrive_by,
    resolve_by = @resolve_by,
    ack_warn_at = sqlc.narg(ack_warn_at),
    arrive_warn_at = sqlc.narg(arrive_warn_at),
    resolve_warn_at = sqlc.narg(resolve_warn_at),
    original_ack_by = sqlc.narg(original_ack_by),
    original_arrive_by = sqlc.narg(original_arrive_by),
    original_resolve_by = sqlc.narg(original_resolve_by),
    warnings = @warnings,
    updated_at = @updated_at
WHERE id = @id
RETURNING *;

-- name: CreateExtension :one
INSERT INTO extensions (id, dispatch_id, clock, until, previous_due_at, reason, requested_by, requested_at)
VALUES (@id, @dispatch_id, @clock, @until, @previous_due_at, @reason, @requested_by, @requested_at)
ON CONFLICT (dispatch_id, clock) WHERE status = 'PENDING' DO NOTHING
RETURNING *;

-- name: LockExtension :one
SELECT * FROM extensions WHERE id = @id AND dispatch_id = @dispatch_id FOR UPDATE;

-- name: DecideExtension :one
UPDATE extensions SET status = @status, decided_by = @decided_by, decided_at = @decided_at, decision_note = @decision_note
WHERE id = @id
RETURNING *;

-- name: ListExtensions :many
SELECT * FROM extensions WHERE dispatch_id = @dispatch_id ORDER BY requested_at DESC, id DESC;

-- name: ListCalendarDays :many
SELECT * FROM calendar_days WHERE day >= @from_day AND day < @to_day ORDER BY day;

-- name: SetCalendarDay :one
-- An admin's day is as published: no longer provisional.
INSERT INTO calendar_days (day, kind, name) VALUES (@day, @kind, @name)
ON CONFLICT (day) DO UPDATE SET kind = EXCLUDED.kind, name = EXCLUDED.name, provisional = false
RETURNING *;

-- name: DeleteCalendarDay :execrows
DELETE FROM calendar_days WHERE day = @day;

-- name: SetPolicy :one
INSERT INTO policies (category, district_id, ack_within_s, arrive_within_s, resolve_within_s, resolve_working_days, updated_at)
VALUES (@category, @district_id, @ack_within_s, @arrive_within_s, @resolve_within_s, @resolve_working_days, @updated_at)
ON CONFLICT (category, district_id) DO UPDATE SET
    ack_within_s = EXCLUDED.ack_within_s,
    arrive_within_s = EXCLUDED.arrive_within_s,
    resolve_within_s = EXCLUDED.resolve_within_s,
    resolve_working_days = EXCLUDED.resolve_working_days,
    updated_at = EXCLUDED.updated_at
RETURNING *;

-- name: ListPolicies :many
SELECT * FROM policies ORDER BY category, district_id;

-- name: CountTimers :one
-- Timer rows: dispatches with a step still to fire (ops, tests and benchmarks).
SELECT count(*) FROM timers;

-- name: SeedDueDispatches :execrows
-- Load tests and benchmarks only: n pending dispatches named prefix<i>, each
-- whose next step is its ack breach, due at due_at.
WITH p AS (
    SELECT @prefix::text AS prefix, @now::timestamptz AS now, @due_at::timestamptz AS due_at, @n::int AS n
), d AS (
    INSERT INTO dispatches (
        id, whistle_id, district_id, street_id, category, department, role, status,
        dispatched_at, sla_started_at, ack_by, arrive_by, resolve_by, updated_at
    )
    SELECT p.prefix || g, 'w-' || p.prefix || g, '110101', '110101001', 'noise', 'police', 'lead', 'PENDING',
           p.now, p.now, p.due_at, p.due_at + interval '25 minutes', p.due_at + interval '48 hours', p.now
    FROM p, generate_series(1, p.n) g
    RETURNING id, ack_by
)
INSERT INTO timers (dispatch_id, due_at, clock, kind)
SELECT id, ack_by, 'ack', 'breach' FROM d;

-- name: TimerTableSize :one
-- Heap and index bytes of the timers table (benchmarks).
SELECT pg_table_size('timers')::bigint AS table_bytes, pg_indexes_size('timers')::bigint AS index_bytes;

-- name: RecordFired :exec
-- Records what the pollers fired on a batch of dispatches, in one statement:
-- @rows is a JSON array of the dispatches' SLA state after firing, the
-- columns named as stored.
UPDATE dispatches AS d SET
    warnings = f.warnings,
    breaches = f.breaches,
    escalation_level = f.escalation_level,
    escalate_at = f.escalate_at,
    updated_at = f.updated_at
FROM jsonb_to_recordset(@rows::jsonb) AS f(
    id text, warnings text[], breaches text[], escalation_level integer,
    escalate_at timestamptz, updated_at timestamptz)
WHERE d.id = f.id;

-- name: WebhookEndpointsFor :many
SELECT * FROM webhook_endpoints
WHERE department = @department AND district_id = @district_id AND enabled
ORDER BY id;

-- name: AddWebhookDelivery :execrows
-- One delivery per endpoint and event: a redelivered event adds nothing.
INSERT INTO webhook_deliveries (id, endpoint_id, event_id, event_name, dispatch_id, body, next_attempt_at, created_at, recipients)
VALUES (@id, @endpoint_id, @event_id, @event_name, @dispatch_id, @body, @created_at, @created_at, coalesce(@recipients::text[], '{}'))
ON CONFLICT (endpoint_id, event_id) DO NOTHING;

-- name: ListDeadWebhookDeliveries :many
-- The dead-letter list, newest first, optionally for one district.
SELECT d.id, d.event_id, d.event_name, d.dispatch_id, d.attempts, d.last_status_code, d.last_error, d.created_at,
       e.department, e.district_id, e.url, e.kind
FROM webhook_deliveries d JOIN webhook_endpoints e ON e.id = d.endpoint_id
WHERE d.status = 'dead' AND (@district_id::text = '' OR e.district_id = @district_id)
ORDER BY d.created_at DESC, d.id
LIMIT @max_rows;

-- name: ReplayWebhookDelivery :execrows
-- Puts a dead letter back in the queue with a fresh attempt budget; district_id
-- '' means any district, otherwise the dead letter must be that district's.
UPDATE webhook_deliveries AS d SET status = 'pending', attempts = 0, next_attempt_at = @now, lease_token = '', lease_until = NULL
FROM webhook_endpoints AS e
WHERE d.id = @id AND d.status = 'dead' AND e.id = d.endpoint_id
  AND (@district_id::text = '' OR e.district_id = @district_id);

-- name: WebhookDeliveryLog :many
-- Every attempt to deliver a dispatch's events, oldest first; district_id ''
-- means any district, otherwise only that district's endpoints.
SELECT d.id AS delivery_id, d.event_name, d.status, e.kind, e.url, a.target, a.attempt, a.attempted_at, a.status_code, a.error
FROM webhook_deliveries d
JOIN webhook_endpoints e ON e.id = d.endpoint_id
JOIN webhook_attempts a ON a.delivery_id = d.id
WHERE d.dispatch_id = @dispatch_id AND (@district_id::text = '' OR e.district_id = @district_id)
ORDER BY a.attempted_at, a.id;

-- name: ArmTimers :many
-- Claims, ahead of time, the group of timers falling due first within
-- @horizon: those due no later than @spread after the earliest unclaimed one,
-- with their dispatches, skipping any held by another poller or an action.
-- The poller fires them in this transaction and commits once the last of
-- them is due (never before), so the work is done when the deadline comes.
WITH earliest AS (
    SELECT f.due_at FROM timers f
    WHERE f.due_at <= @horizon
    ORDER BY f.due_at
    LIMIT 1
    FOR UPDATE SKIP LOCKED
)
SELECT t.due_at AS timer_due_at, sqlc.embed(d)
FROM timers t
JOIN dispatches d ON d.id = t.dispatch_id
WHERE t.due_at <= (SELECT earliest.due_at FROM earliest) + @spread::interval
ORDER BY t.due_at
LIMIT @max_timers
FOR UPDATE OF t, d SKIP LOCKED;

-- name: SomeoneWaitsForUs :one
-- True when another transaction waits for a lock this one holds: a desk's
-- action on a dispatch whose timer is armed. The poller then steps aside.
SELECT EXISTS (
    SELECT 1 FROM pg_catalog.pg_locks
    WHERE locktype = 'transactionid' AND NOT granted AND transactionid = pg_current_xact_id()::xid
)::bool AS waiting;

-- name: ListPendingExtensions :many
-- Extensions awaiting a decision with their dispatch, in a district (an empty
-- district means the city), the oldest request first. Keyset pagination on
-- (requested_at, id).
SELECT sqlc.embed(e), sqlc.embed(d) FROM extensions e
JOIN dispatches d ON d.id = e.dispatch_id
WHERE e.status = 'PENDING'
  AND (@district_id::text = '' OR d.district_id = @district_id::text)
  AND (sqlc.narg(after_requested_at)::timestamptz IS NULL
       OR (e.requested_at, e.id) > (sqlc.narg(after_requested_at)::timestamptz, @after_id::text))
ORDER BY e.requested_at, e.id
LIMIT @page_limit;

-- name: WhistleDispatches :many
-- Every dispatch of a whistle, for its joint board: the lead first.
SELECT * FROM dispatches
WHERE whistle_id = @whistle_id
ORDER BY (role = 'lead') DESC, dispatched_at, department, id;

-- name: AddBoardNote :exec
INSERT INTO board_notes (id, whistle_id, district_id, department, author_role, author_id, body, created_at)
VALUES (@id, @whistle_id, @district_id, @department, @author_role, @author_id, @body, @created_at);

-- name: BoardNotes :many
SELECT * FROM board_notes WHERE whistle_id = @whistle_id ORDER BY seq;

-- name: CompleteJointAction :execrows
INSERT INTO joint_completions (whistle_id, completed_by, completed_at)
VALUES (@whistle_id, @completed_by, @completed_at)
ON CONFLICT DO NOTHING;

-- name: JointCompletion :many
SELECT * FROM joint_completions WHERE whistle_id = @whistle_id;

-- name: JointWhistles :many
-- Of the given whistles, those with dispatches of more than one department
-- that have not returned theirs: joint whistles, which have a joint board.
SELECT whistle_id::text FROM dispatches
WHERE whistle_id = ANY (@whistle_ids::text[]) AND status <> 'RETURNED'
GROUP BY whistle_id
HAVING count(DISTINCT department) > 1;

-- name: SetDeskEta :exec
INSERT INTO desk_etas (dispatch_id, arrive_at, note, set_by_role, set_by_id, set_at)
VALUES (@dispatch_id, @arrive_at, @note, @set_by_role, @set_by_id, @set_at)
ON CONFLICT (dispatch_id) DO UPDATE
SET arrive_at = EXCLUDED.arrive_at, note = EXCLUDED.note, set_by_role = EXCLUDED.set_by_role,
    set_by_id = EXCLUDED.set_by_id, set_at = EXCLUDED.set_at;
