-- Timeline hashes are keyed (HMAC-SHA256 under a key the database does not
-- hold); key_id names the key an entry was sealed with. Entries written
-- before have key_id '' and stay reported by audit:verify until the feedback
-- service re-keys them (WHISTLE_TIMELINE_REKEY, docs/operations.md).
ALTER TABLE timeline_entries ADD COLUMN key_id text NOT NULL DEFAULT '';
