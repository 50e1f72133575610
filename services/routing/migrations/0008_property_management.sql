-- Property management (物业, issue 13) is an assignable party for
-- community-level problems, like a department with its own duty desk. The
-- seed upserts departments and never deletes one, so this row stays.
INSERT INTO departments (code, name, name_en)
VALUES ('property-management', '物业', 'Property management')
ON CONFLICT (code) DO NOTHING;
