// Package whistlectl runs the whistlectl command line in-process: the binary
// is a thin main around Run, and the end-to-end tests drive the very same
// commands against an in-process Whistle.
package whistlectl

import (
	"context"
	"io"

	"github.com/chuishao/whistle/cli/internal/ctl"
)

// Run executes whistlectl with args (without the program name), reading
// WHISTLE_URL, WHISTLE_TOKEN and WHISTLE_CONFIG through getenv, and returns
// the process exit code.
func Run(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	return ctl.Execute(ctx, args, stdout, stderr, getenv)
}
