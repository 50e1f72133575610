-- Duty desks (issue 12): rosters, heartbeats, service accounts of the
-- departments' systems, webhook endpoints managed through the API, and the
-- digest that collects a storm of events into one delivery.

-- One shift of one seat of a department's desk in a district: who is on duty
-- from starts_at until ends_at. Shifts of the same seat never overlap (checked
-- by the service under an advisory lock of the department x district).
CREATE TABLE roster_shifts (
    id          text PRIMARY KEY,
    department  text        NOT NULL,
    district_id text        NOT NULL,
    seat        text        NOT NULL,
    person      text        NOT NULL,
    phone       text        NOT NULL DEFAULT '',
    starts_at   timestamptz NOT NULL,
    ends_at     timestamptz NOT NULL CHECK (ends_at > starts_at),
    created_by  text        NOT NULL,
    created_at  timestamptz NOT NULL
);
CREATE INDEX roster_shifts_desk ON roster_shifts (department, district_id, starts_at);

-- The last heartbeat of each desk (a console or an integration) of a
-- department in a district. A department x district with no heartbeat within
-- the configured window is unstaffed.
CREATE TABLE desk_heartbeats (
    department  text        NOT NULL,
    district_id text        NOT NULL,
    desk        text        NOT NULL,
    last_seen   timestamptz NOT NULL,
    PRIMARY KEY (department, district_id, desk)
);

-- Service accounts: a department's own system acting through the REST
-- contract with a desk-scoped token whose subject is "sa:<id>".
CREATE TABLE service_accounts (
    id          text PRIMARY KEY,
    name        text        NOT NULL,
    department  text        NOT NULL,
    district_id text        NOT NULL,
    created_by  text        NOT NULL,
    created_at  timestamptz NOT NULL,
    expires_at  timestamptz NOT NULL,
    revoked_by  text        NOT NULL DEFAULT '',
    revoked_at  timestamptz
);
CREATE INDEX service_accounts_desk ON service_accounts (department, district_id);

-- Endpoints from WHISTLE_WEBHOOKS are 'env' (the configuration replaces them
-- at start); endpoints added through the API are 'api' and left alone by it.
ALTER TABLE webhook_endpoints ADD COLUMN source text NOT NULL DEFAULT 'env' CHECK (source IN ('env', 'api'));
ALTER TABLE webhook_endpoints ADD COLUMN updated_at timestamptz;

-- A digest delivery collects the events an endpoint receives beyond its limit
-- per minute; its body is written when it falls due, listing every item.
ALTER TABLE webhook_deliveries ADD COLUMN digest boolean NOT NULL DEFAULT false;
CREATE INDEX webhook_deliveries_recent ON webhook_deliveries (endpoint_id, created_at) WHERE NOT digest;

CREATE TABLE webhook_digest_items (
    id          bigserial PRIMARY KEY,
    delivery_id text        NOT NULL REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
    event_id    text        NOT NULL,
    event_name  text        NOT NULL,
    dispatch_id text        NOT NULL,
    whistle_id  text        NOT NULL,
    occurred_at timestamptz NOT NULL,
    UNIQUE (delivery_id, event_id)
);
CREATE INDEX webhook_digest_items_dispatch ON webhook_digest_items (dispatch_id);
