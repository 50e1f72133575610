-- How the desk's arrival checked out: farther from the whistle than the
-- response service allows, or without a position at all. Counted per
-- department in the scorecards (far_arrivals, unlocated_arrivals); the SLA
-- report and its daily roll-up do not count them. Dispatch snapshots carry
-- both (arrival_far, arrival_unlocated), so a rebuild fills them for the past.
ALTER TABLE dispatch_facts
    ADD COLUMN arrival_far       boolean NOT NULL DEFAULT false,
    ADD COLUMN arrival_unlocated boolean NOT NULL DEFAULT false;
