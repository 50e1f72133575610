-- Duplicates (issue 5): a new whistle near an open one of the same category
-- is linked to it as a candidate; the street merges it or keeps it.
ALTER TABLE whistles ADD COLUMN merged_into text NOT NULL DEFAULT '';

CREATE TABLE duplicate_candidates (
    whistle_id   text             NOT NULL REFERENCES whistles (id),
    candidate_of text             NOT NULL REFERENCES whistles (id),
    distance_m   double precision NOT NULL,
    state        text             NOT NULL DEFAULT 'candidate' CHECK (state IN ('candidate', 'merged', 'kept')),
    found_at     timestamptz      NOT NULL,
    PRIMARY KEY (whistle_id, candidate_of)
);

-- The duplicate search: same category, recent, in a small latitude band.
CREATE INDEX whistles_category_raised_lat ON whistles (category, raised_at, lat);
