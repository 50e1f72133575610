-- A 12345 ticket's number is unique within its street, not city-wide: a
-- district's hotline centre numbers its own tickets and hands each to one
-- street, so one street's import can neither take another street's (or
-- district's) number nor learn that it exists.
DROP INDEX reports_external;
CREATE UNIQUE INDEX reports_external ON reports (external_source, street_id, external_number) WHERE external_number <> '';
-- A supervisor's lookup by number across its district's streets.
CREATE INDEX reports_external_number ON reports (external_source, external_number) WHERE external_number <> '';
