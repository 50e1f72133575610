-- A routing decision and its dispatch assignments are written in one statement
-- group of the same transaction, and decisions are never deleted, so the
-- foreign key only cost a lookup of the decision per assignment; the decision's
-- writer keeps them whole (docs/decisions.md).
ALTER TABLE dispatch_assignments DROP CONSTRAINT dispatch_assignments_whistle_id_fkey;
