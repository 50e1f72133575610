-- Discovery to whistle (issue 13): reports from grid workers, residents and
-- the 12345 hotline, the street's triage of them, and follow-up tokens.
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

CREATE UNIQUE INDEX reports_external ON reports (external_source, external_number) WHERE external_number <> '';
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
