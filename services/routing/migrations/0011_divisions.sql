-- Beijing's official administrative units (issue 22): districts, streets and
-- towns, communities and villages with their statistical codes and names,
-- loaded by the seed from internal/seed/divisions. Operations still run on
-- the streets table (a street with a desk, a centroid and a boundary); this
-- is the reference an import's codes and parents are checked against and the
-- list the map shows units without a boundary from.
CREATE TABLE divisions (
    code        text PRIMARY KEY,
    level       text NOT NULL CHECK (level IN ('district', 'street', 'community')),
    name        text NOT NULL,
    parent_code text NOT NULL DEFAULT ''
);

CREATE INDEX divisions_parent_idx ON divisions (parent_code, code);
