-- Channels (issue 21): messages to people where they are. A channel is an
-- endpoint of another kind — an SMS provider, a 企业微信 or 钉钉 group robot, or
-- e-mail — queued, retried, throttled, digested and logged by the same
-- delivery machinery as the webhooks. SMS and e-mail go to the people on duty
-- when the event came (recipients: roster shift ids, never contact details,
-- which are read from the roster when sending). Channels come from
-- WHISTLE_CHANNELS only; the endpoint API manages kind 'webhook'.

ALTER TABLE webhook_endpoints ADD COLUMN kind text NOT NULL DEFAULT 'webhook'
    CHECK (kind IN ('webhook', 'aliyun-sms', 'tencent-sms', 'wecom', 'dingtalk', 'email'));

ALTER TABLE webhook_deliveries ADD COLUMN recipients text[] NOT NULL DEFAULT '{}';

-- Where an attempt went, as the delivery log shows it: contact details masked.
ALTER TABLE webhook_attempts ADD COLUMN target text NOT NULL DEFAULT '';

-- The on-duty person's e-mail beside the phone (both optional; only
-- supervisors of the district and admins read them unmasked).
ALTER TABLE roster_shifts ADD COLUMN email text NOT NULL DEFAULT '';
