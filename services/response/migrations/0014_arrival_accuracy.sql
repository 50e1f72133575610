-- The accuracy the desk's device reported for its check-in position, in
-- metres; NULL when it reported none or the desk arrived without a position
-- (arrival_lat and arrival_lng NULL with arrived_at set: an unlocated arrival).
ALTER TABLE dispatches ADD COLUMN arrival_accuracy_m double precision;
