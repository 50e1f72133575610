-- A dispatch's timer row is written in the same transaction as the dispatch
-- (creation, desk actions, firing) and dispatches are never deleted, so the
-- foreign key only cost a lookup of the dispatch per timer write; the code
-- that writes both keeps them whole (docs/decisions.md).
ALTER TABLE timers DROP CONSTRAINT timers_dispatch_id_fkey;
