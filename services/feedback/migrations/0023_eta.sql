-- The honest ETA (docs/eta.md): expected arrival and resolution from the
-- history of a district's department × category × hour of day.
--
-- The history of one department × category of a district over the last 90
-- days, read through this index (its columns never change once a fact is
-- written, so the facts' updates stay HOT).
CREATE INDEX dispatch_facts_eta ON dispatch_facts (district_id, department, category, dispatched_at);

-- The statistics per department × category, computed from dispatch_facts at
-- most once per refresh interval, so a whistle page does not scan 90 days:
-- buckets holds, for each hour of day (Asia/Shanghai, 0-23) and for any hour
-- (-1), the samples, median and 80th percentile (seconds) of dispatch →
-- arrival and dispatch → resolution. A cache: it can be emptied at any time.
CREATE TABLE eta_stats (
    district_id text        NOT NULL,
    department  text        NOT NULL,
    category    text        NOT NULL,
    buckets     jsonb       NOT NULL,
    computed_at timestamptz NOT NULL,
    PRIMARY KEY (district_id, department, category)
);

-- A desk's own ETA for arriving (dispatch.eta_set), the latest stated.
CREATE TABLE desk_etas (
    dispatch_id text        PRIMARY KEY,
    whistle_id  text        NOT NULL,
    arrive_at   timestamptz NOT NULL,
    note        text        NOT NULL,
    set_at      timestamptz NOT NULL
);
CREATE INDEX desk_etas_whistle ON desk_etas (whistle_id);
