// Package migrations holds the feedback schema's numbered SQL files.
package migrations

import "embed"

// FS is applied by postgres.Migrate in file-name order; files are never edited once landed.
//
//go:embed *.sql
var FS embed.FS
