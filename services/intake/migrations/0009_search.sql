-- Server-side search of whistles (docs/decisions.md "Search and registers").
--
-- Keywords: a trigram index over title, description and address. pg_trgm
-- splits Chinese text into trigrams of characters, so LIKE '%占道经营%' is
-- answered from the index; a pattern of fewer than three characters has no
-- trigram and is filtered on the rows the other conditions leave.
-- pg_trgm itself is created by the migrating admin (migrations.Set).
CREATE INDEX whistles_text_trgm ON whistles
    USING gin ((title || ' ' || description || ' ' || address) gin_trgm_ops);

-- Filters the search uses beside the period.
CREATE INDEX whistles_category_raised ON whistles (category, raised_at DESC, id DESC);

-- Breach filter: whether any SLA clock of the dispatch breached, kept from the
-- snapshot response's dispatch.* and sla.* events carry (Dispatch.breaches).
ALTER TABLE dispatches ADD COLUMN breached boolean NOT NULL DEFAULT false;
CREATE INDEX dispatches_breached ON dispatches (whistle_id) WHERE breached;
CREATE INDEX dispatches_department ON dispatches (department, whistle_id);
