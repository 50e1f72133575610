-- processed_events is pruned by age (bus.Pruner). Rows are inserted in
-- processed_at order, so a BRIN index finds the old ones while costing the
-- consumers' inserts next to nothing (a B-tree would be one more index write
-- per event handled).
CREATE INDEX processed_events_processed_at ON processed_events USING brin (processed_at) WITH (autosummarize = on);
