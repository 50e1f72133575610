-- name: ListTimeline :many
SELECT seq, event_id, type, at, actor_role, actor_id, dispatch_id, department, data, prev_hash, hash, key_id
FROM timeline_entries
WHERE whistle_id = $1
ORDER BY seq;

-- name: GetWhistleScope :one
SELECT street_id, district_id FROM whistle_scopes WHERE whistle_id = $1;

-- name: ListDispatchDepartments :many
SELECT department, district_id FROM whistle_dispatch_departments
WHERE whistle_id = $1
ORDER BY department, district_id;

-- name: AcceptReturn :exec
-- Routing re-dispatched the returned dispatch to another department.
UPDATE dispatch_facts SET return_accepted = true WHERE dispatch_id = $1;

-- name: RateRound :exec
-- The closing rating applies to the current round's dispatches that the
-- departments kept (not returned, not cancelled).
UPDATE dispatch_facts SET satisfaction = @satisfaction
WHERE whistle_id = @whistle_id AND round = @round AND returned_at IS NULL AND cancelled_at IS NULL;

-- name: AddReopen :execrows
INSERT INTO whistle_reopens (event_id, whistle_id, at) VALUES ($1, $2, $3)
ON CONFLICT (event_id) DO NOTHING;

-- name: MarkRoundReopened :exec
UPDATE dispatch_facts SET reopened = true WHERE whistle_id = $1 AND round = $2;

-- name: SlaReport :many
-- Per-department counts of the dispatches a district dispatched in [from, to).
-- See docs/feedback.md for the definitions; rates are computed by the caller.
SELECT
    department,
    count(*) AS dispatched,
    count(*) FILTER (WHERE NOT ack_excused) AS response_base,
    count(*) FILTER (WHERE NOT ack_excused AND (acknowledged_at <= ack_by OR (acknowledged_at IS NULL AND returned_at <= ack_by))) AS acked_on_time,
    count(*) FILTER (WHERE NOT return_accepted AND NOT arrive_excused) AS arrival_base,
    count(*) FILTER (WHERE NOT return_accepted AND NOT arrive_excused AND arrived_at <= arrive_by) AS arrived_on_time,
    count(*) FILTER (WHERE resolved_at <= resolve_by) AS resolved_on_time,
    count(*) FILTER (WHERE returned_at IS NOT NULL) AS returned,
    count(*) FILTER (WHERE return_accepted) AS accepted_returns,
    count(*) FILTER (WHERE NOT return_accepted) AS resolution_base,
    count(*) FILTER (WHERE resolved_at IS NOT NULL AND NOT reopened) AS resolved,
    count(*) FILTER (WHERE reopened) AS reopened,
    count(*) FILTER (WHERE satisfaction > 0) AS rated,
    count(*) FILTER (WHERE satisfaction >= 4) AS satisfied,
    count(*) FILTER (WHERE resolved_at IS NOT NULL AND satisfaction = 0) AS not_rated,
    sum((ack_level > 0 AND NOT ack_excused)::int + (arrive_level > 0 AND NOT arrive_excused)::int + (resolve_level > 0 AND NOT resolve_excused)::int)::bigint AS breaches,
    sum((ack_level > 0 AND ack_excused)::int + (arrive_level > 0 AND arrive_excused)::int + (resolve_level > 0 AND resolve_excused)::int)::bigint AS excused_breaches
FROM dispatch_facts
WHERE district_id = @district_id AND dispatched_at >= @from_at AND dispatched_at < @to_at AND cancelled_at IS NULL
GROUP BY department
ORDER BY department;

