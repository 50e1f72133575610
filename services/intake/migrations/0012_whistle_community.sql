-- The community (社区/村) routing resolved the whistle's point to, recorded
-- when the whistle is routed (issue 22 item 5); '' before, and when the point
-- lies in no community or no community boundary is loaded.
ALTER TABLE whistles
    ADD COLUMN community_code text NOT NULL DEFAULT '',
    ADD COLUMN community_name text NOT NULL DEFAULT '';
