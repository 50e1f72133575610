// Package migrations holds the response schema's SQL migrations.
package migrations

import "embed"

// FS holds the numbered migration files, applied in name order.
//
//go:embed *.sql
var FS embed.FS
