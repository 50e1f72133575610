-- Hotspots over the whole city (a city supervisor, or one naming only a
-- category or a street): the period's facts by time alone. The district
-- indexes lead with district_id, so without these the analysis read every
-- fact ever recorded. The included columns are all the analysis reads, so
-- the period is read from the index alone (the facts rarely change once
-- written, so the pages stay all-visible).
CREATE INDEX whistle_facts_time ON whistle_facts (raised_at) INCLUDE (district_id, street_id, category, whistle_id);
CREATE INDEX report_facts_time ON report_facts (received_at) INCLUDE (district_id, street_id, category, source);
