-- The duplicate search reads a grid instead of every recent whistle of the
-- category. Each whistle's grid cell is computed by Postgres from its point
-- with the arithmetic of intake.Cell (rows of 1/900° latitude, columns of
-- 1/700° longitude, row * 1000000 + column); adding the stored column fills
-- it for every existing whistle.
ALTER TABLE whistles ADD COLUMN cell bigint NOT NULL
    GENERATED ALWAYS AS (floor(lat * 900)::bigint * 1000000 + floor(lng * 700)::bigint) STORED;

-- A street's open whistles of a category by cell, then time: a search reads
-- the entries of the few cells around the point.
CREATE INDEX whistles_open_cell ON whistles (street_id, category, cell, raised_at, id, lat, lng)
    WHERE status NOT IN ('RESOLVED', 'CLOSED', 'CANCELLED') AND merged_into = '';

-- The latitude band index it replaces.
DROP INDEX whistles_category_raised_lat;
