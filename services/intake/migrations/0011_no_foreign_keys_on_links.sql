-- Duplicate links are written by the raise that inserts the new whistle, in its
-- transaction, to candidates it has just read: both ends exist by construction,
-- and whistles are never deleted. The two foreign keys cost a lookup each per
-- link (a storm links each new whistle to up to 20 others), so they go; the
-- raise is what keeps the links whole (docs/decisions.md).
ALTER TABLE duplicate_candidates DROP CONSTRAINT duplicate_candidates_whistle_id_fkey;
ALTER TABLE duplicate_candidates DROP CONSTRAINT duplicate_candidates_candidate_of_fkey;