-- name: Scorecards :many
-- The SLA report's counts grouped by department or by street, with breaches
-- by escalation level and percentiles of the times from the SLA start.
SELECT
    (CASE WHEN @by_street::boolean THEN street_id ELSE department END)::text AS key,
    count(*) AS dispatched,
    count(*) FILTER (WHERE NOT ack_excused) AS response_base,
    count(*) FILTER (WHERE NOT ack_excused AND (acknowledged_at <= ack_by OR (acknowledged_at IS NULL AND returned_at <= ack_by))) AS acked_on_time,
    count(*) FILTER (WHERE NOT return_accepted AND NOT arrive_excused) AS arrival_base,
    count(*) FILTER (WHERE NOT return_accepted AND NOT arrive_excused AND arrived_at <= arrive_by) AS arrived_on_time,
    count(*) FILTER (WHERE resolved_at <= resolve_by) AS resolved_on_time,
    count(*) FILTER (WHERE returned_at IS NOT NULL) AS returned,
    count(*) FILTER (WHERE return_accepted) AS accepted_returns,
    count(*) FILTER (WHERE NOT return_accepted) AS resolution_base,
    count(*) FILTER (WHERE resolved_at IS NOT NULL AND NOT reopened) AS resolved,
    count(*) FILTER (WHERE reopened) AS reopened,
    count(*) FILTER (WHERE satisfaction > 0) AS rated,
    count(*) FILTER (WHERE satisfaction >= 4) AS satisfied,
    count(*) FILTER (WHERE resolved_at IS NOT NULL AND satisfaction = 0) AS not_rated,
    sum((ack_level > 0 AND NOT ack_excused)::int + (arrive_level > 0 AND NOT arrive_excused)::int + (resolve_level > 0 AND NOT resolve_excused)::int)::bigint AS breaches,
    sum((ack_level > 0 AND ack_excused)::int + (arrive_level > 0 AND arrive_excused)::int + (resolve_level > 0 AND resolve_excused)::int)::bigint AS excused_breaches,
    sum((ack_level = 1 AND NOT ack_excused)::int + (arrive_level = 1 AND NOT arrive_excused)::int + (resolve_level = 1 AND NOT resolve_excused)::int)::bigint AS breaches_level1,
    sum((ack_level = 2 AND NOT ack_excused)::int + (arrive_level = 2 AND NOT arrive_excused)::int + (resolve_level = 2 AND NOT resolve_excused)::int)::bigint AS breaches_level2,
    sum((ack_level >= 3 AND NOT ack_excused)::int + (arrive_level >= 3 AND NOT arrive_excused)::int + (resolve_level >= 3 AND NOT resolve_excused)::int)::bigint AS breaches_level3,
    count(acknowledged_at) AS ack_count,
    COALESCE(percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM acknowledged_at - sla_started_at)), 0)::float8 AS ack_p50,
    COALESCE(percentile_cont(0.9) WITHIN GROUP (ORDER BY extract(epoch FROM acknowledged_at - sla_started_at)), 0)::float8 AS ack_p90,
    count(arrived_at) AS arrive_count,
    COALESCE(percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM arrived_at - sla_started_at)), 0)::float8 AS arrive_p50,
    COALESCE(percentile_cont(0.9) WITHIN GROUP (ORDER BY extract(epoch FROM arrived_at - sla_started_at)), 0)::float8 AS arrive_p90,
    count(resolved_at) AS resolve_count,
    COALESCE(percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM resolved_at - sla_started_at)), 0)::float8 AS resolve_p50,
    COALESCE(percentile_cont(0.9) WITHIN GROUP (ORDER BY extract(epoch FROM resolved_at - sla_started_at)), 0)::float8 AS resolve_p90,
    count(*) FILTER (WHERE arrival_far) AS far_arrivals,
    count(*) FILTER (WHERE arrival_unlocated) AS unlocated_arrivals
FROM dispatch_facts
WHERE district_id = @district_id AND dispatched_at >= @from_at AND dispatched_at < @to_at AND cancelled_at IS NULL
GROUP BY 1
ORDER BY 1;

-- name: GetDispatchFact :one
SELECT dispatch_id, whistle_id, district_id, department, ack_level, arrive_level, resolve_level
FROM dispatch_facts WHERE dispatch_id = $1;

-- name: InsertAppeal :exec
INSERT INTO appeals (
    id, dispatch_id, whistle_id, district_id, department, clock, reason_code, reason,
    status, filed_by_role, filed_by_id, filed_at
) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'PENDING', $9, $10, $11);

-- name: GetAppealForUpdate :one
SELECT * FROM appeals WHERE id = $1 FOR UPDATE;

-- name: GetLiveAppeal :one
SELECT * FROM appeals WHERE dispatch_id = $1 AND clock = $2 AND status <> 'REJECTED';

-- name: DecideAppeal :one
UPDATE appeals SET status = @status, decided_by_role = @decided_by_role, decided_by_id = @decided_by_id,
    decided_at = @decided_at, decision_note = @decision_note
WHERE id = @id
RETURNING *;

-- name: ListAppeals :many
SELECT * FROM appeals
WHERE (@district_id::text = '' OR district_id = @district_id)
  AND (@department::text = '' OR department = @department)
  AND (@status::text = '' OR status = @status)
ORDER BY filed_at DESC, id DESC
LIMIT 500;

-- name: ExcuseClock :exec
-- An accepted appeal leaves the clock out of the scores.
UPDATE dispatch_facts SET
    ack_excused = ack_excused OR @clock::text = 'ack',
    arrive_excused = arrive_excused OR @clock::text = 'arrive',
    resolve_excused = resolve_excused OR @clock::text = 'resolve'
WHERE dispatch_id = @dispatch_id;

