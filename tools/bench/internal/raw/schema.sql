-- The raw baseline's scratch tables: one business row and one outbox row per
-- transaction, shaped like a service's whistle insert plus platform outbox.
CREATE TABLE bench_rows (
    id          uuid PRIMARY KEY,
    street_id   text NOT NULL,
    category    text NOT NULL,
    description text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE bench_outbox (
    id         bigserial PRIMARY KEY,
    event_id   uuid NOT NULL UNIQUE,
    subject    text NOT NULL,
    payload    bytea NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
