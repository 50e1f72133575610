-- The SLA engine: the escalation ladder, clock states, extensions (延期), the
-- working-day calendar and per category x district policies.

-- Escalation level reached: 0 none, 1 remind (催办), 2 supervise (督办), 3 list (挂牌督办).
ALTER TABLE dispatches ADD COLUMN escalation_level integer NOT NULL DEFAULT 0;
-- Clocks whose 80 % warning fired, so the API can show a clock "in warning".
ALTER TABLE dispatches ADD COLUMN warnings text[] NOT NULL DEFAULT '{}';
-- Deadlines before an approved extension moved them; NULL while never moved.
ALTER TABLE dispatches ADD COLUMN original_ack_by timestamptz;
ALTER TABLE dispatches ADD COLUMN original_arrive_by timestamptz;
ALTER TABLE dispatches ADD COLUMN original_resolve_by timestamptz;

-- An escalate timer is the next step of the ladder; level is the step it climbs to.
ALTER TABLE timers DROP CONSTRAINT timers_kind_check;
ALTER TABLE timers ADD CONSTRAINT timers_kind_check CHECK (kind IN ('warning', 'breach', 'escalate'));
ALTER TABLE timers ADD COLUMN level integer NOT NULL DEFAULT 0;
-- One ladder per dispatch, whichever clock started it.
CREATE UNIQUE INDEX timers_one_ladder ON timers (dispatch_id) WHERE kind = 'escalate';

-- Extensions asked for by desks and decided by supervisors. The previous
-- deadline stays here and in the dispatch's original_*_by.
CREATE TABLE extensions (
    id              text PRIMARY KEY,
    dispatch_id     text        NOT NULL REFERENCES dispatches (id) ON DELETE CASCADE,
    clock           text        NOT NULL CHECK (clock IN ('ack', 'arrive', 'resolve')),
    until           timestamptz NOT NULL,
    previous_due_at timestamptz NOT NULL,
    reason          text        NOT NULL,
    requested_by    text        NOT NULL,
    requested_at    timestamptz NOT NULL,
    status          text        NOT NULL DEFAULT 'PENDING' CHECK (status IN ('PENDING', 'APPROVED', 'REJECTED')),
    decided_by      text        NOT NULL DEFAULT '',
    decided_at      timestamptz,
    decision_note   text        NOT NULL DEFAULT ''
);

-- At most one undecided request per clock of a dispatch.
CREATE UNIQUE INDEX extensions_one_pending ON extensions (dispatch_id, clock) WHERE status = 'PENDING';

-- Days that differ from the Monday-to-Friday rule (Asia/Shanghai dates):
-- statutory holidays with their rest days, and the weekend make-up working
-- days of 调休. Admins edit it as the State Council publishes each year's schedule.
CREATE TABLE calendar_days (
    day  date PRIMARY KEY,
    kind text NOT NULL CHECK (kind IN ('holiday', 'workday')),
    name text NOT NULL DEFAULT ''
);

-- Limits per category x district; district_id '' applies to every district
-- without its own row. Read when a dispatch is created, so a change applies
-- to new dispatches only.
CREATE TABLE policies (
    category             text    NOT NULL,
    district_id          text    NOT NULL DEFAULT '',
    ack_within_s         bigint  NOT NULL DEFAULT 0,
    arrive_within_s      bigint  NOT NULL DEFAULT 0,
    resolve_within_s     bigint  NOT NULL DEFAULT 0,
    resolve_working_days integer NOT NULL DEFAULT 0,
    updated_at           timestamptz NOT NULL,
    PRIMARY KEY (category, district_id)
);

