-- Real boundaries of administrative units (issue 22): an admin imports a
-- GeoJSON file into the one draft, previews what it changes, and publishes it
-- as the next version. Each published version holds every imported unit (a
-- full copy: versions are few and a diff is then a plain comparison). Where
-- no version holds a street, its seeded (synthetic) boundary stands in.
CREATE TABLE boundary_versions (
    version       text PRIMARY KEY,          -- 'draft', or b1, b2, ...
    number        integer NOT NULL UNIQUE,   -- 0 for the draft, n for bn
    description   text NOT NULL DEFAULT '',
    source_sha256 text NOT NULL DEFAULT '',  -- of the last file imported into it
    imported_at   timestamptz NOT NULL,
    imported_by   text NOT NULL,
    published_at  timestamptz,
    published_by  text NOT NULL DEFAULT '',
    CHECK ((version = 'draft') = (number = 0))
);

CREATE TABLE boundary_units (
    version     text NOT NULL REFERENCES boundary_versions (version) ON DELETE CASCADE,
    level       text NOT NULL CHECK (level IN ('district', 'street', 'community', 'grid')),
    code        text NOT NULL,
    name        text NOT NULL,
    parent_code text NOT NULL DEFAULT '',
    geometry    jsonb NOT NULL,              -- GeoJSON MultiPolygon, WGS-84
    -- Where the unit is labelled and stands in for an address: a point inside it.
    centroid_lat double precision NOT NULL,
    centroid_lng double precision NOT NULL,
    PRIMARY KEY (version, level, code)
);

-- The units of the version in force: the latest published one.
CREATE VIEW current_boundary_units AS
SELECT u.*
FROM boundary_units u
WHERE u.version = (SELECT v.version FROM boundary_versions v WHERE v.number > 0 ORDER BY v.number DESC LIMIT 1);
