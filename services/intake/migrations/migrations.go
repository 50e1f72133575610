// Package migrations embeds the intake schema's numbered SQL files.
package migrations

import "embed"

// FS holds the migrations, applied in file-name order by postgres.Migrate.
//
//go:embed *.sql
var FS embed.FS
