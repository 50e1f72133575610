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
