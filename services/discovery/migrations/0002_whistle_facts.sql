-- What discovery knows of whistles, kept by its consumer from the whistle.*
-- and dispatch.* events (never read from intake's tables): enough for a
-- report's whistle status, a follow-up token's whistle and its result, and
-- the public results' whistle and dispatch figures.
CREATE TABLE whistles (
    id          text        PRIMARY KEY,
    street_id   text        NOT NULL,
    district_id text        NOT NULL,
    category    text        NOT NULL,
    -- The whistle's status as its events move it (RAISED … CLOSED, CANCELLED).
    status      text        NOT NULL,
    raised_at   timestamptz NOT NULL,
    -- When it was last resolved (a follow-up's result time); null until then.
    resolved_at timestamptz,
    -- The whistle it was merged into, '' when none.
    merged_into text        NOT NULL DEFAULT ''
);

-- The public results: whistles raised in a month in a street or a district.
CREATE INDEX whistles_street_raised ON whistles (street_id, raised_at);
CREATE INDEX whistles_district_raised ON whistles (district_id, raised_at);

-- The latest snapshot of each dispatch of a whistle, as response's events carry it.
CREATE TABLE whistle_dispatches (
    dispatch_id text        PRIMARY KEY,
    whistle_id  text        NOT NULL,
    department  text        NOT NULL,
    status      text        NOT NULL,
    -- Orders snapshots that carry the same updated_at (PENDING < ... < CANCELLED).
    status_rank smallint    NOT NULL,
    -- The response.v1.Dispatch, protobuf-encoded.
    snapshot    bytea       NOT NULL,
    updated_at  timestamptz NOT NULL
);

CREATE INDEX whistle_dispatches_whistle ON whistle_dispatches (whistle_id);
