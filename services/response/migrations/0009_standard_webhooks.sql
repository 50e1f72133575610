-- Standard Webhooks: a secret being rotated out keeps signing, beside the new
-- one, until previous_secret_expires_at; deliveries are leased by a worker
-- (real time, so a crashed worker's claims come back) and posted outside any
-- transaction; every attempt logs the timestamp and signatures it sent.

ALTER TABLE webhook_endpoints ADD COLUMN previous_secret text NOT NULL DEFAULT '';
ALTER TABLE webhook_endpoints ADD COLUMN previous_secret_expires_at timestamptz;

ALTER TABLE webhook_deliveries ADD COLUMN lease_token text NOT NULL DEFAULT '';
ALTER TABLE webhook_deliveries ADD COLUMN lease_until timestamptz;

ALTER TABLE webhook_attempts ADD COLUMN webhook_timestamp bigint NOT NULL DEFAULT 0;
ALTER TABLE webhook_attempts ADD COLUMN signature text NOT NULL DEFAULT '';
