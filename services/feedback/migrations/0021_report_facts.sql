-- Reports as filed (grid workers, residents, the street itself, 12345
-- tickets), for hotspots over every channel (未诉先办). whistle_id is the
-- whistle the report was merged into or blown as, so that whistle is not
-- counted a second time.
CREATE TABLE report_facts (
    report_id   text        PRIMARY KEY,
    source      text        NOT NULL,
    district_id text        NOT NULL,
    street_id   text        NOT NULL,
    category    text        NOT NULL,
    received_at timestamptz NOT NULL,
    whistle_id  text        NOT NULL DEFAULT ''
);
CREATE INDEX report_facts_district_time ON report_facts (district_id, received_at);
CREATE INDEX report_facts_whistle ON report_facts (whistle_id) WHERE whistle_id <> '';
