-- Intake's copy of each dispatch is rewritten at every desk action (acknowledged,
-- arrived, resolved): its status and snapshot change, no indexed column does.
-- Free space kept in each page lets those updates stay on the page (HOT) instead
-- of writing new entries into both indexes. Applies to pages written from now on.
ALTER TABLE dispatches SET (fillfactor = 70);
