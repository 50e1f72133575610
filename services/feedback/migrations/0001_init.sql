-- The timeline of every whistle: one row per event, hash-chained per whistle
-- so that any later edit, removal or reordering is detectable (timeline.Verify).
CREATE TABLE timeline_entries (
    whistle_id  text        NOT NULL,
    seq         bigint      NOT NULL CHECK (seq > 0),
    event_id    text        NOT NULL UNIQUE,
    type        text        NOT NULL,
    at          timestamptz NOT NULL,
    actor_role  text        NOT NULL DEFAULT '',
    actor_id    text        NOT NULL DEFAULT '',
    dispatch_id text        NOT NULL DEFAULT '',
    department  text        NOT NULL DEFAULT '',
    data        jsonb       NOT NULL,
    prev_hash   text        NOT NULL,
    hash        text        NOT NULL,
    recorded_at timestamptz NOT NULL,
    PRIMARY KEY (whistle_id, seq)
);

-- The timeline is an audit log: rows are only ever inserted. The hash chain
-- detects tampering; this trigger stops it through the service's own role.
CREATE FUNCTION timeline_entries_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'timeline_entries is append-only: % rejected', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$;

CREATE TRIGGER timeline_entries_no_update_delete
    BEFORE UPDATE OR DELETE ON timeline_entries
    FOR EACH ROW EXECUTE FUNCTION timeline_entries_append_only();

CREATE TRIGGER timeline_entries_no_truncate
    BEFORE TRUNCATE ON timeline_entries
    FOR EACH STATEMENT EXECUTE FUNCTION timeline_entries_append_only();

-- The head of each whistle's chain, locked FOR UPDATE while appending so that
-- concurrent consumers cannot give two entries the same seq or predecessor.
CREATE TABLE chain_heads (
    whistle_id text   PRIMARY KEY,
    last_seq   bigint NOT NULL,
    last_hash  text   NOT NULL
);

-- Where a whistle belongs, for access checks. whistle.raised is authoritative;
-- until it arrives, the scope comes from the envelope of any other event.
CREATE TABLE whistle_scopes (
    whistle_id  text    PRIMARY KEY,
    street_id   text    NOT NULL DEFAULT '',
    district_id text    NOT NULL DEFAULT '',
    from_raised boolean NOT NULL DEFAULT false
);

-- Departments (per district) a whistle was dispatched to, so their desks may
-- read its timeline.
CREATE TABLE whistle_dispatch_departments (
    whistle_id  text NOT NULL,
    department  text NOT NULL,
    district_id text NOT NULL,
    PRIMARY KEY (whistle_id, department, district_id)
);
