-- Drills (演练): the dispatches of drill whistles (ids drill-<drill>-<uuid>,
-- docs/drills.md) are projected here and nowhere else. dispatch_facts, its
-- daily roll-up and whistle_facts, which every real report, scorecard and
-- hotspot list reads, never hold a drill's row, so no query of them can count
-- one. Only the drill report reads this table. Rebuilt from the stream with
-- the rest of the read model.
CREATE TABLE drill_dispatch_facts (
    dispatch_id      text        PRIMARY KEY,
    drill_id         text        NOT NULL,
    whistle_id       text        NOT NULL,
    district_id      text        NOT NULL,
    street_id        text        NOT NULL DEFAULT '',
    category         text        NOT NULL DEFAULT '',
    department       text        NOT NULL,
    status           text        NOT NULL,
    dispatched_at    timestamptz NOT NULL,
    ack_by           timestamptz,
    arrive_by        timestamptz,
    resolve_by       timestamptz,
    acknowledged_at  timestamptz,
    arrived_at       timestamptz,
    resolved_at      timestamptz,
    returned_at      timestamptz,
    cancelled_at     timestamptz,
    snapshot_at      timestamptz NOT NULL
);
CREATE INDEX drill_dispatch_facts_drill ON drill_dispatch_facts (drill_id, district_id);