-- 2025: 国务院办公厅关于2025年部分节假日安排的通知 (国办发明电〔2024〕12号).
INSERT INTO calendar_days (day, kind, name) VALUES
    ('2025-01-01', 'holiday', '元旦'),
    ('2025-01-26', 'workday', '春节调休'),
    ('2025-01-28', 'holiday', '春节'), ('2025-01-29', 'holiday', '春节'), ('2025-01-30', 'holiday', '春节'),
    ('2025-01-31', 'holiday', '春节'), ('2025-02-01', 'holiday', '春节'), ('2025-02-02', 'holiday', '春节'),
    ('2025-02-03', 'holiday', '春节'), ('2025-02-04', 'holiday', '春节'),
    ('2025-02-08', 'workday', '春节调休'),
    ('2025-04-04', 'holiday', '清明节'), ('2025-04-05', 'holiday', '清明节'), ('2025-04-06', 'holiday', '清明节'),
    ('2025-04-27', 'workday', '劳动节调休'),
    ('2025-05-01', 'holiday', '劳动节'), ('2025-05-02', 'holiday', '劳动节'), ('2025-05-03', 'holiday', '劳动节'),
    ('2025-05-04', 'holiday', '劳动节'), ('2025-05-05', 'holiday', '劳动节'),
    ('2025-05-31', 'holiday', '端午节'), ('2025-06-01', 'holiday', '端午节'), ('2025-06-02', 'holiday', '端午节'),
    ('2025-09-28', 'workday', '国庆节调休'),
    ('2025-10-01', 'holiday', '国庆节、中秋节'), ('2025-10-02', 'holiday', '国庆节、中秋节'),
    ('2025-10-03', 'holiday', '国庆节、中秋节'), ('2025-10-04', 'holiday', '国庆节、中秋节'),
    ('2025-10-05', 'holiday', '国庆节、中秋节'), ('2025-10-06', 'holiday', '国庆节、中秋节'),
    ('2025-10-07', 'holiday', '国庆节、中秋节'), ('2025-10-08', 'holiday', '国庆节、中秋节'),
    ('2025-10-11', 'workday', '国庆节调休');

-- 2026: 国务院办公厅关于2026年部分节假日安排的通知 (国办发明电〔2025〕7号).
INSERT INTO calendar_days (day, kind, name) VALUES
    ('2026-01-01', 'holiday', '元旦'), ('2026-01-02', 'holiday', '元旦'), ('2026-01-03', 'holiday', '元旦'),
    ('2026-01-04', 'workday', '元旦调休'),
    ('2026-02-14', 'workday', '春节调休'),
    ('2026-02-15', 'holiday', '春节'), ('2026-02-16', 'holiday', '春节'), ('2026-02-17', 'holiday', '春节'),
    ('2026-02-18', 'holiday', '春节'), ('2026-02-19', 'holiday', '春节'), ('2026-02-20', 'holiday', '春节'),
    ('2026-02-21', 'holiday', '春节'), ('2026-02-22', 'holiday', '春节'), ('2026-02-23', 'holiday', '春节'),
    ('2026-02-28', 'workday', '春节调休'),
    ('2026-04-04', 'holiday', '清明节'), ('2026-04-05', 'holiday', '清明节'), ('2026-04-06', 'holiday', '清明节'),
    ('2026-05-01', 'holiday', '劳动节'), ('2026-05-02', 'holiday', '劳动节'), ('2026-05-03', 'holiday', '劳动节'),
    ('2026-05-04', 'holiday', '劳动节'), ('2026-05-05', 'holiday', '劳动节'),
    ('2026-05-09', 'workday', '劳动节调休'),
    ('2026-06-19', 'holiday', '端午节'), ('2026-06-20', 'holiday', '端午节'), ('2026-06-21', 'holiday', '端午节'),
    ('2026-09-20', 'workday', '国庆节调休'),
    ('2026-09-25', 'holiday', '中秋节'), ('2026-09-26', 'holiday', '中秋节'), ('2026-09-27', 'holiday', '中秋节'),
    ('2026-10-01', 'holiday', '国庆节'), ('2026-10-02', 'holiday', '国庆节'), ('2026-10-03', 'holiday', '国庆节'),
    ('2026-10-04', 'holiday', '国庆节'), ('2026-10-05', 'holiday', '国庆节'), ('2026-10-06', 'holiday', '国庆节'),
    ('2026-10-07', 'holiday', '国庆节'),
    ('2026-10-10', 'workday', '国庆节调休');

-- 2027: the State Council had not published the schedule when this was
-- written. These are the statutory days themselves (全国年节及纪念日放假办法,
-- 2024 revision) on their 2027 dates; the rest days and 调休 make-up days are
-- to be set by an admin (SlaAdminService.SetCalendarDay) once published.
INSERT INTO calendar_days (day, kind, name) VALUES
    ('2027-01-01', 'holiday', '元旦'),
    ('2027-02-05', 'holiday', '春节'), ('2027-02-06', 'holiday', '春节'), ('2027-02-07', 'holiday', '春节'),
    ('2027-02-08', 'holiday', '春节'),
    ('2027-04-05', 'holiday', '清明节'),
    ('2027-05-01', 'holiday', '劳动节'), ('2027-05-02', 'holiday', '劳动节'),
    ('2027-06-09', 'holiday', '端午节'),
    ('2027-09-15', 'holiday', '中秋节'),
    ('2027-10-01', 'holiday', '国庆节'), ('2027-10-02', 'holiday', '国庆节'), ('2027-10-03', 'holiday', '国庆节');
