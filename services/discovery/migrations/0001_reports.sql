-- Discovery's schema: reports from grid workers, residents, the street itself and
-- the 12345 hotline, the street's triage of them, their photos and follow-up tokens.
-- It began in intake's schema (intake migrations 0004, 0005, 0012_ticket_clock, 0013),
-- here as they stood when discovery became a service of its own.

CREATE TABLE reports (
    id                 text             PRIMARY KEY,
    -- GRID, RESIDENT, HOTLINE or STREET.
    source             text             NOT NULL,
    street_id          text             NOT NULL,
    district_id        text             NOT NULL,
    grid_id            text             NOT NULL DEFAULT '',
    category           text             NOT NULL,
    description        text             NOT NULL,
    address            text             NOT NULL DEFAULT '',
    lat                double precision NOT NULL,
    lng                double precision NOT NULL,
    -- Photo metadata as JSON (url, content_type, size_bytes, taken_at, location).
    photos             jsonb            NOT NULL DEFAULT '[]',
    -- A resident's optional contact: personal data, never published or put in events.
    contact_name       text             NOT NULL DEFAULT '',
    contact_phone      text             NOT NULL DEFAULT '',
    -- RECEIVED, IN_PROGRESS or CLOSED.
    status             text             NOT NULL,
    -- '' until triaged; HANDLE_LOCALLY, MERGE or BLOW_WHISTLE.
    triage             text             NOT NULL DEFAULT '',
    whistle_id         text             NOT NULL DEFAULT '',
    result             text             NOT NULL DEFAULT '',
    received_at        timestamptz      NOT NULL,
    -- The triage clock: from when the street got it (a ticket's received_at
    -- is the hotline's) to triage_by; the warning is at 80 %.
    triage_from        timestamptz      NOT NULL,
    triage_by          timestamptz      NOT NULL,
    triaged_at         timestamptz,
    closed_at          timestamptz,
    triage_warned_at   timestamptz,
    triage_breached_at timestamptz,
    -- 12345 tickets: the hotline's number (unique per source) and time limit.
    external_source    text             NOT NULL DEFAULT '',
    external_number    text             NOT NULL DEFAULT '',
    due_at             timestamptz,
    reported_by_role   text             NOT NULL,
    reported_by_id     text             NOT NULL,
    -- The reporter's latest rating through the follow-up token.
    satisfaction       integer          NOT NULL DEFAULT 0,
    fixed              boolean          NOT NULL DEFAULT false,
    rated_at           timestamptz
);

CREATE INDEX reports_street_status ON reports (street_id, status, received_at DESC);
CREATE INDEX reports_whistle ON reports (whistle_id) WHERE whistle_id <> '';
CREATE INDEX reports_district_received ON reports (district_id, received_at);
-- The triage clock's sweep: untriaged reports by deadline.
CREATE INDEX reports_untriaged ON reports (triage_by) WHERE status = 'RECEIVED';

-- Follow-up tokens (回访): a reporter's token for a report, or a token the
-- street hands a resident for a whistle. Only the SHA-256 of a token is kept.
CREATE TABLE follow_up_tokens (
    token_hash   text        PRIMARY KEY,
    report_id    text        NOT NULL DEFAULT '',
    whistle_id   text        NOT NULL DEFAULT '',
    issued_at    timestamptz NOT NULL,
    satisfaction integer     NOT NULL DEFAULT 0,
    fixed        boolean     NOT NULL DEFAULT false,
    comment      text        NOT NULL DEFAULT '',
    rated_at     timestamptz,
    CHECK ((report_id = '') <> (whistle_id = ''))
);

CREATE INDEX follow_up_tokens_whistle ON follow_up_tokens (whistle_id) WHERE whistle_id <> '';
CREATE INDEX follow_up_tokens_rated ON follow_up_tokens (rated_at) WHERE rated_at IS NOT NULL;

-- A 12345 ticket's number is unique within its street, not city-wide: a
-- district's hotline centre numbers its own tickets and hands each to one
-- street, so one street's import can neither take another street's (or
-- district's) number nor learn that it exists.

CREATE UNIQUE INDEX reports_external ON reports (external_source, street_id, external_number) WHERE external_number <> '';
-- A supervisor's lookup by number across its district's streets.
CREATE INDEX reports_external_number ON reports (external_source, external_number) WHERE external_number <> '';

-- 12345 tickets keep their statutory clock beside the whistle's: the
-- hotline's ticket type (which sets due_at when the hotline gives none), the
-- moment the sweeper recorded that due_at passed before the ticket closed,
-- and the follow-up call's remark returned to the hotline with the result.
ALTER TABLE reports
    ADD COLUMN ticket_type       text        NOT NULL DEFAULT '',
    ADD COLUMN due_breached_at   timestamptz,
    ADD COLUMN follow_up_comment text        NOT NULL DEFAULT '';

-- The statutory clock's sweep: tickets whose breach is not recorded yet, by deadline.
CREATE INDEX reports_ticket_due ON reports (due_at) WHERE due_at IS NOT NULL AND due_breached_at IS NULL;
-- The return export: a district's tickets by when they closed or were followed up.
CREATE INDEX reports_ticket_returns ON reports (district_id, external_source, id) WHERE external_number <> '';

-- Photos on reports: a grid worker's (or the street's own) photo of what it
-- reports, checked and stored by the gateway like a whistle's evidence, with
-- the same limits. The EXIF position stays here, for those who may read the
-- report; the public view of a report carries no attachments.
CREATE TABLE report_attachments (
    attachment_id text        PRIMARY KEY,
    report_id     text        NOT NULL REFERENCES reports (id),
    media_type    text        NOT NULL,
    size_bytes    bigint      NOT NULL,
    sha256        text        NOT NULL,
    stored_sha256 text        NOT NULL,
    width         integer     NOT NULL DEFAULT 0,
    height        integer     NOT NULL DEFAULT 0,
    has_thumbnail boolean     NOT NULL DEFAULT false,
    exif_lat      double precision,
    exif_lng      double precision,
    file_name     text        NOT NULL DEFAULT '',
    actor_role    text        NOT NULL,
    actor_id      text        NOT NULL,
    added_at      timestamptz NOT NULL
);

CREATE INDEX report_attachments_report ON report_attachments (report_id, added_at);

-- A grid worker's list reads its own micro-grid's (and the street-wide) reports of its street.
CREATE INDEX reports_street_grid ON reports (street_id, grid_id, received_at DESC);
