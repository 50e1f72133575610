-- Reports, triage and follow-up tokens.

-- name: InsertReport :one
-- A ticket whose external number was imported before returns no row.
INSERT INTO reports (
    id, source, street_id, district_id, grid_id, category, description, address, lat, lng, photos,
    contact_name, contact_phone, status, received_at, triage_from, triage_by, external_source, external_number, due_at,
    reported_by_role, reported_by_id, ticket_type
) VALUES (
    @id, @source, @street_id, @district_id, @grid_id, @category, @description, @address, @lat, @lng, @photos,
    @contact_name, @contact_phone, @status, @received_at, @triage_from, @triage_by, @external_source, @external_number, @due_at,
    @reported_by_role, @reported_by_id, @ticket_type
)
ON CONFLICT (external_source, street_id, external_number) WHERE external_number <> '' DO NOTHING
RETURNING *;

-- name: GetReport :one
SELECT * FROM reports WHERE id = @id;

-- name: LockReports :many
SELECT * FROM reports WHERE id = ANY(@ids::text[]) ORDER BY received_at, id FOR UPDATE;

-- name: GetTicket :one
-- A street's ticket by its number (unique within the street).
SELECT * FROM reports
WHERE external_source = @external_source AND street_id = @street_id AND external_number = @external_number AND external_number <> '';

-- name: FindTicket :one
-- The first imported ticket with this number in a scope: a street, a
-- district, or (both null) the city.
SELECT * FROM reports
WHERE external_source = @external_source AND external_number = @external_number AND external_number <> ''
  AND (sqlc.narg(street_id)::text IS NULL OR street_id = sqlc.narg(street_id))
  AND (sqlc.narg(district_id)::text IS NULL OR district_id = sqlc.narg(district_id))
ORDER BY id
LIMIT 1;

-- name: ListReportsByStreet :many
-- A street's reports; with a grid, only that micro-grid's and the street-wide
-- ones (those that carry no micro-grid).
SELECT * FROM reports
WHERE street_id = @street_id AND (sqlc.narg(status)::text IS NULL OR status = sqlc.narg(status))
  AND (sqlc.narg(grid_id)::text IS NULL OR grid_id IN (sqlc.narg(grid_id), ''))
ORDER BY received_at DESC, id DESC
LIMIT @max_rows;

-- name: ListReportsByWhistle :many
SELECT * FROM reports WHERE whistle_id = @whistle_id ORDER BY received_at, id;

-- name: InboxReports :many
-- A page of the street's untriaged reports, newest first, older than the
-- cursor when one is given.
SELECT * FROM reports
WHERE street_id = @street_id AND status = 'RECEIVED'
  AND (received_at, id) < (coalesce(sqlc.narg(cursor_received_at)::timestamptz, 'infinity'), coalesce(sqlc.narg(cursor_id)::text, ''))
ORDER BY received_at DESC, id DESC
LIMIT @max_rows;

-- name: CountInboxReports :one
SELECT count(*) FROM reports WHERE street_id = @street_id AND status = 'RECEIVED';

-- name: UpdateReport :one
UPDATE reports SET
    status = @status,
    triage = @triage,
    whistle_id = @whistle_id,
    result = @result,
    triaged_at = @triaged_at,
    closed_at = @closed_at,
    satisfaction = @satisfaction,
    fixed = @fixed,
    rated_at = @rated_at
WHERE id = @id
RETURNING *;

-- name: LockReportsOfWhistle :many
SELECT * FROM reports WHERE whistle_id = @whistle_id ORDER BY received_at, id FOR UPDATE;

-- name: DueTriageWarnings :many
-- Untriaged reports past 80 % of their triage limit not warned yet.
SELECT * FROM reports
WHERE status = 'RECEIVED' AND triage_warned_at IS NULL
  AND triage_from + (triage_by - triage_from) * 0.8 <= @now
ORDER BY triage_by, id
LIMIT 500
FOR UPDATE SKIP LOCKED;

-- name: DueTriageBreaches :many
SELECT * FROM reports
WHERE status = 'RECEIVED' AND triage_breached_at IS NULL AND triage_by <= @now
ORDER BY triage_by, id
LIMIT 500
FOR UPDATE SKIP LOCKED;

-- name: MarkTriageWarned :exec
UPDATE reports SET triage_warned_at = @at WHERE id = @id;

-- name: MarkTriageBreached :exec
UPDATE reports SET triage_breached_at = @at, triage_warned_at = coalesce(triage_warned_at, @at) WHERE id = @id;

-- name: InsertFollowUpToken :exec
INSERT INTO follow_up_tokens (token_hash, report_id, whistle_id, issued_at)
VALUES (@token_hash, @report_id, @whistle_id, @issued_at);

-- name: LockFollowUpToken :one
SELECT * FROM follow_up_tokens WHERE token_hash = @token_hash FOR UPDATE;

-- name: GetFollowUpToken :one
SELECT * FROM follow_up_tokens WHERE token_hash = @token_hash;

-- name: RateFollowUpToken :exec
UPDATE follow_up_tokens SET satisfaction = @satisfaction, fixed = @fixed, comment = @comment, rated_at = @rated_at
WHERE token_hash = @token_hash;

-- name: PublicReportCounts :one
-- Reports received in a period in a street or district.
SELECT count(*)                                          AS received,
       count(*) FILTER (WHERE triage = 'HANDLE_LOCALLY') AS handled_locally
