-- Evidence on a whistle (issue 22): photos, short videos and PDFs the gateway
-- has checked and stored in the blob store. The EXIF position stays here, for
-- those who may read the whistle; it is never on the timeline or public.
CREATE TABLE attachments (
    attachment_id text        PRIMARY KEY,
    whistle_id    text        NOT NULL REFERENCES whistles (id),
    -- raise | arrival | resolution
    stage         text        NOT NULL,
    dispatch_id   text        NOT NULL DEFAULT '',
    department    text        NOT NULL DEFAULT '',
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

CREATE INDEX attachments_whistle ON attachments (whistle_id, added_at);
