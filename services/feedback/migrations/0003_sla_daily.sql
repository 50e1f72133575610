-- Daily roll-up of dispatch_facts for the SLA report: the counts of each
-- district × department × day (Asia/Shanghai) of dispatched_at. A trigger
-- keeps it equal to what a scan of dispatch_facts would give, whichever
-- statement changes a fact, so a month's report reads ~300 rows instead of
-- a million (docs/benchmarks.md). Days a period only partly covers are
-- counted from dispatch_facts itself.
CREATE TABLE sla_daily (
    district_id       text   NOT NULL,
    day               date   NOT NULL,
    department        text   NOT NULL,
    dispatched        bigint NOT NULL DEFAULT 0,
    response_base     bigint NOT NULL DEFAULT 0,
    acked_on_time     bigint NOT NULL DEFAULT 0,
    arrival_base      bigint NOT NULL DEFAULT 0,
    arrived_on_time   bigint NOT NULL DEFAULT 0,
    resolved_on_time  bigint NOT NULL DEFAULT 0,
    returned          bigint NOT NULL DEFAULT 0,
    accepted_returns  bigint NOT NULL DEFAULT 0,
    resolution_base   bigint NOT NULL DEFAULT 0,
    resolved          bigint NOT NULL DEFAULT 0,
    reopened          bigint NOT NULL DEFAULT 0,
    rated             bigint NOT NULL DEFAULT 0,
    satisfied         bigint NOT NULL DEFAULT 0,
    not_rated         bigint NOT NULL DEFAULT 0,
    breaches          bigint NOT NULL DEFAULT 0,
    excused_breaches  bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (district_id, day, department)
);

-- Adds sign × the contribution of facts; the definitions are those of the
-- SlaReport query (internal/store/queries.sql) and must stay in step with it.
CREATE FUNCTION sla_daily_merge(facts dispatch_facts[], sign integer) RETURNS void
LANGUAGE sql SET search_path FROM CURRENT AS $$
INSERT INTO sla_daily AS s (
    district_id, day, department, dispatched, response_base, acked_on_time, arrival_base,
    arrived_on_time, resolved_on_time, returned, accepted_returns, resolution_base, resolved,
    reopened, rated, satisfied, not_rated, breaches, excused_breaches
)
SELECT r.district_id, (r.dispatched_at AT TIME ZONE 'Asia/Shanghai')::date, r.department,
    sign * count(*),
    sign * count(*) FILTER (WHERE NOT r.ack_excused),
    sign * count(*) FILTER (WHERE NOT r.ack_excused AND (r.acknowledged_at <= r.ack_by OR (r.acknowledged_at IS NULL AND r.returned_at <= r.ack_by))),
    sign * count(*) FILTER (WHERE NOT r.return_accepted AND NOT r.arrive_excused),
    sign * count(*) FILTER (WHERE NOT r.return_accepted AND NOT r.arrive_excused AND r.arrived_at <= r.arrive_by),
    sign * count(*) FILTER (WHERE r.resolved_at <= r.resolve_by),
    sign * count(*) FILTER (WHERE r.returned_at IS NOT NULL),
    sign * count(*) FILTER (WHERE r.return_accepted),
    sign * count(*) FILTER (WHERE NOT r.return_accepted),
    sign * count(*) FILTER (WHERE r.resolved_at IS NOT NULL AND NOT r.reopened),
    sign * count(*) FILTER (WHERE r.reopened),
    sign * count(*) FILTER (WHERE r.satisfaction > 0),
    sign * count(*) FILTER (WHERE r.satisfaction >= 4),
    sign * count(*) FILTER (WHERE r.resolved_at IS NOT NULL AND r.satisfaction = 0),
    sign * sum((r.ack_level > 0 AND NOT r.ack_excused)::int + (r.arrive_level > 0 AND NOT r.arrive_excused)::int + (r.resolve_level > 0 AND NOT r.resolve_excused)::int),
    sign * sum((r.ack_level > 0 AND r.ack_excused)::int + (r.arrive_level > 0 AND r.arrive_excused)::int + (r.resolve_level > 0 AND r.resolve_excused)::int)
FROM unnest(facts) AS r
WHERE r.cancelled_at IS NULL
GROUP BY 1, 2, 3
ON CONFLICT (district_id, day, department) DO UPDATE SET
    dispatched = s.dispatched + EXCLUDED.dispatched,
    response_base = s.response_base + EXCLUDED.response_base,
    acked_on_time = s.acked_on_time + EXCLUDED.acked_on_time,
    arrival_base = s.arrival_base + EXCLUDED.arrival_base,
    arrived_on_time = s.arrived_on_time + EXCLUDED.arrived_on_time,
    resolved_on_time = s.resolved_on_time + EXCLUDED.resolved_on_time,
    returned = s.returned + EXCLUDED.returned,
    accepted_returns = s.accepted_returns + EXCLUDED.accepted_returns,
    resolution_base = s.resolution_base + EXCLUDED.resolution_base,
    resolved = s.resolved + EXCLUDED.resolved,
    reopened = s.reopened + EXCLUDED.reopened,
    rated = s.rated + EXCLUDED.rated,
    satisfied = s.satisfied + EXCLUDED.satisfied,
    not_rated = s.not_rated + EXCLUDED.not_rated,
    breaches = s.breaches + EXCLUDED.breaches,
    excused_breaches = s.excused_breaches + EXCLUDED.excused_breaches;
$$;

-- Statement-level triggers with transition tables: a bulk statement costs one
-- grouped merge, not one per row.
CREATE FUNCTION dispatch_facts_rollup_insert() RETURNS trigger
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
    PERFORM sla_daily_merge(ARRAY(SELECT n FROM new_facts n), 1);
    RETURN NULL;
END;
$$;

CREATE FUNCTION dispatch_facts_rollup_update() RETURNS trigger
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
    PERFORM sla_daily_merge(ARRAY(SELECT o FROM old_facts o), -1);
    PERFORM sla_daily_merge(ARRAY(SELECT n FROM new_facts n), 1);
    RETURN NULL;
END;
$$;

CREATE FUNCTION dispatch_facts_rollup_delete() RETURNS trigger
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
    PERFORM sla_daily_merge(ARRAY(SELECT o FROM old_facts o), -1);
    RETURN NULL;
END;
$$;

CREATE TRIGGER dispatch_facts_rollup_insert
    AFTER INSERT ON dispatch_facts REFERENCING NEW TABLE AS new_facts
    FOR EACH STATEMENT EXECUTE FUNCTION dispatch_facts_rollup_insert();

CREATE TRIGGER dispatch_facts_rollup_update
    AFTER UPDATE ON dispatch_facts REFERENCING OLD TABLE AS old_facts NEW TABLE AS new_facts
    FOR EACH STATEMENT EXECUTE FUNCTION dispatch_facts_rollup_update();

CREATE TRIGGER dispatch_facts_rollup_delete
    AFTER DELETE ON dispatch_facts REFERENCING OLD TABLE AS old_facts
    FOR EACH STATEMENT EXECUTE FUNCTION dispatch_facts_rollup_delete();
