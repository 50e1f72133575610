-- 12345 tickets keep their statutory clock beside the whistle's: the
-- hotline's ticket type (which sets due_at when the hotline gives none), the
-- moment the sweeper recorded that due_at passed before the ticket closed,
-- and the follow-up call's remark returned to the hotline with the result.
ALTER TABLE reports
    ADD COLUMN ticket_type       text        NOT NULL DEFAULT '',
    ADD COLUMN due_breached_at   timestamptz,
    ADD COLUMN follow_up_comment text        NOT NULL DEFAULT '';

-- The statutory clock's sweep: tickets whose breach is not recorded yet, by deadline.
CREATE INDEX reports_ticket_due ON reports (due_at) WHERE due_at IS NOT NULL AND due_breached_at IS NULL;
-- The return export: a district's tickets by when they closed or were followed up.
CREATE INDEX reports_ticket_returns ON reports (district_id, external_source, id) WHERE external_number <> '';