-- name: ListAcceptedAppeals :many
SELECT dispatch_id, clock FROM appeals WHERE status = 'ACCEPTED';

-- name: ClearReadModel :exec
-- Rebuild starts from nothing; appeals are kept and re-applied. DELETE, not
-- TRUNCATE: the service's role may not truncate (docs/security.md). The
-- roll-up trigger on dispatch_facts writes to sla_daily at the end of this
-- statement, so ClearSlaDaily follows.
WITH f AS (DELETE FROM dispatch_facts), r AS (DELETE FROM whistle_reopens), w AS (DELETE FROM whistle_facts),
    rf AS (DELETE FROM report_facts),
    d AS (DELETE FROM drill_dispatch_facts)
DELETE FROM arbitration_returns;

-- name: ClearSlaDaily :exec
DELETE FROM sla_daily;

-- name: OldestFact :one
-- When the oldest whistle or dispatch in the read model happened (NULL when
-- it is empty): a rebuild must replay from a stream that reaches back to it.
SELECT least((SELECT min(dispatched_at) FROM dispatch_facts), (SELECT min(raised_at) FROM whistle_facts),
    (SELECT min(received_at) FROM report_facts))::timestamptz AS oldest;

-- name: LockReadModel :exec
-- Holds the live consumer's writes back while a rebuild replays the stream.
LOCK TABLE dispatch_facts, whistle_reopens, sla_daily, whistle_facts, arbitration_returns, report_facts IN EXCLUSIVE MODE;

-- name: CountDispatchFacts :one
SELECT count(*) FROM dispatch_facts;

-- name: SlaReportDaily :many
-- The SlaReport counts of whole days [from_day, to_day) from the roll-up.
SELECT department,
    sum(dispatched)::bigint AS dispatched, sum(response_base)::bigint AS response_base,
    sum(acked_on_time)::bigint AS acked_on_time, sum(arrival_base)::bigint AS arrival_base,
    sum(arrived_on_time)::bigint AS arrived_on_time, sum(resolved_on_time)::bigint AS resolved_on_time,
    sum(returned)::bigint AS returned, sum(accepted_returns)::bigint AS accepted_returns,
    sum(resolution_base)::bigint AS resolution_base, sum(resolved)::bigint AS resolved,
    sum(reopened)::bigint AS reopened, sum(rated)::bigint AS rated, sum(satisfied)::bigint AS satisfied,
    sum(not_rated)::bigint AS not_rated, sum(breaches)::bigint AS breaches,
    sum(excused_breaches)::bigint AS excused_breaches
FROM sla_daily
WHERE district_id = @district_id AND day >= @from_day AND day < @to_day
GROUP BY department
HAVING sum(dispatched) > 0
ORDER BY department;

-- name: Hotspots :many
-- Category × street pairs of a district with at least min_count whistles in
-- [window_start, window_end), with the count of the window before.
SELECT street_id, category,
    count(*) FILTER (WHERE raised_at >= @window_start) AS count,
    count(*) FILTER (WHERE raised_at < @window_start) AS previous_count,
    max(raised_at)::timestamptz AS last_raised_at
FROM whistle_facts
WHERE district_id = @district_id AND raised_at >= @previous_start AND raised_at < @window_end
GROUP BY street_id, category
HAVING count(*) FILTER (WHERE raised_at >= @window_start) >= @min_count::bigint
ORDER BY 3 DESC, (count(*) FILTER (WHERE raised_at >= @window_start) - count(*) FILTER (WHERE raised_at < @window_start)) DESC, street_id, category
LIMIT @max_rows;

-- name: ListWhistleDispatchFacts :many
SELECT * FROM dispatch_facts WHERE whistle_id = $1 ORDER BY round, dispatched_at, department;

-- name: GetWhistleFact :one
SELECT * FROM whistle_facts WHERE whistle_id = $1;

-- name: NoteArbitrationReturn :exec
INSERT INTO arbitration_returns (arbitration_id, returned_dispatch_id, from_department)
VALUES ($1, $2, $3)
ON CONFLICT (arbitration_id) DO NOTHING;

-- name: GetArbitrationReturn :one
SELECT returned_dispatch_id, from_department FROM arbitration_returns WHERE arbitration_id = $1;

-- name: ListAuditChains :many
-- A page of the chains to audit, by whistle id after @after: the whistles of a
-- district ('' for all; then also every chain head without a scope), or just
-- @whistle_id when set, each with its head when it has one.
SELECT w.whistle_id::text AS whistle_id, (h.whistle_id IS NOT NULL)::boolean AS has_head,
       COALESCE(h.last_seq, 0)::bigint AS last_seq, COALESCE(h.last_hash, '')::text AS last_hash
