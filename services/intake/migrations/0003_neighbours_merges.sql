-- Neighbouring streets (issue 5): routing's map check names the streets whose
-- boundary lies within the buffer of a whistle's location
-- (whistle.jurisdiction_checked, near_boundary); they are informed and may
-- read the whistle, nothing more.
CREATE TABLE whistle_neighbours (
    whistle_id text NOT NULL REFERENCES whistles (id),
    street_id  text NOT NULL,
    PRIMARY KEY (whistle_id, street_id)
);

CREATE INDEX whistle_neighbours_street ON whistle_neighbours (street_id, whistle_id);

-- The whistles merged into one, for its view.
CREATE INDEX whistles_merged_into ON whistles (merged_into) WHERE merged_into <> '';
