-- Outbox events the relay could never publish (too large for the server, a
-- bad subject, undecodable headers): moved here so the events behind them go
-- on, kept with the error until an operator replays or deletes them.
CREATE TABLE outbox_dead_letters (
    event_id   text        PRIMARY KEY,
    subject    text        NOT NULL,
    payload    bytea       NOT NULL,
    headers    jsonb       NOT NULL,
    error      text        NOT NULL,
    created_at timestamptz NOT NULL,
    failed_at  timestamptz NOT NULL DEFAULT now()
);
