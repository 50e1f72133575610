-- The community (社区/村) of the whistle's point, as routing resolved it and
-- its dispatch request carries it (issue 22 item 5): shown with the dispatch
-- to its desk. '' when none, and for dispatches created before.
ALTER TABLE dispatches
    ADD COLUMN community_code text NOT NULL DEFAULT '',
    ADD COLUMN community_name text NOT NULL DEFAULT '';
