-- Issue 5: a versioned routing catalogue with drafts and effective times, the
-- map check of each decision, returns with reason codes and the supervisors'
-- arbitration (审定) queue.

-- A catalogue version is published (effective_at set) or is the one draft
-- (version 'draft', effective_at NULL). The version in force at a time is the
-- published one with the latest effective_at not after it.
ALTER TABLE catalogue_versions
    ADD COLUMN effective_at timestamptz,
    ADD COLUMN published_at timestamptz,
    ADD COLUMN published_by text NOT NULL DEFAULT '';

-- Versions loaded before this migration (the seed) were in force from the start.
UPDATE catalogue_versions SET effective_at = 'epoch', published_at = 'epoch' WHERE effective_at IS NULL;

CREATE INDEX catalogue_versions_effective_idx ON catalogue_versions (effective_at DESC, published_at DESC)
    WHERE effective_at IS NOT NULL;

-- One rule per category and district ('' = city-wide) in each version: one lead.
CREATE TABLE catalogue_rules (
    version                 text NOT NULL REFERENCES catalogue_versions (version) ON DELETE CASCADE,
    category                text NOT NULL,
    district_id             text NOT NULL DEFAULT '',
    lead_department         text NOT NULL,
    cooperating_departments text[] NOT NULL DEFAULT '{}',
    sla_ack_minutes         integer NOT NULL CHECK (sla_ack_minutes > 0),
    sla_arrive_minutes      integer NOT NULL CHECK (sla_arrive_minutes > 0),
    sla_resolve_hours       integer NOT NULL CHECK (sla_resolve_hours > 0),
    PRIMARY KEY (version, category, district_id)
);

-- The rules of the versions loaded before this migration come from the categories.
INSERT INTO catalogue_rules (version, category, lead_department, cooperating_departments,
                             sla_ack_minutes, sla_arrive_minutes, sla_resolve_hours)
SELECT catalogue_version, code, lead_department, cooperating_departments,
       sla_ack_minutes, sla_arrive_minutes, sla_resolve_hours
FROM categories;

-- The map check of the whistle's location, recorded with the decision.
ALTER TABLE routing_decisions
    ADD COLUMN jurisdiction text NOT NULL DEFAULT 'inside',
    ADD COLUMN neighbour_street_ids text[] NOT NULL DEFAULT '{}',
    ADD COLUMN distance_m double precision NOT NULL DEFAULT 0;

-- More ways to be dispatched: re-routed by a return's reason, by arbitration, by hand.
ALTER TABLE dispatch_assignments DROP CONSTRAINT dispatch_assignments_role_check;
ALTER TABLE dispatch_assignments ADD CONSTRAINT dispatch_assignments_role_check
    CHECK (role IN ('lead', 'cooperating', 'fallback', 'redirected', 'arbitrated', 'added'));
-- A reopened whistle's first-round assignments are superseded by round 2.
ALTER TABLE dispatch_assignments DROP CONSTRAINT dispatch_assignments_status_check;
ALTER TABLE dispatch_assignments ADD CONSTRAINT dispatch_assignments_status_check
    CHECK (status IN ('active', 'returned', 'superseded'));
ALTER TABLE dispatch_assignments
    ADD COLUMN rule text NOT NULL DEFAULT '',
    ADD COLUMN reason text NOT NULL DEFAULT '',
    ADD COLUMN return_code text NOT NULL DEFAULT '',
    ADD COLUMN return_reason text NOT NULL DEFAULT '';

-- The arbitration (审定) and review queue of each district's supervisors.
CREATE TABLE arbitrations (
    id                   text PRIMARY KEY,
    whistle_id           text NOT NULL REFERENCES routing_decisions (whistle_id),
    district_id          text NOT NULL,
    kind                 text NOT NULL CHECK (kind IN ('return', 'location')),
    returned_dispatch_id text NOT NULL DEFAULT '',
    from_department      text NOT NULL DEFAULT '',
    reason_code          text NOT NULL DEFAULT '',
    reason               text NOT NULL DEFAULT '',
    -- The arrival clock's original start, kept unless the decision resets it.
    sla_started_at       timestamptz,
    status               text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'decided')),
    requested_at         timestamptz NOT NULL,
    decided_at           timestamptz,
    decided_by           text NOT NULL DEFAULT '',
    department           text NOT NULL DEFAULT '',
    dispatch_id          text NOT NULL DEFAULT '',
    sla_reset            boolean NOT NULL DEFAULT false,
    sla_reset_reason     text NOT NULL DEFAULT '',
    note                 text NOT NULL DEFAULT ''
);

CREATE INDEX arbitrations_queue_idx ON arbitrations (district_id, status, requested_at, id);
