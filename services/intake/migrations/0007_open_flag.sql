-- A whistle's status moves RAISED → ROUTED → RESPONDING while it stays open;
-- each move is an UPDATE of the row. While the status itself appeared in the
-- duplicate index's predicate, every such update was a non-HOT update that
-- wrote a new entry into all seven indexes of the table. The predicate now
-- reads a stored flag that changes only when the whistle closes (resolved,
-- closed, cancelled) or is merged, so status moves are HOT updates, and free
-- space is kept in each page for them.
ALTER TABLE whistles ADD COLUMN open boolean NOT NULL
    GENERATED ALWAYS AS (status NOT IN ('RESOLVED', 'CLOSED', 'CANCELLED') AND merged_into = '') STORED;

DROP INDEX whistles_open_cell;
CREATE INDEX whistles_open_cell ON whistles (street_id, category, cell, raised_at, id, lat, lng) WHERE open;

ALTER TABLE whistles SET (fillfactor = 85);
