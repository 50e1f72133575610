-- The whistle.reopened events routing has dispatched a round for, kept for
-- good (reopens are few): a copy of one, however late it comes (processed
-- events are pruned), dispatches no further round.
CREATE TABLE reopens_handled (
    event_id   text        PRIMARY KEY,
    whistle_id text        NOT NULL,
    handled_at timestamptz NOT NULL DEFAULT now()
);
