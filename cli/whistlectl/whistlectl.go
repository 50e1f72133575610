// Package whistlectl runs the whistlectl command line in-process: the binary
// is a thin main around Run, and the end-to-end tests drive the very same
// commands against an in-process Whistle.
package whistlectl

import (
	"context"
	"io"
	"time"

	"github.com/chuishao/whistle/cli/internal/ctl"
)

// Run executes whistlectl with args (without the program name), reading
// WHISTLE_URL, WHISTLE_TOKEN and WHISTLE_CONFIG through getenv, and returns
// the process exit code.
func Run(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	return ctl.Execute(ctx, args, stdout, stderr, getenv)
}

// Clock paces a drill's replay (`whistlectl drill run`).
type Clock interface {
	Now() time.Time
	// Sleep waits d (a fake clock advances by d) or until ctx is done.
	Sleep(ctx context.Context, d time.Duration) error
}

// RunWithClock is Run with `drill run` paced by clock instead of the wall
// clock, so a test replays a recorded day on its fake clock.
func RunWithClock(ctx context.Context, clock Clock, args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	return ctl.ExecuteWithClock(ctx, clock, args, stdout, stderr, getenv)
}
