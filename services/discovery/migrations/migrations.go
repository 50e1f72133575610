// Package migrations embeds the discovery schema's numbered SQL files.
package migrations

import (
	"embed"

	"github.com/chuishao/whistle/platform/postgres"
)

// FS holds the migrations, applied in file-name order by postgres.Migrate.
//
//go:embed *.sql
var FS embed.FS

// Set is discovery's migration set.
var Set = postgres.Migrations{Name: "discovery", FS: FS}
