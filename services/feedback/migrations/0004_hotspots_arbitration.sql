-- 0003's trigger functions passed the transition tables' rows as record[],
-- which sla_daily_merge (dispatch_facts[]) does not accept: every change to a
-- fact failed. Cast them to the table's row type.
CREATE OR REPLACE FUNCTION dispatch_facts_rollup_insert() RETURNS trigger
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
    PERFORM sla_daily_merge(ARRAY(SELECT n::dispatch_facts FROM new_facts n), 1);
    RETURN NULL;
END;
$$;

CREATE OR REPLACE FUNCTION dispatch_facts_rollup_update() RETURNS trigger
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
    PERFORM sla_daily_merge(ARRAY(SELECT o::dispatch_facts FROM old_facts o), -1);
    PERFORM sla_daily_merge(ARRAY(SELECT n::dispatch_facts FROM new_facts n), 1);
    RETURN NULL;
END;
$$;

CREATE OR REPLACE FUNCTION dispatch_facts_rollup_delete() RETURNS trigger
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
    PERFORM sla_daily_merge(ARRAY(SELECT o::dispatch_facts FROM old_facts o), -1);
    RETURN NULL;
END;
$$;

-- Whistles as raised, for hotspots (未诉先办): recurring category × street.
CREATE TABLE whistle_facts (
    whistle_id  text        PRIMARY KEY,
    district_id text        NOT NULL,
    street_id   text        NOT NULL,
    category    text        NOT NULL,
    raised_at   timestamptz NOT NULL
);
CREATE INDEX whistle_facts_district_time ON whistle_facts (district_id, raised_at);

-- Returns waiting for a supervisor's arbitration (审定): the decision accepts
-- the return when it assigns another department.
CREATE TABLE arbitration_returns (
    arbitration_id       text PRIMARY KEY,
    returned_dispatch_id text NOT NULL,
    from_department      text NOT NULL
);

-- Composite weights per month (YYYY-MM), set by an admin; months without a row
-- use the defaults (10 / 0 / 45 / 45).
CREATE TABLE scorecard_weights (
    month        text        PRIMARY KEY CHECK (month ~ '^[0-9]{4}-[0-9]{2}$'),
    response     float8      NOT NULL CHECK (response >= 0),
    arrival      float8      NOT NULL CHECK (arrival >= 0),
    resolution   float8      NOT NULL CHECK (resolution >= 0),
    satisfaction float8      NOT NULL CHECK (satisfaction >= 0),
    set_by       text        NOT NULL,
    set_at       timestamptz NOT NULL
);
