-- The transactional outbox: events written in the same transaction as the
-- state change they describe, published to JetStream by the relay.
CREATE TABLE outbox (
    id         bigserial PRIMARY KEY,
    event_id   text        NOT NULL UNIQUE,
    subject    text        NOT NULL,
    payload    bytea       NOT NULL,
    headers    jsonb       NOT NULL DEFAULT '{}',
    created_at timestamptz NOT NULL DEFAULT now()
);

-- Events a consumer has handled, so a redelivered event is acknowledged and skipped.
CREATE TABLE processed_events (
    consumer     text        NOT NULL,
    event_id     text        NOT NULL,
    processed_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (consumer, event_id)
);
