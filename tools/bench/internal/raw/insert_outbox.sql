INSERT INTO bench_outbox (event_id, subject, payload) VALUES ($1, $2, $3)