FROM (
    (SELECT ws.whistle_id FROM whistle_scopes ws
     WHERE (@district_id::text = '' OR ws.district_id = @district_id)
       AND (@whistle_id::text = '' OR ws.whistle_id = @whistle_id)
       AND ws.whistle_id > @after::text
     ORDER BY ws.whistle_id LIMIT @max_rows)
    UNION
    (SELECT ch.whistle_id FROM chain_heads ch
     WHERE @district_id::text = ''
       AND (@whistle_id::text = '' OR ch.whistle_id = @whistle_id)
       AND ch.whistle_id > @after::text
     ORDER BY ch.whistle_id LIMIT @max_rows)
) w
LEFT JOIN chain_heads h ON h.whistle_id = w.whistle_id
ORDER BY w.whistle_id
LIMIT @max_rows;

-- name: ListEntriesOfWhistles :many
SELECT whistle_id, seq, event_id, type, at, actor_role, actor_id, dispatch_id, department, data, prev_hash, hash, key_id
FROM timeline_entries
WHERE whistle_id = ANY(@whistle_ids::text[])
ORDER BY whistle_id, seq;

-- name: ListUnkeyedChains :many
-- Whistles whose timelines hold entries written before keyed hashes.
SELECT DISTINCT whistle_id FROM timeline_entries WHERE key_id = '' ORDER BY whistle_id;

-- name: GetChainHead :one
SELECT last_seq, last_hash FROM chain_heads WHERE whistle_id = $1;

-- name: RekeyEntry :exec
-- Re-seals an entry with the chain key (run by the schema's owner, with the
-- append-only trigger off for the transaction).
UPDATE timeline_entries SET prev_hash = @prev_hash, hash = @hash, key_id = @key_id
WHERE whistle_id = @whistle_id AND seq = @seq;

-- name: SetChainHeadHash :exec
UPDATE chain_heads SET last_hash = @last_hash WHERE whistle_id = @whistle_id;

-- name: SetScorecardWeights :exec
INSERT INTO scorecard_weights (month, response, arrival, resolution, satisfaction, set_by, set_at)
VALUES ($1, $2, $3, $4, $5, $6, $7)
ON CONFLICT (month) DO UPDATE SET
    response = EXCLUDED.response, arrival = EXCLUDED.arrival, resolution = EXCLUDED.resolution,
    satisfaction = EXCLUDED.satisfaction, set_by = EXCLUDED.set_by, set_at = EXCLUDED.set_at;

-- name: GetScorecardWeights :one
SELECT response, arrival, resolution, satisfaction FROM scorecard_weights WHERE month = $1;

-- The statements below handle a whole consumer batch at once (events.Recorder.HandleBatch):
-- a fixed number of statements however many events the batch holds.

-- name: ExistingTimelineEvents :many
-- Which of the events are already in a timeline (a replayed event).
SELECT event_id FROM timeline_entries WHERE event_id = ANY(@event_ids::text[]);

-- name: ClaimChainHeads :many
-- ClaimChainHead for many whistles: each head locked until the transaction
-- ends, created empty the first time; claimed in whistle id order so that two
-- batches never wait on each other in a cycle. The ids must be distinct.
INSERT INTO chain_heads (whistle_id, last_seq, last_hash)
SELECT w, 0, '' FROM unnest(@whistle_ids::text[]) AS w ORDER BY w
ON CONFLICT (whistle_id) DO UPDATE SET whistle_id = EXCLUDED.whistle_id
RETURNING whistle_id, last_seq, last_hash;

-- name: AppendEntries :exec
-- AppendEntry for many entries (heads claimed by ClaimChainHeads, none of the
-- events in a timeline yet): each chain head advances to its whistle's last entry.
WITH appended AS (
    INSERT INTO timeline_entries (
        whistle_id, seq, event_id, type, at, actor_role, actor_id,
        dispatch_id, department, data, prev_hash, hash, recorded_at, key_id
    )
    SELECT unnest(@whistle_ids::text[]), unnest(@seqs::bigint[]), unnest(@event_ids::text[]), unnest(@types::text[]),
        unnest(@ats::timestamptz[]), unnest(@actor_roles::text[]), unnest(@actor_ids::text[]), unnest(@dispatch_ids::text[]),
        unnest(@departments::text[]), unnest(@datas::jsonb[]), unnest(@prev_hashes::text[]), unnest(@hashes::text[]),
        unnest(@recorded_ats::timestamptz[]), unnest(@key_ids::text[])
    RETURNING whistle_id, seq, hash
), last AS (
    SELECT DISTINCT ON (whistle_id) whistle_id, seq, hash FROM appended ORDER BY whistle_id, seq DESC
)
UPDATE chain_heads AS h SET last_seq = l.seq, last_hash = l.hash
FROM last AS l WHERE h.whistle_id = l.whistle_id;

