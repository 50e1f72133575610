-- Queries of the duty desks: rosters, heartbeats, service
-- accounts, webhook endpoints managed through the API, and digests.

-- name: LockDesk :exec
-- Serialises roster edits of one department x district, so that the overlap
-- check and the insert see the same shifts.
SELECT pg_advisory_xact_lock(hashtext('roster:' || @department::text || '@' || @district_id::text));

-- name: OverlappingShift :one
-- A shift of the same seat that overlaps [starts_at, ends_at), other than except_id.
SELECT * FROM roster_shifts
WHERE department = @department AND district_id = @district_id AND seat = @seat
  AND starts_at < @ends_at AND ends_at > @starts_at AND id <> @except_id
ORDER BY starts_at LIMIT 1;

-- name: AddShift :one
INSERT INTO roster_shifts (id, department, district_id, seat, person, phone, email, starts_at, ends_at, created_by, created_at)
VALUES (@id, @department, @district_id, @seat, @person, @phone, @email, @starts_at, @ends_at, @created_by, @created_at)
RETURNING *;

-- name: GetShift :one
SELECT * FROM roster_shifts WHERE id = @id;

-- name: DeleteShift :execrows
DELETE FROM roster_shifts WHERE id = @id;

-- name: ListShifts :many
-- Shifts of a department x district ('' means every one the filter allows)
-- that overlap [from, to), in start order.
SELECT * FROM roster_shifts
WHERE (@department::text = '' OR department = @department)
  AND (@district_id::text = '' OR district_id = @district_id)
  AND starts_at < @until AND ends_at > @since
ORDER BY department, district_id, starts_at, seat
LIMIT @max_rows;

-- name: OnDutyAt :many
-- Who is on duty at at for each of the given department x district pairs.
SELECT s.* FROM roster_shifts s
WHERE (s.department, s.district_id) IN (
    SELECT unnest(@departments::text[]), unnest(@district_ids::text[]))
  AND s.starts_at <= @at AND s.ends_at > @at
ORDER BY s.department, s.district_id, s.seat, s.starts_at;

-- name: Heartbeat :exec
INSERT INTO desk_heartbeats (department, district_id, desk, last_seen)
VALUES (@department, @district_id, @desk, @seen)
ON CONFLICT (department, district_id, desk) DO UPDATE SET last_seen = greatest(desk_heartbeats.last_seen, excluded.last_seen);

-- name: DesksStaffing :many
-- Per desk (department x district): whether any of its
-- desks has sent a heartbeat, the latest one, and whether it has a roster.
-- One look for a batch of new dispatches.
SELECT d.department::text AS department, d.district_id::text AS district_id,
       (hb.last_seen IS NOT NULL)::bool AS seen,
       coalesce(hb.last_seen, 'epoch'::timestamptz)::timestamptz AS last_seen,
       EXISTS (SELECT 1 FROM roster_shifts r WHERE r.department = d.department AND r.district_id = d.district_id)::bool AS rostered
FROM (SELECT DISTINCT unnest(@departments::text[]) AS department, unnest(@district_ids::text[]) AS district_id) AS d
LEFT JOIN LATERAL (SELECT max(h.last_seen) AS last_seen FROM desk_heartbeats h
                   WHERE h.department = d.department AND h.district_id = d.district_id) AS hb ON true;

-- name: ListHeartbeats :many
SELECT * FROM desk_heartbeats
WHERE (@department::text = '' OR department = @department)
  AND (@district_id::text = '' OR district_id = @district_id)
ORDER BY department, district_id, desk;

-- name: AddServiceAccount :one
INSERT INTO service_accounts (id, name, department, district_id, created_by, created_at, expires_at)
VALUES (@id, @name, @department, @district_id, @created_by, @created_at, @expires_at)
RETURNING *;

-- name: GetServiceAccount :one
SELECT * FROM service_accounts WHERE id = @id;

-- name: ListServiceAccounts :many
SELECT * FROM service_accounts
WHERE (@district_id::text = '' OR district_id = @district_id)
ORDER BY created_at, id;

