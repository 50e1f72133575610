INSERT INTO bench_rows (id, street_id, category, description) VALUES ($1, $2, $3, $4)