-- name: NoteScopes :exec
-- SetRaisedScope and NoteEnvelopeScope for many whistles, one row each: a row
-- from whistle.raised (from_raised) is authoritative; any other fills in what
-- is still unknown until whistle.raised arrives.
INSERT INTO whistle_scopes AS s (whistle_id, street_id, district_id, from_raised)
SELECT unnest(@whistle_ids::text[]), unnest(@street_ids::text[]), unnest(@district_ids::text[]), unnest(@from_raised::boolean[])
ON CONFLICT (whistle_id) DO UPDATE SET
    street_id = CASE WHEN EXCLUDED.from_raised OR s.street_id = '' THEN EXCLUDED.street_id ELSE s.street_id END,
    district_id = CASE WHEN EXCLUDED.from_raised OR s.district_id = '' THEN EXCLUDED.district_id ELSE s.district_id END,
    from_raised = s.from_raised OR EXCLUDED.from_raised
WHERE EXCLUDED.from_raised OR NOT s.from_raised;

-- name: AddDispatchDepartments :exec
INSERT INTO whistle_dispatch_departments (whistle_id, department, district_id)
SELECT unnest(@whistle_ids::text[]), unnest(@departments::text[]), unnest(@district_ids::text[])
ON CONFLICT DO NOTHING;

-- name: CurrentRounds :many
-- CurrentRound of many whistles.
SELECT w::text AS whistle_id, (1 + count(r.whistle_id))::integer AS round
FROM unnest(@whistle_ids::text[]) AS w
LEFT JOIN whistle_reopens AS r ON r.whistle_id = w
GROUP BY w;

-- name: UpsertDispatchFacts :exec
-- UpsertDispatchFact for many dispatches, one snapshot each (folded by the
-- caller the way applying them one after another would), in dispatch id order.
INSERT INTO dispatch_facts (
    dispatch_id, whistle_id, district_id, street_id, category, department, round, status,
    dispatched_at, sla_started_at, ack_by, arrive_by, resolve_by,
    acknowledged_at, arrived_at, resolved_at, returned_at, cancelled_at, snapshot_at,
    ack_level, arrive_level, resolve_level, arrival_far, arrival_unlocated
)
SELECT unnest(@dispatch_ids::text[]), unnest(@whistle_ids::text[]), unnest(@district_ids::text[]), unnest(@street_ids::text[]),
    unnest(@categories::text[]), unnest(@departments::text[]), unnest(@rounds::integer[]), unnest(@statuses::text[]),
    unnest(@dispatched_ats::timestamptz[]), unnest(@sla_started_ats::timestamptz[]), unnest(@ack_bys::timestamptz[]), unnest(@arrive_bys::timestamptz[]),
    unnest(@resolve_bys::timestamptz[]), unnest(@acknowledged_ats::timestamptz[]), unnest(@arrived_ats::timestamptz[]), unnest(@resolved_ats::timestamptz[]),
    unnest(@returned_ats::timestamptz[]), unnest(@cancelled_ats::timestamptz[]), unnest(@snapshot_ats::timestamptz[]), unnest(@ack_levels::smallint[]),
    unnest(@arrive_levels::smallint[]), unnest(@resolve_levels::smallint[]),
    unnest(@arrival_fars::boolean[]), unnest(@arrival_unlocateds::boolean[])
ON CONFLICT (dispatch_id) DO UPDATE SET
    status = CASE WHEN dispatch_facts.snapshot_at <= EXCLUDED.snapshot_at THEN EXCLUDED.status ELSE dispatch_facts.status END,
    ack_by = CASE WHEN dispatch_facts.snapshot_at <= EXCLUDED.snapshot_at THEN EXCLUDED.ack_by ELSE dispatch_facts.ack_by END,
    arrive_by = CASE WHEN dispatch_facts.snapshot_at <= EXCLUDED.snapshot_at THEN EXCLUDED.arrive_by ELSE dispatch_facts.arrive_by END,
    resolve_by = CASE WHEN dispatch_facts.snapshot_at <= EXCLUDED.snapshot_at THEN EXCLUDED.resolve_by ELSE dispatch_facts.resolve_by END,
    acknowledged_at = COALESCE(dispatch_facts.acknowledged_at, EXCLUDED.acknowledged_at),
    arrived_at = COALESCE(dispatch_facts.arrived_at, EXCLUDED.arrived_at),
    resolved_at = COALESCE(dispatch_facts.resolved_at, EXCLUDED.resolved_at),
    returned_at = COALESCE(dispatch_facts.returned_at, EXCLUDED.returned_at),
    cancelled_at = COALESCE(dispatch_facts.cancelled_at, EXCLUDED.cancelled_at),
    snapshot_at = GREATEST(dispatch_facts.snapshot_at, EXCLUDED.snapshot_at),
    ack_level = GREATEST(dispatch_facts.ack_level, EXCLUDED.ack_level),
    arrive_level = GREATEST(dispatch_facts.arrive_level, EXCLUDED.arrive_level),
    resolve_level = GREATEST(dispatch_facts.resolve_level, EXCLUDED.resolve_level),
    -- An arrival happens once; every snapshot after it carries its check.
    arrival_far = dispatch_facts.arrival_far OR EXCLUDED.arrival_far,
    arrival_unlocated = dispatch_facts.arrival_unlocated OR EXCLUDED.arrival_unlocated;

