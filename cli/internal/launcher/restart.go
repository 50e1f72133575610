package launcher

import (
	"context"
	"sync"
	"time"

	"github.com/chuishao/whistle/platform/clock"
)

// Backoff is how long a crashed service waits before it is started again.
type Backoff struct {
	// Initial is the first wait; a crash soon after a restart doubles the
	// previous wait, up to Max.
	Initial, Max time.Duration
	// Reset is how long a service must stay up for its next crash to wait
	// Initial again.
	Reset time.Duration
}

// DefaultBackoff restarts a crashed service after 1 s, 2 s, 4 s … 30 s while
// it keeps crashing, and after 1 s again once it has run for a minute.
var DefaultBackoff = Backoff{Initial: time.Second, Max: 30 * time.Second, Reset: time.Minute}

// next is the wait after a crash of a service that ran for ran since it was
// last started, when the wait before that start was prev (0: none yet).
func (b Backoff) next(prev, ran time.Duration) time.Duration {
	if prev == 0 || ran >= b.Reset {
		return b.Initial
	}
	return min(prev*2, b.Max)
}

// keepRunning restarts every child of procs that exits, after the backoff on
// clk, until ctx ends; the others run on untouched. Everything the services
// promise survives a crash (the outbox, durable consumers, timers in
// Postgres), so a restarted service picks up where it stopped.
func keepRunning(ctx context.Context, sup *Supervisor, procs []Process, b Backoff, clk clock.Clock) {
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer func() {
		cancel()
		wg.Wait()
	}()
	byName := map[string]Process{}
	started := map[string]time.Time{}
	wait := map[string]time.Duration{}
	for _, p := range procs {
		byName[p.Name] = p
		started[p.Name] = clk.Now()
	}
	// At most one restart of each child is pending, so sends never block.
	due := make(chan string, len(procs))
	later := func(name string) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case <-clk.After(wait[name]):
				due <- name
			case <-ctx.Done():
			}
		}()
	}
	for {
		select {
		case <-ctx.Done():
			return
		case e := <-sup.Exits():
			wait[e.Name] = b.next(wait[e.Name], clk.Now().Sub(started[e.Name]))
			sup.Printf("%s exited (%s); restarting in %v", e.Name, exitReason(e), wait[e.Name])
			later(e.Name)
		case name := <-due:
			p := byName[name]
			if err := sup.Start(p.Name, p.Binary, p.Env); err != nil {
				wait[name] = b.next(wait[name], 0)
				sup.Printf("%v; trying again in %v", err, wait[name])
				later(name)
				continue
			}
			started[name] = clk.Now()
			sup.Printf("%s restarted", name)
		}
	}
}
