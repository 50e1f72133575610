-- The community level (issue 22 item 5): a whistle's point resolves to a
-- community (社区/村) from the published community boundaries, and the
-- catalogue's two community parties resolve to that community's own party:
-- 物业 (property-management) to the property company an admin registered for
-- the community, the community committee (community-committee) to the
-- committee's own desk, cc-<community code>. Without a community (none
-- loaded, or the point in none) or without a registered company, the district
-- desk of the party itself takes the dispatch.

-- What kind of party a department row is: an administrative department, a
-- property company (物业公司), or the district desk of community committees.
ALTER TABLE departments ADD COLUMN kind text NOT NULL DEFAULT 'department'
    CHECK (kind IN ('department', 'property', 'committee'));
UPDATE departments SET kind = 'property' WHERE code = 'property-management';

INSERT INTO departments (code, name, name_en, kind)
VALUES ('community-committee', '社区居委会', 'Community committee', 'committee')
ON CONFLICT (code) DO NOTHING;

-- The registry's generation, bumped by every registration, so each
-- replica's jurisdiction cache (which holds the registry in memory) sees a
-- change with its per-batch stamp query. One row.
CREATE TABLE community_registry (
    id         boolean PRIMARY KEY DEFAULT true CHECK (id),
    generation bigint NOT NULL DEFAULT 0
);
INSERT INTO community_registry DEFAULT VALUES;

-- The property company of each community: one per community, a company may
-- serve many communities (and a district many companies).
CREATE TABLE community_properties (
    community_code text PRIMARY KEY,            -- twelve-digit community code
    department     text NOT NULL REFERENCES departments (code),
    registered_at  timestamptz NOT NULL,
    registered_by  text NOT NULL
);

CREATE INDEX community_properties_department_idx ON community_properties (department, community_code);

-- The community the whistle's point resolved to ('' when none did), and
-- how: inside, none (in no loaded community), unmapped (no community
-- boundary loaded); '' for decisions made before communities.
ALTER TABLE routing_decisions
    ADD COLUMN community_code text NOT NULL DEFAULT '',
    ADD COLUMN community_name text NOT NULL DEFAULT '',
    ADD COLUMN community_result text NOT NULL DEFAULT '';
