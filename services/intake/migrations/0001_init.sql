-- Whistles as the streets raised them, with the status intake derives from
-- routing's and response's events.
CREATE TABLE whistles (
    id               text             PRIMARY KEY,
    street_id        text             NOT NULL,
    district_id      text             NOT NULL,
    category         text             NOT NULL,
    title            text             NOT NULL DEFAULT '',
    description      text             NOT NULL,
    address          text             NOT NULL DEFAULT '',
    lat              double precision NOT NULL,
    lng              double precision NOT NULL,
    urgency          text             NOT NULL,
    status           text             NOT NULL,
    raised_by_role   text             NOT NULL,
    raised_by_id     text             NOT NULL,
    raised_at        timestamptz      NOT NULL,
    updated_at       timestamptz      NOT NULL,
    resolved_at      timestamptz,
    closed_at        timestamptz,
    satisfaction     integer          NOT NULL DEFAULT 0,
    feedback_comment text             NOT NULL DEFAULT '',
    idempotency_key  text,
    -- Set once whistle.routed arrives: until then the expected departments are
    -- incomplete, so the whistle must not be resolved.
    routed_at        timestamptz,
    -- Set by ReopenWhistle: only dispatch work done after it counts again.
    reopened_at      timestamptz,
    UNIQUE (street_id, idempotency_key)
);

-- Keyset pagination, newest first, for a street and for a district.
CREATE INDEX whistles_street_raised ON whistles (street_id, raised_at DESC, id DESC);
CREATE INDEX whistles_district_raised ON whistles (district_id, raised_at DESC, id DESC);
CREATE INDEX whistles_raised ON whistles (raised_at DESC, id DESC);

-- The departments a whistle waits for. A rerouted department stays as a row
-- with expected = false, so a late whistle.routed cannot make it expected again.
CREATE TABLE whistle_departments (
    whistle_id text    NOT NULL,
    department text    NOT NULL,
    expected   boolean NOT NULL,
    PRIMARY KEY (whistle_id, department)
);

-- The latest snapshot of every dispatch of a whistle, from response's dispatch.* events.
CREATE TABLE dispatches (
    dispatch_id text        PRIMARY KEY,
    whistle_id  text        NOT NULL,
    department  text        NOT NULL,
    status      text        NOT NULL,
    -- Orders snapshots that carry the same updated_at (PENDING < ... < CANCELLED).
    status_rank smallint    NOT NULL,
    -- Marshalled whistle.response.v1.Dispatch.
    snapshot    bytea       NOT NULL,
    updated_at  timestamptz NOT NULL
);

CREATE INDEX dispatches_whistle ON dispatches (whistle_id, department);
