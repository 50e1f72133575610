-- Admins rename departments and streets and add departments (issue 8). A row
-- an admin has changed is theirs: the seed loaded at start-up leaves it alone.
ALTER TABLE departments ADD COLUMN edited_at timestamptz;
ALTER TABLE departments ADD COLUMN edited_by text NOT NULL DEFAULT '';
ALTER TABLE streets ADD COLUMN edited_at timestamptz;
ALTER TABLE streets ADD COLUMN edited_by text NOT NULL DEFAULT '';