-- name: RaiseEscalations :exec
-- RaiseEscalation for many dispatches, one row each with its highest level per clock.
UPDATE dispatch_facts AS f SET
    ack_level = GREATEST(f.ack_level, u.ack_level),
    arrive_level = GREATEST(f.arrive_level, u.arrive_level),
    resolve_level = GREATEST(f.resolve_level, u.resolve_level)
FROM (
    SELECT unnest(@dispatch_ids::text[]) AS dispatch_id, unnest(@ack_levels::smallint[]) AS ack_level,
        unnest(@arrive_levels::smallint[]) AS arrive_level, unnest(@resolve_levels::smallint[]) AS resolve_level
) AS u
WHERE f.dispatch_id = u.dispatch_id;

-- name: UpsertWhistleFacts :exec
-- UpsertWhistleFact for many whistles, one row each.
INSERT INTO whistle_facts (whistle_id, district_id, street_id, category, raised_at)
SELECT unnest(@whistle_ids::text[]), unnest(@district_ids::text[]), unnest(@street_ids::text[]), unnest(@categories::text[]),
    unnest(@raised_ats::timestamptz[])
ON CONFLICT (whistle_id) DO UPDATE SET
    district_id = EXCLUDED.district_id, street_id = EXCLUDED.street_id,
    category = EXCLUDED.category, raised_at = EXCLUDED.raised_at;

-- name: UpsertReportFacts :exec
-- The reports' latest snapshots, one row each: the first receipt time stays,
-- a link to a whistle is kept once made.
INSERT INTO report_facts (report_id, source, district_id, street_id, category, received_at, whistle_id)
SELECT unnest(@report_ids::text[]), unnest(@sources::text[]), unnest(@district_ids::text[]), unnest(@street_ids::text[]),
    unnest(@categories::text[]), unnest(@received_ats::timestamptz[]), unnest(@whistle_ids::text[])
ON CONFLICT (report_id) DO UPDATE SET
    source = EXCLUDED.source, district_id = EXCLUDED.district_id, street_id = EXCLUDED.street_id,
    category = EXCLUDED.category,
    whistle_id = CASE WHEN EXCLUDED.whistle_id <> '' THEN EXCLUDED.whistle_id ELSE report_facts.whistle_id END;

-- name: HotspotMonthCounts :many
-- Whistles, reports and 12345 tickets per district × street × category ×
-- Beijing month (UTC+8, no daylight saving) in [from_at, to_at), '' selecting
-- every district, street or category. counted is the appeals counted once: a
-- whistle some report or ticket was merged into or blown as is left out (the
-- second branch takes it back). That branch is a semi-join, which the
-- planner runs as a hash of the linked whistles or a probe per whistle of a
-- small period, rather than a subquery per whistle (costed so high that
-- every analysis was JIT-compiled).
SELECT x.district_id, x.street_id, x.category,
    to_char((x.at AT TIME ZONE 'UTC') + interval '8 hours', 'YYYY-MM')::text AS month,
    sum(x.whistles)::bigint AS whistles, sum(x.reports)::bigint AS reports,
    sum(x.tickets)::bigint AS tickets, sum(x.counted)::bigint AS counted