-- name: ListRevokedServiceAccounts :many
-- The revoked accounts whose tokens may still be unexpired: the list every
-- service refuses (published to NATS).
SELECT id FROM service_accounts WHERE revoked_at IS NOT NULL AND expires_at > @now::timestamptz ORDER BY id;

-- name: RevokeServiceAccount :one
UPDATE service_accounts SET revoked_at = coalesce(revoked_at, @now::timestamptz), revoked_by = CASE WHEN revoked_at IS NULL THEN @revoked_by ELSE revoked_by END
WHERE id = @id AND (@district_id::text = '' OR district_id = @district_id)
RETURNING *;

-- name: AddEndpoint :one
INSERT INTO webhook_endpoints (department, district_id, url, secret, enabled, created_at, updated_at, source)
VALUES (@department, @district_id, @url, @secret, true, @now, @now, 'api')
ON CONFLICT (department, district_id, url) DO NOTHING
RETURNING id, department, district_id, url, enabled, source, created_at, updated_at, previous_secret_expires_at;

-- name: ListEndpoints :many
-- Without secrets: they are write-only. Webhooks only: channels (whose URLs
-- carry robot keys) are the configuration's.
SELECT id, department, district_id, url, enabled, source, created_at, updated_at, previous_secret_expires_at FROM webhook_endpoints
WHERE kind = 'webhook' AND (@district_id::text = '' OR district_id = @district_id)
  AND (@department::text = '' OR department = @department)
ORDER BY department, district_id, id;

-- name: UpdateEndpoint :one
-- Changes the URL, the secret (when one is given) or enabled; district_id ''
-- means any district. A new secret rotates: the old one keeps signing beside
-- it until @previous_until.
UPDATE webhook_endpoints SET
    url = coalesce(sqlc.narg(url), url),
    previous_secret = CASE WHEN sqlc.narg(secret)::text IS NOT NULL AND sqlc.narg(secret)::text <> secret THEN secret
                           ELSE previous_secret END,
    previous_secret_expires_at = CASE WHEN sqlc.narg(secret)::text IS NOT NULL AND sqlc.narg(secret)::text <> secret
                                      THEN @previous_until::timestamptz ELSE previous_secret_expires_at END,
    secret = coalesce(sqlc.narg(secret), secret),
    enabled = coalesce(sqlc.narg(enabled), enabled),
    updated_at = @now::timestamptz
WHERE id = @id AND kind = 'webhook' AND (@district_id::text = '' OR district_id = @district_id)
RETURNING id, department, district_id, url, enabled, source, created_at, updated_at, previous_secret_expires_at;

-- name: DeleteEndpoint :execrows
-- Deletes an endpoint with its deliveries and their log.
DELETE FROM webhook_endpoints WHERE id = @id AND kind = 'webhook' AND (@district_id::text = '' OR district_id = @district_id);

-- name: DisableOtherEnvEndpoints :exec
-- Endpoints dropped from WHISTLE_WEBHOOKS stop receiving; their history stays.
-- Endpoints added through the API are not the configuration's to disable.
UPDATE webhook_endpoints SET enabled = false WHERE source = 'env' AND NOT (id = ANY (@keep::bigint[]));

-- name: LockEndpoint :exec
-- Serialises the throttle of one endpoint across consumers.
SELECT id FROM webhook_endpoints WHERE id = @id FOR UPDATE;

