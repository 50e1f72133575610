// Package migrations embeds the intake schema's numbered SQL files.
package migrations

import (
	"embed"

	"github.com/chuishao/whistle/platform/postgres"
)

// FS holds the migrations, applied in file-name order by postgres.Migrate.
//
//go:embed *.sql
var FS embed.FS

// Set is intake's migration set. pg_trgm backs the keyword search's trigram
// index (0009_search.sql).
var Set = postgres.Migrations{Name: "intake", FS: FS, Extensions: []string{"pg_trgm"}}
