-- The joint board (联合执法, issue 24): the notes the departments of a whistle
-- and its supervisors leave each other, and the lead department's mark that
-- the joint action is done. Both are also events on the whistle's timeline;
-- these rows are what the board reads.

CREATE TABLE board_notes (
    id          uuid PRIMARY KEY,
    whistle_id  text NOT NULL,
    district_id text NOT NULL,
    -- The author's department; '' for a supervisor.
    department  text NOT NULL,
    author_role text NOT NULL,
    author_id   text NOT NULL,
    body        text NOT NULL,
    created_at  timestamptz NOT NULL,
    -- The thread's order: notes written in the same instant keep the order they were added in.
    seq         bigint GENERATED ALWAYS AS IDENTITY
);
CREATE INDEX board_notes_whistle ON board_notes (whistle_id, seq);

CREATE TABLE joint_completions (
    whistle_id   text PRIMARY KEY,
    completed_by text NOT NULL,
    completed_at timestamptz NOT NULL
);