FROM reports
WHERE (sqlc.narg(street_id)::text IS NULL OR street_id = sqlc.narg(street_id))
  AND (sqlc.narg(district_id)::text IS NULL OR district_id = sqlc.narg(district_id))
  AND received_at >= @from_at AND received_at < @to_at;

-- name: PublicWhistles :many
-- Whistles raised in a period in a street or district: only what the figures need.
SELECT id, status FROM whistles
WHERE (sqlc.narg(street_id)::text IS NULL OR street_id = sqlc.narg(street_id))
  AND (sqlc.narg(district_id)::text IS NULL OR district_id = sqlc.narg(district_id))
  AND raised_at >= @from_at AND raised_at < @to_at;

-- name: PublicRatings :one
-- Follow-up ratings given in a period on reports or whistles of a street or district.
SELECT count(*)                                  AS ratings,
       count(*) FILTER (WHERE t.satisfaction >= 4) AS satisfied
FROM follow_up_tokens t
LEFT JOIN reports r ON r.id = t.report_id AND t.report_id <> ''
LEFT JOIN whistles w ON w.id = t.whistle_id AND t.whistle_id <> ''
WHERE t.rated_at >= @from_at AND t.rated_at < @to_at
  AND (sqlc.narg(street_id)::text IS NULL OR coalesce(r.street_id, w.street_id) = sqlc.narg(street_id))
  AND (sqlc.narg(district_id)::text IS NULL OR coalesce(r.district_id, w.district_id) = sqlc.narg(district_id));

-- name: RestartTriage :exec
-- A report back in the inbox gets a fresh triage clock.
UPDATE reports SET triage_from = @triage_from, triage_by = @triage_by, triage_warned_at = NULL, triage_breached_at = NULL
WHERE id = @id;

-- name: GetReports :many
SELECT * FROM reports WHERE id = ANY(@ids::text[]) ORDER BY received_at, id;

-- name: InsertTickets :many
-- A CSV import's tickets in one statement; numbers imported before return no row.
INSERT INTO reports (
    id, source, street_id, district_id, category, description, address, lat, lng,
    status, received_at, triage_from, triage_by, external_source, external_number, due_at, reported_by_role, reported_by_id,
    ticket_type
)
SELECT unnest(@ids::text[]), 'HOTLINE', unnest(@street_ids::text[]), unnest(@district_ids::text[]),
       unnest(@categories::text[]), unnest(@descriptions::text[]), unnest(@addresses::text[]),
       unnest(@lats::float8[]), unnest(@lngs::float8[]), 'RECEIVED',
       unnest(@received_ats::timestamptz[]), @triage_from::timestamptz, @triage_by::timestamptz, @external_source::text,
       unnest(@external_numbers::text[]), unnest(@due_ats::timestamptz[]), @reported_by_role::text, @reported_by_id::text,
       unnest(@ticket_types::text[])
ON CONFLICT (external_source, street_id, external_number) WHERE external_number <> '' DO NOTHING
RETURNING *;

-- name: DueTicketBreaches :many
-- Tickets whose statutory limit passed before they closed (still open, or
-- closed late) and whose breach is not recorded yet.
SELECT * FROM reports
WHERE due_at IS NOT NULL AND due_breached_at IS NULL AND due_at <= @now::timestamptz
  AND (closed_at IS NULL OR closed_at > due_at)
ORDER BY due_at, id
LIMIT 500
FOR UPDATE SKIP LOCKED;

-- name: MarkTicketBreached :exec
UPDATE reports SET due_breached_at = @at WHERE id = @id;

-- name: RecordTicketFollowUp :one
-- The follow-up call's outcome on a ticket.
UPDATE reports SET satisfaction = @satisfaction, fixed = @fixed, follow_up_comment = @comment, rated_at = @rated_at
WHERE id = @id
RETURNING *;

-- name: TicketReturns :many
-- A district's tickets of one source closed or followed up in [from, to),
-- after the keyset id, oldest first.
SELECT * FROM reports
WHERE district_id = @district_id AND external_source = @external_source AND external_number <> ''
  AND id > @after
  AND ((closed_at >= @since AND closed_at < @until) OR (rated_at >= @since AND rated_at < @until))
ORDER BY id
LIMIT @page_size;

-- name: InsertReportAttachment :execrows
-- Adding the same attachment id again inserts nothing.
INSERT INTO report_attachments (attachment_id, report_id, media_type, size_bytes, sha256, stored_sha256,
    width, height, has_thumbnail, exif_lat, exif_lng, file_name, actor_role, actor_id, added_at)
VALUES (@attachment_id, @report_id, @media_type, @size_bytes, @sha256, @stored_sha256,
    @width, @height, @has_thumbnail, @exif_lat, @exif_lng, @file_name, @actor_role, @actor_id, @added_at)
ON CONFLICT (attachment_id) DO NOTHING;

-- name: GetReportAttachment :one
SELECT * FROM report_attachments WHERE report_id = @report_id AND attachment_id = @attachment_id;

-- name: ListReportAttachments :many
-- The photos of some reports, oldest first.
SELECT * FROM report_attachments WHERE report_id = ANY(@report_ids::text[]) ORDER BY added_at, attachment_id;

-- name: CountReportAttachments :one
SELECT count(*) FROM report_attachments WHERE report_id = @report_id;

-- name: WhistleStatuses :many
-- The status of the whistles some reports are linked to.
SELECT id, status FROM whistles WHERE id = ANY(@ids::text[]);
