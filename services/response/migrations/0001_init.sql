-- Dispatches: one department's part of a whistle, with its SLA deadlines and
-- the record of who acknowledged, arrived, resolved or returned it, when and where.
CREATE TABLE dispatches (
    id                 text PRIMARY KEY,
    whistle_id         text             NOT NULL,
    district_id        text             NOT NULL,
    street_id          text             NOT NULL DEFAULT '',
    category           text             NOT NULL DEFAULT '',
    department         text             NOT NULL,
    role               text             NOT NULL DEFAULT '',
    status             text             NOT NULL
        CHECK (status IN ('PENDING', 'ACKNOWLEDGED', 'ARRIVED', 'RESOLVED', 'RETURNED', 'CANCELLED')),
    dispatched_at      timestamptz      NOT NULL,
    -- Earlier than dispatched_at for a re-dispatch, which inherits the original start.
    sla_started_at     timestamptz      NOT NULL,
    ack_by             timestamptz      NOT NULL,
    arrive_by          timestamptz      NOT NULL,
    resolve_by         timestamptz      NOT NULL,
    acknowledged_at    timestamptz,
    acknowledged_by    text             NOT NULL DEFAULT '',
    arrived_at         timestamptz,
    arrived_by         text             NOT NULL DEFAULT '',
    arrival_lat        double precision,
    arrival_lng        double precision,
    arrival_distance_m double precision,
    arrival_far        boolean          NOT NULL DEFAULT false,
    resolved_at        timestamptz,
    resolved_by        text             NOT NULL DEFAULT '',
    resolution_summary text             NOT NULL DEFAULT '',
    returned_at        timestamptz,
    returned_by        text             NOT NULL DEFAULT '',
    return_reason      text             NOT NULL DEFAULT '',
    cancelled_at       timestamptz,
    -- SLA clocks that breached (ack, arrive, resolve), in the order they did.
    breaches           text[]           NOT NULL DEFAULT '{}',
    whistle_lat        double precision,
    whistle_lng        double precision,
    updated_at         timestamptz      NOT NULL,
    -- The deadline a desk must meet next; the queue is ordered by it.
    queue_at           timestamptz      NOT NULL GENERATED ALWAYS AS (
        CASE status
            WHEN 'PENDING' THEN ack_by
            WHEN 'ACKNOWLEDGED' THEN arrive_by
            ELSE resolve_by
        END) STORED
);

-- A desk's queue: its department in its district, by status, soonest deadline first.
CREATE INDEX dispatches_desk_queue ON dispatches (department, district_id, status, queue_at, id);
-- A supervisor's view of a district.
CREATE INDEX dispatches_district_queue ON dispatches (district_id, status, queue_at, id);
CREATE INDEX dispatches_whistle ON dispatches (whistle_id);

-- Pending SLA deadlines, one row each. A row is deleted when its deadline is met
-- (in the action's transaction) or when it fires (in the transaction that writes
-- its event), so each fires at most once and none is lost across restarts.
CREATE TABLE timers (
    id          bigserial PRIMARY KEY,
    dispatch_id text        NOT NULL REFERENCES dispatches (id) ON DELETE CASCADE,
    clock       text        NOT NULL CHECK (clock IN ('ack', 'arrive', 'resolve')),
    kind        text        NOT NULL CHECK (kind IN ('warning', 'breach')),
    due_at      timestamptz NOT NULL,
    created_at  timestamptz NOT NULL,
    UNIQUE (dispatch_id, clock, kind)
);

CREATE INDEX timers_due ON timers (due_at);

-- Whistles cancelled, so a dispatch request that arrives after the cancellation
-- does not start a dispatch nobody should work on.
CREATE TABLE cancelled_whistles (
    whistle_id   text PRIMARY KEY,
    cancelled_at timestamptz NOT NULL
);
