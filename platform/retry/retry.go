// Package retry keeps a loop running through failures.
package retry

import (
	"context"
	"log/slog"
	"time"
)

// Forever runs fn until ctx is cancelled, running it again after each
// failure, with a backoff that grows from 100 ms to 5 s. It is for the loops
// whose work waits durably while they reconnect (platform/worker's loops, the
// consumers' sessions): a failure delays them, it loses nothing.
func Forever(ctx context.Context, log *slog.Logger, what string, fn func(context.Context) error) error {
	wait := 100 * time.Millisecond
	for {
		err := fn(ctx)
		if ctx.Err() != nil {
			return nil
		}
		log.Warn(what, "err", err, "retry_in", wait)
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(wait):
		}
		wait = min(wait*2, 5*time.Second)
	}
}