FROM (
    SELECT w.district_id, w.street_id, w.category, w.raised_at AS at, 1 AS whistles, 0 AS reports, 0 AS tickets, 1 AS counted
    FROM whistle_facts w
    WHERE (@district_id::text = '' OR w.district_id = @district_id::text)
        AND (@street_id::text = '' OR w.street_id = @street_id::text)
        AND (@category::text = '' OR w.category = @category::text)
        AND w.raised_at >= @from_at AND w.raised_at < @to_at
    UNION ALL
    SELECT w.district_id, w.street_id, w.category, w.raised_at, 0, 0, 0, -1
    FROM whistle_facts w
    WHERE (@district_id::text = '' OR w.district_id = @district_id::text)
        AND (@street_id::text = '' OR w.street_id = @street_id::text)
        AND (@category::text = '' OR w.category = @category::text)
        AND w.raised_at >= @from_at AND w.raised_at < @to_at
        -- whistle_id <> '' lets the partial index report_facts_whistle answer.
        AND EXISTS (SELECT 1 FROM report_facts l WHERE l.whistle_id = w.whistle_id AND l.whistle_id <> '')
    UNION ALL
    SELECT r.district_id, r.street_id, r.category, r.received_at,
        0, CASE WHEN r.source = 'HOTLINE' THEN 0 ELSE 1 END, CASE WHEN r.source = 'HOTLINE' THEN 1 ELSE 0 END, 1
    FROM report_facts r
    WHERE (@district_id::text = '' OR r.district_id = @district_id::text)
        AND (@street_id::text = '' OR r.street_id = @street_id::text)
        AND (@category::text = '' OR r.category = @category::text)
        AND r.received_at >= @from_at AND r.received_at < @to_at
) x
GROUP BY 1, 2, 3, 4
ORDER BY 1, 2, 3, 4;

-- name: UpsertDrillFacts :exec
-- The drill dispatches' snapshots, one per dispatch (folded by the caller),
-- with UpsertDispatchFacts' rules: a newer snapshot wins, a time once set stays.
INSERT INTO drill_dispatch_facts (
    dispatch_id, drill_id, whistle_id, district_id, street_id, category, department, status,
    dispatched_at, ack_by, arrive_by, resolve_by, acknowledged_at, arrived_at, resolved_at,
    returned_at, cancelled_at, snapshot_at
)
SELECT unnest(@dispatch_ids::text[]), unnest(@drill_ids::text[]), unnest(@whistle_ids::text[]), unnest(@district_ids::text[]),
    unnest(@street_ids::text[]), unnest(@categories::text[]), unnest(@departments::text[]), unnest(@statuses::text[]),
    unnest(@dispatched_ats::timestamptz[]), unnest(@ack_bys::timestamptz[]), unnest(@arrive_bys::timestamptz[]),
    unnest(@resolve_bys::timestamptz[]), unnest(@acknowledged_ats::timestamptz[]), unnest(@arrived_ats::timestamptz[]),
    unnest(@resolved_ats::timestamptz[]), unnest(@returned_ats::timestamptz[]), unnest(@cancelled_ats::timestamptz[]),
    unnest(@snapshot_ats::timestamptz[])
ON CONFLICT (dispatch_id) DO UPDATE SET
    status = CASE WHEN drill_dispatch_facts.snapshot_at <= EXCLUDED.snapshot_at THEN EXCLUDED.status ELSE drill_dispatch_facts.status END,
    ack_by = CASE WHEN drill_dispatch_facts.snapshot_at <= EXCLUDED.snapshot_at THEN EXCLUDED.ack_by ELSE drill_dispatch_facts.ack_by END,
    arrive_by = CASE WHEN drill_dispatch_facts.snapshot_at <= EXCLUDED.snapshot_at THEN EXCLUDED.arrive_by ELSE drill_dispatch_facts.arrive_by END,
    resolve_by = CASE WHEN drill_dispatch_facts.snapshot_at <= EXCLUDED.snapshot_at THEN EXCLUDED.resolve_by ELSE drill_dispatch_facts.resolve_by END,
    acknowledged_at = COALESCE(drill_dispatch_facts.acknowledged_at, EXCLUDED.acknowledged_at),
    arrived_at = COALESCE(drill_dispatch_facts.arrived_at, EXCLUDED.arrived_at),
    resolved_at = COALESCE(drill_dispatch_facts.resolved_at, EXCLUDED.resolved_at),
    returned_at = COALESCE(drill_dispatch_facts.returned_at, EXCLUDED.returned_at),
    cancelled_at = COALESCE(drill_dispatch_facts.cancelled_at, EXCLUDED.cancelled_at),
    snapshot_at = GREATEST(drill_dispatch_facts.snapshot_at, EXCLUDED.snapshot_at);

