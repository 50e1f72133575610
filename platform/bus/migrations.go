package bus

import (
	"embed"
	"io/fs"

	"github.com/chuishao/whistle/platform/postgres"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Migrations creates the outbox and processed-events tables in a service's
// schema; every service applies them before its own.
var Migrations = postgres.Migrations{Name: "platform", FS: mustSub(migrationFiles, "migrations")}

func mustSub(f fs.FS, dir string) fs.FS {
	sub, err := fs.Sub(f, dir)
	if err != nil {
		panic(err)
	}
	return sub
}
