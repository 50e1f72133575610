-- The supervision read model: one row per dispatch, maintained by the
-- consumer from dispatch.*, sla.* and whistle.* events, from which the SLA
-- report and the scorecards are computed. It can be dropped and rebuilt from
-- the stream at any time (RebuildReadModel); appeals are this service's own
-- state and are re-applied after a rebuild.
CREATE TABLE dispatch_facts (
    dispatch_id      text        PRIMARY KEY,
    whistle_id       text        NOT NULL,
    district_id      text        NOT NULL,
    street_id        text        NOT NULL DEFAULT '',
    category         text        NOT NULL DEFAULT '',
    department       text        NOT NULL,
    -- 1 for the first round, n+1 after the n-th reopen ("not fixed").
    round            integer     NOT NULL DEFAULT 1,
    status           text        NOT NULL,
    dispatched_at    timestamptz NOT NULL,
    sla_started_at   timestamptz NOT NULL,
    ack_by           timestamptz,
    arrive_by        timestamptz,
    resolve_by       timestamptz,
    acknowledged_at  timestamptz,
    arrived_at       timestamptz,
    resolved_at      timestamptz,
    returned_at      timestamptz,
    cancelled_at     timestamptz,
    -- The dispatch's own updated_at of the snapshot applied last, so an older
    -- snapshot arriving late cannot overwrite a newer one.
    snapshot_at      timestamptz NOT NULL,
    -- Routing re-dispatched the return to another department.
    return_accepted  boolean     NOT NULL DEFAULT false,
    -- The street reopened this dispatch's round ("not fixed").
    reopened         boolean     NOT NULL DEFAULT false,
    -- The closing rating of this dispatch's round, 0 when not rated.
    satisfaction     smallint    NOT NULL DEFAULT 0,
    -- Highest escalation level reached per clock, 0 when it never breached.
    ack_level        smallint    NOT NULL DEFAULT 0,
    arrive_level     smallint    NOT NULL DEFAULT 0,
    resolve_level    smallint    NOT NULL DEFAULT 0,
    -- Clocks excused by an accepted appeal: left out of scores, still shown.
    ack_excused      boolean     NOT NULL DEFAULT false,
    arrive_excused   boolean     NOT NULL DEFAULT false,
    resolve_excused  boolean     NOT NULL DEFAULT false
);

-- Reports select a district and a period of dispatched_at.
CREATE INDEX dispatch_facts_district_time ON dispatch_facts (district_id, dispatched_at);
CREATE INDEX dispatch_facts_whistle ON dispatch_facts (whistle_id, round);

-- Reopens seen per whistle; a whistle's current round is 1 + their count.
-- Keyed by event so that replaying an event cannot add a round.
CREATE TABLE whistle_reopens (
    event_id   text        PRIMARY KEY,
    whistle_id text        NOT NULL,
    at         timestamptz NOT NULL
);
CREATE INDEX whistle_reopens_whistle ON whistle_reopens (whistle_id);

-- Appeals against breaches. Not part of the rebuilt read model: a decision is
-- this service's own record.
CREATE TABLE appeals (
    id             text        PRIMARY KEY,
    dispatch_id    text        NOT NULL,
    whistle_id     text        NOT NULL,
    district_id    text        NOT NULL,
    department     text        NOT NULL,
    clock          text        NOT NULL CHECK (clock IN ('ack', 'arrive', 'resolve')),
    reason_code    text        NOT NULL,
    reason         text        NOT NULL,
    status         text        NOT NULL CHECK (status IN ('PENDING', 'ACCEPTED', 'REJECTED')),
    filed_by_role  text        NOT NULL,
    filed_by_id    text        NOT NULL,
    filed_at       timestamptz NOT NULL,
    decided_by_role text       NOT NULL DEFAULT '',
    decided_by_id  text        NOT NULL DEFAULT '',
    decided_at     timestamptz,
    decision_note  text        NOT NULL DEFAULT ''
);
-- One open or accepted appeal per breached clock; a rejected one may be filed again.
CREATE UNIQUE INDEX appeals_one_live ON appeals (dispatch_id, clock) WHERE status <> 'REJECTED';
CREATE INDEX appeals_district ON appeals (district_id, filed_at DESC);
