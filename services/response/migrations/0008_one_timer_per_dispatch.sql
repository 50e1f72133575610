-- One timer row per dispatch (issue 19, item 5). The dispatch holds its whole
-- SLA schedule: its deadlines (ack_by, arrive_by, resolve_by) as before, and
-- now also when each clock warns and when the escalation ladder climbs next.
-- timers keeps, per dispatch with something still to fire, only the earliest
-- step and its due time: the pollers fire it, compute the next step from the
-- dispatch and move the row (or delete it); a desk's action rewrites it in the
-- action's transaction. A dispatch used to start with six rows of four indexes.

-- When each clock's 80 % warning fires; NULL when none is to fire (it was
-- already due when the dispatch was created, or it fired, or the clock was met).
ALTER TABLE dispatches ADD COLUMN ack_warn_at timestamptz;
ALTER TABLE dispatches ADD COLUMN arrive_warn_at timestamptz;
ALTER TABLE dispatches ADD COLUMN resolve_warn_at timestamptz;
-- When the ladder climbs to escalation_level + 1, if a breached clock is still
-- unmet then; NULL while no breach started the ladder.
ALTER TABLE dispatches ADD COLUMN escalate_at timestamptz;

-- Pending warnings and ladder steps move from their rows onto the dispatch.
UPDATE dispatches AS d SET
    ack_warn_at = o.ack_warn_at,
    arrive_warn_at = o.arrive_warn_at,
    resolve_warn_at = o.resolve_warn_at,
    escalate_at = o.escalate_at
FROM (SELECT dispatch_id,
             min(due_at) FILTER (WHERE kind = 'warning' AND clock = 'ack') AS ack_warn_at,
             min(due_at) FILTER (WHERE kind = 'warning' AND clock = 'arrive') AS arrive_warn_at,
             min(due_at) FILTER (WHERE kind = 'warning' AND clock = 'resolve') AS resolve_warn_at,
             min(due_at) FILTER (WHERE kind = 'escalate') AS escalate_at
      FROM timers
      GROUP BY dispatch_id) AS o
WHERE d.id = o.dispatch_id;

DROP TABLE timers;

-- The next step of each dispatch that has one: what fires at due_at (clock
-- and kind, for operators; the pollers recompute it from the dispatch). Moved
-- forward when it fires, rewritten by desk actions, gone when nothing is left.
CREATE TABLE timers (
    dispatch_id text PRIMARY KEY REFERENCES dispatches (id) ON DELETE CASCADE,
    due_at      timestamptz NOT NULL,
    clock       text        NOT NULL CHECK (clock IN ('ack', 'arrive', 'resolve')),
    kind        text        NOT NULL CHECK (kind IN ('warning', 'breach', 'escalate'))
);

CREATE INDEX timers_due ON timers (due_at);

-- Each open dispatch's next step, as response.Dispatch.NextStep computes it:
-- a running clock's warning (not yet warned) and breach (not yet breached),
-- and the ladder's step while a breached clock is unmet below the top level;
-- the earliest first, ties in clock order, warning before breach before step.
INSERT INTO timers (dispatch_id, due_at, clock, kind)
SELECT DISTINCT ON (d.id) d.id, s.due_at, s.clock, s.kind
FROM dispatches AS d
CROSS JOIN LATERAL (
    SELECT c.clock, c.rank,
           c.status_runs AND NOT (c.clock = ANY (d.breaches)) AS runs_unbreached,
           c.status_runs AND c.clock = ANY (d.breaches) AS unmet_breach,
           c.warn_at, c.due
    FROM (VALUES
        ('ack', 0, d.status = 'PENDING', d.ack_warn_at, d.ack_by),
        ('arrive', 1, d.status IN ('PENDING', 'ACKNOWLEDGED'), d.arrive_warn_at, d.arrive_by),
        ('resolve', 2, true, d.resolve_warn_at, d.resolve_by)
    ) AS c (clock, rank, status_runs, warn_at, due)
) AS k
CROSS JOIN LATERAL (VALUES
    (k.clock, k.rank, 'warning', 0,
     CASE WHEN k.runs_unbreached AND NOT (k.clock = ANY (d.warnings)) THEN k.warn_at END),
    (k.clock, k.rank, 'breach', 1, CASE WHEN k.runs_unbreached THEN k.due END),
    (k.clock, k.rank, 'escalate', 2, CASE WHEN k.unmet_breach AND d.escalation_level < 3 THEN d.escalate_at END)
) AS s (clock, clock_rank, kind, kind_rank, due_at)
WHERE d.status IN ('PENDING', 'ACKNOWLEDGED', 'ARRIVED') AND s.due_at IS NOT NULL
ORDER BY d.id, s.due_at, s.clock_rank, s.kind_rank;
