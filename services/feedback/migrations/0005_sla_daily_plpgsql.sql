-- sla_daily_merge was a SQL function with a SET clause: PostgreSQL plans such
-- a function's statement again at every call, and the roll-up triggers call it
-- up to three times per change of a fact (about 2 ms a fact, the largest share
-- of the database's time under load; docs/benchmarks.md). The same statement in
-- PL/pgSQL keeps its plan for the session.
CREATE OR REPLACE FUNCTION sla_daily_merge(facts dispatch_facts[], sign integer) RETURNS void
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
    IF cardinality(facts) = 0 THEN
        RETURN;
    END IF;
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
END;
$$;
