-- The raising street confirms a location the map check flagged.
ALTER TABLE routing_decisions
    ADD COLUMN location_confirmed_at timestamptz,
    ADD COLUMN location_confirmed_by text NOT NULL DEFAULT '';