-- name: RecentDeliveries :one
-- Individual deliveries queued for an endpoint since since (the throttle's window).
SELECT count(*) FROM webhook_deliveries WHERE endpoint_id = @endpoint_id AND NOT digest AND created_at > @since;

-- name: OpenDigest :one
-- The endpoint's digest that still collects (its body is not yet written).
SELECT id FROM webhook_deliveries
WHERE endpoint_id = @endpoint_id AND digest AND status = 'pending' AND octet_length(body) = 0
ORDER BY created_at LIMIT 1
FOR UPDATE;

-- name: AddDigest :exec
INSERT INTO webhook_deliveries (id, endpoint_id, event_id, event_name, dispatch_id, body, next_attempt_at, created_at, digest)
VALUES (@id, @endpoint_id, @id, 'webhook.digest', '', '', @due_at, @created_at, true);

-- name: AddDigestItem :exec
INSERT INTO webhook_digest_items (delivery_id, event_id, event_name, dispatch_id, whistle_id, occurred_at)
VALUES (@delivery_id, @event_id, @event_name, @dispatch_id, @whistle_id, @occurred_at)
ON CONFLICT (delivery_id, event_id) DO NOTHING;

-- name: DigestItems :many
SELECT * FROM webhook_digest_items WHERE delivery_id = @delivery_id ORDER BY id;

-- name: SealDigest :exec
UPDATE webhook_deliveries SET body = @body WHERE id = @id;

-- name: DigestDeliveryLog :many
-- Every attempt to post the digests that listed a dispatch, oldest first;
-- district_id '' means any district.
SELECT d.id AS delivery_id, d.event_name, d.status, e.kind, e.url, a.target, a.attempt, a.attempted_at, a.status_code, a.error
FROM webhook_digest_items i
JOIN webhook_deliveries d ON d.id = i.delivery_id
JOIN webhook_endpoints e ON e.id = d.endpoint_id
JOIN webhook_attempts a ON a.delivery_id = d.id
WHERE i.dispatch_id = @dispatch_id AND (@district_id::text = '' OR e.district_id = @district_id)
ORDER BY a.attempted_at, a.id;

-- name: UpsertConfiguredEndpoint :one
-- An endpoint from the configuration. A changed secret is rotated: the old one
-- keeps signing beside it until @previous_until (no overlap when that is now).
INSERT INTO webhook_endpoints (department, district_id, url, secret, enabled, created_at, kind)
VALUES (@department, @district_id, @url, @secret, true, @created_at, @kind)
ON CONFLICT (department, district_id, url) DO UPDATE SET kind = excluded.kind,
    previous_secret = CASE WHEN webhook_endpoints.secret <> excluded.secret THEN webhook_endpoints.secret
                           ELSE webhook_endpoints.previous_secret END,
    previous_secret_expires_at = CASE WHEN webhook_endpoints.secret <> excluded.secret THEN @previous_until::timestamptz
                                      ELSE webhook_endpoints.previous_secret_expires_at END,
    secret = excluded.secret, enabled = true
RETURNING id;

-- name: ClaimWebhookDelivery :one
-- Leases the oldest due delivery that no live lease holds, skipping the
-- endpoints in @busy (this worker's per-endpoint limit is reached). The lease
-- is on the database's real clock: it must outlast the post, which runs on
-- real time whatever the service's clock.
UPDATE webhook_deliveries AS w SET
    lease_token = @lease_token, lease_until = clock_timestamp() + make_interval(secs => @lease_seconds::float8)
FROM webhook_endpoints AS e
WHERE e.id = w.endpoint_id AND w.id = (
    SELECT d.id FROM webhook_deliveries d JOIN webhook_endpoints de ON de.id = d.endpoint_id
    WHERE d.status = 'pending' AND d.next_attempt_at <= @now AND de.enabled
      AND (d.lease_until IS NULL OR d.lease_until < clock_timestamp())
      AND NOT (d.endpoint_id = ANY (@busy::bigint[]))
    ORDER BY d.next_attempt_at
    LIMIT 1
    FOR UPDATE OF d SKIP LOCKED)
RETURNING w.id, w.endpoint_id, w.event_id, w.event_name, w.dispatch_id, w.body, w.attempts, w.digest, w.recipients,
          e.kind, e.url, e.secret, e.previous_secret, e.previous_secret_expires_at;

-- name: NextWebhookDeliveryDue :one
-- When the next delivery falls due that no live lease holds, outside @busy.
-- Deliveries to a disabled endpoint wait, unsent, until it is enabled again.
SELECT d.next_attempt_at FROM webhook_deliveries d JOIN webhook_endpoints e ON e.id = d.endpoint_id
WHERE d.status = 'pending' AND e.enabled
  AND (d.lease_until IS NULL OR d.lease_until < clock_timestamp())
  AND NOT (d.endpoint_id = ANY (@busy::bigint[]))
ORDER BY d.next_attempt_at LIMIT 1;

-- name: AddWebhookAttempt :exec
INSERT INTO webhook_attempts (delivery_id, attempt, attempted_at, status_code, error, webhook_timestamp, signature, target)
VALUES (@delivery_id, @attempt, @attempted_at, @status_code, @error, @webhook_timestamp, @signature, @target);

-- name: FinishWebhookAttempt :execrows
-- Records an attempt's outcome and ends the lease, if the lease is still
-- @lease_token's: a worker whose lease ran out (and was taken over) records nothing.
-- status is delivered, pending (retry at next_attempt_at) or dead.
UPDATE webhook_deliveries SET
    status = @status, attempts = @attempts, next_attempt_at = @next_attempt_at,
    last_status_code = @last_status_code, last_error = @last_error,
    delivered_at = CASE WHEN @status = 'delivered' THEN @attempted_at::timestamptz ELSE delivered_at END,
    lease_token = '', lease_until = NULL
WHERE id = @id AND lease_token = @lease_token;

-- name: SubscribedDesks :many
-- The department x district pairs with an enabled endpoint of any kind.
SELECT DISTINCT department, district_id FROM webhook_endpoints WHERE enabled;

-- name: OnDutyRecipients :many
-- The shifts on duty at @at at a desk with a contact for the channel: a
-- phone (@contact 'phone') or an e-mail address ('email').
SELECT id FROM roster_shifts
WHERE department = @department AND district_id = @district_id AND starts_at <= @at AND ends_at > @at
  AND CASE WHEN @contact::text = 'phone' THEN phone <> '' ELSE email <> '' END
ORDER BY seat, starts_at, id;

-- name: AddDigestRecipients :exec
-- A person-channel digest goes to everyone on duty for any event it collects.
UPDATE webhook_deliveries SET recipients = ARRAY(
    SELECT DISTINCT r FROM unnest(recipients || @recipients::text[]) AS r ORDER BY r)
WHERE id = @id;

-- name: ShiftContacts :many
-- The contacts of the given shifts, to send a message (never logged).
SELECT id, person, phone, email FROM roster_shifts WHERE id = ANY (@ids::text[]) ORDER BY seat, starts_at, id;

-- name: AddChannel :one
-- A channel added through the API (kind is not 'webhook'); url is the
-- robot's URL, or the kind for SMS and e-mail (one of each per desk).
INSERT INTO webhook_endpoints (department, district_id, url, secret, enabled, created_at, updated_at, source, kind)
VALUES (@department, @district_id, @url, @secret, true, @now, @now, 'api', @kind)
ON CONFLICT (department, district_id, url) DO NOTHING
RETURNING id, department, district_id, kind, url, secret <> '' AS signed, enabled, source, created_at, updated_at;

-- name: ListChannels :many
-- The channels, without their secrets; district_id '' means any district.
SELECT id, department, district_id, kind, url, secret <> '' AS signed, enabled, source, created_at, updated_at FROM webhook_endpoints
WHERE kind <> 'webhook' AND (@district_id::text = '' OR district_id = @district_id)
  AND (@department::text = '' OR department = @department)
ORDER BY district_id, department, kind, id;

-- name: UpdateChannel :one
-- Changes a channel's URL, secret (when given) or enabled.
UPDATE webhook_endpoints SET
    url = coalesce(sqlc.narg(url), url),
    secret = coalesce(sqlc.narg(secret), secret),
    enabled = coalesce(sqlc.narg(enabled), enabled),
    updated_at = @now::timestamptz
WHERE id = @id AND kind <> 'webhook'
RETURNING id, department, district_id, kind, url, secret <> '' AS signed, enabled, source, created_at, updated_at;

-- name: DeleteChannel :execrows
-- Deletes a channel with its deliveries and their log.
DELETE FROM webhook_endpoints WHERE id = @id AND kind <> 'webhook';
