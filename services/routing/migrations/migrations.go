// Package migrations holds the routing schema's numbered SQL files.
package migrations

import "embed"

// FS is the routing schema's migrations, applied in file-name order.
//
//go:embed *.sql
var FS embed.FS