-- name: DrillOnTime :many
-- The on-time counts of a drill's dispatches in a district and, computed by
-- the same expressions, of the real dispatches the district dispatched in
-- [real_from, real_to), per department, street or category (@group_by).
-- Cancelled dispatches are left out; returned ones are out of the arrival
-- and resolve bases; appeals are not applied (docs/drills.md).
WITH facts AS (
    SELECT true AS drill, street_id, category, department, ack_by, arrive_by, resolve_by,
           acknowledged_at, arrived_at, resolved_at, returned_at
    FROM drill_dispatch_facts
    WHERE drill_id = @drill_id::text AND district_id = @district_id::text AND cancelled_at IS NULL
    UNION ALL
    SELECT false, street_id, category, department, ack_by, arrive_by, resolve_by,
           acknowledged_at, arrived_at, resolved_at, returned_at
    FROM dispatch_facts
    WHERE district_id = @district_id::text AND dispatched_at >= @real_from::timestamptz AND dispatched_at < @real_to::timestamptz AND cancelled_at IS NULL
)
SELECT drill,
    (CASE @group_by::text WHEN 'STREET' THEN street_id WHEN 'CATEGORY' THEN category ELSE department END)::text AS key,
    count(*) AS dispatched,
    count(*) FILTER (WHERE acknowledged_at <= ack_by OR (acknowledged_at IS NULL AND returned_at <= ack_by)) AS acked_on_time,
    count(*) FILTER (WHERE returned_at IS NULL) AS arrival_base,
    count(*) FILTER (WHERE returned_at IS NULL AND arrived_at <= arrive_by) AS arrived_on_time,
    count(*) FILTER (WHERE returned_at IS NULL AND resolved_at <= resolve_by) AS resolved_on_time
FROM facts
GROUP BY 1, 2
ORDER BY 2, 1;
-- name: ComputeEtaStats :many
-- The history of one department × category of a district in [since, until):
-- per hour of day (Asia/Shanghai) and for any hour (hour -1), the samples,
-- median and 80th percentile in seconds of dispatch → arrival and dispatch →
-- resolution (returned and cancelled dispatches do not count as resolved).
SELECT (CASE WHEN GROUPING(f.h) = 1 THEN -1 ELSE f.h END)::integer AS hour,
       count(f.arrive_s)::bigint AS arrive_n,
       COALESCE(percentile_cont(0.5) WITHIN GROUP (ORDER BY f.arrive_s), 0)::float8 AS arrive_median_s,
       COALESCE(percentile_cont(0.8) WITHIN GROUP (ORDER BY f.arrive_s), 0)::float8 AS arrive_p80_s,
       count(f.resolve_s)::bigint AS resolve_n,
       COALESCE(percentile_cont(0.5) WITHIN GROUP (ORDER BY f.resolve_s), 0)::float8 AS resolve_median_s,
       COALESCE(percentile_cont(0.8) WITHIN GROUP (ORDER BY f.resolve_s), 0)::float8 AS resolve_p80_s
FROM (
    SELECT EXTRACT(HOUR FROM dispatched_at AT TIME ZONE 'Asia/Shanghai')::integer AS h,
           EXTRACT(EPOCH FROM arrived_at - dispatched_at)::float8 AS arrive_s,
           CASE WHEN returned_at IS NULL THEN EXTRACT(EPOCH FROM resolved_at - dispatched_at)::float8 END AS resolve_s
    FROM dispatch_facts
    WHERE district_id = @district_id AND department = @department AND category = @category
      AND dispatched_at >= @since AND dispatched_at < @until AND cancelled_at IS NULL
) f
GROUP BY GROUPING SETS ((f.h), ());

-- name: GetEtaStats :many
SELECT * FROM eta_stats
WHERE (district_id, department, category) IN (
    SELECT unnest(@district_ids::text[]), unnest(@departments::text[]), unnest(@categories::text[]));

-- name: PutEtaStats :exec
INSERT INTO eta_stats (district_id, department, category, buckets, computed_at)
VALUES (@district_id, @department, @category, @buckets, @computed_at)
ON CONFLICT (district_id, department, category) DO UPDATE
SET buckets = EXCLUDED.buckets, computed_at = EXCLUDED.computed_at
WHERE eta_stats.computed_at < EXCLUDED.computed_at;

-- name: SetDeskEta :exec
-- The latest statement wins; replaying an older one changes nothing.
INSERT INTO desk_etas (dispatch_id, whistle_id, arrive_at, note, set_at)
VALUES (@dispatch_id, @whistle_id, @arrive_at, @note, @set_at)
ON CONFLICT (dispatch_id) DO UPDATE
SET arrive_at = EXCLUDED.arrive_at, note = EXCLUDED.note, set_at = EXCLUDED.set_at
WHERE desk_etas.set_at <= EXCLUDED.set_at;

-- name: ListDeskEtas :many
SELECT * FROM desk_etas WHERE whistle_id = ANY(@whistle_ids::text[]);

-- name: ListWhistlesDispatchFacts :many
SELECT * FROM dispatch_facts WHERE whistle_id = ANY(@whistle_ids::text[]) ORDER BY whistle_id, round, dispatched_at, department;

-- name: ListWhistleScopes :many
SELECT whistle_id, street_id, district_id FROM whistle_scopes WHERE whistle_id = ANY(@whistle_ids::text[]);
