-- Outbound webhooks: endpoints per department x district, one delivery per
-- endpoint and event (so a redelivered event never posts twice), and the log
-- of every attempt.

CREATE TABLE webhook_endpoints (
    id          bigserial PRIMARY KEY,
    department  text        NOT NULL,
    district_id text        NOT NULL,
    url         text        NOT NULL,
    secret      text        NOT NULL,
    enabled     boolean     NOT NULL DEFAULT true,
    created_at  timestamptz NOT NULL,
    UNIQUE (department, district_id, url)
);

CREATE TABLE webhook_deliveries (
    id               text PRIMARY KEY,
    endpoint_id      bigint      NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
    event_id         text        NOT NULL,
    event_name       text        NOT NULL,
    dispatch_id      text        NOT NULL,
    -- The exact bytes posted and signed, fixed when the event arrives so every attempt sends the same body.
    body             bytea       NOT NULL,
    status           text        NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'dead')),
    attempts         integer     NOT NULL DEFAULT 0,
    next_attempt_at  timestamptz NOT NULL,
    last_status_code integer     NOT NULL DEFAULT 0,
    last_error       text        NOT NULL DEFAULT '',
    created_at       timestamptz NOT NULL,
    delivered_at     timestamptz,
    UNIQUE (endpoint_id, event_id)
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_dispatch ON webhook_deliveries (dispatch_id);
CREATE INDEX webhook_deliveries_dead ON webhook_deliveries (created_at) WHERE status = 'dead';

CREATE TABLE webhook_attempts (
    id           bigserial PRIMARY KEY,
    delivery_id  text        NOT NULL REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
    -- Counts from 1 again after a replay.
    attempt      integer     NOT NULL,
    attempted_at timestamptz NOT NULL,
    -- 0 when no response came (connection refused, timeout).
    status_code  integer     NOT NULL,
    error        text        NOT NULL DEFAULT ''
);
CREATE INDEX webhook_attempts_delivery ON webhook_attempts (delivery_id);
