// Package store is the feedback schema's SQL (queries.sql), compiled by sqlc
// into the generated Queries; regenerate with `sqlc generate` in this directory.
package store
