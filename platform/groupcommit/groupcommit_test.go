package groupcommit

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
)

// blocked starts a lone request -1 (which the test's Alone holds in b's only
// slot), then queues reqs behind it and waits until they all wait.
func blocked(t *testing.T, b *Batcher[int, string], reqs []int) (answers func() map[int]Outcome[string]) {
	t.Helper()
	var mu sync.Mutex
	got := map[int]Outcome[string]{}
	var wg sync.WaitGroup
	do := func(r int) {
		defer wg.Done()
		v, err := b.Do(context.Background(), r)
		mu.Lock()
		got[r] = Outcome[string]{Value: v, Err: err}
		mu.Unlock()
	}
	wg.Add(1)
	go do(-1)
	for b.Waiting() == 0 && !b.busy() {
		runtime.Gosched()
	}
	for _, r := range reqs {
		wg.Add(1)
		go do(r)
	}
	for b.Waiting() < len(reqs) {
		runtime.Gosched()
	}
	return func() map[int]Outcome[string] { wg.Wait(); return got }
}

func (b *Batcher[Req, Resp]) busy() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.running > 0
}

func TestRequestsThatWaitedRunAsOneGroupEachWithItsOwnAnswer(t *testing.T) {
	t.Parallel()
	var groups [][]int
	release := make(chan struct{})
	b := &Batcher[int, string]{Slots: 1, Max: 3}
	b.Alone = func(_ context.Context, r int) (string, error) {
		if r == -1 {
			<-release
		}
		return fmt.Sprint("alone ", r), nil
	}
	b.Group = func(_ context.Context, reqs []Request[int]) ([]Outcome[string], error) {
		var g []int
		outs := make([]Outcome[string], len(reqs))
		for i, r := range reqs {
			g = append(g, r.Req)
			outs[i].Value = fmt.Sprint("group ", r.Req)
			if r.Req == 2 {
				outs[i].Err = errors.New("illegal")
			}
		}
		groups = append(groups, g)
		return outs, nil
	}
	answers := blocked(t, b, []int{1, 2, 3, 4})
	close(release)
	got := answers()
	require.Equal(t, "alone -1", got[-1].Value, "a lone request runs alone, at once")
	require.Len(t, groups, 1, "the waiting requests ran in groups of at most Max, the last one alone")
	require.Len(t, groups[0], 3)
	for _, r := range groups[0] {
		require.Equal(t, fmt.Sprint("group ", r), got[r].Value)
	}
	require.EqualError(t, got[2].Err, "illegal", "one request's failure is its own")
	require.NoError(t, got[1].Err)
	require.Equal(t, 0, b.Waiting())
	require.False(t, b.busy(), "the slot is free again")
}

func TestAFailedGroupRunsEachRequestAlone(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	b := &Batcher[int, string]{Slots: 1}
	b.Alone = func(_ context.Context, r int) (string, error) {
		if r == -1 {
			<-release
		}
		if r == 2 {
			return "", errors.New("bad request")
		}
		return fmt.Sprint("alone ", r), nil
	}
	b.Group = func(context.Context, []Request[int]) ([]Outcome[string], error) {
		return nil, errors.New("constraint violated")
	}
	answers := blocked(t, b, []int{1, 2, 3})
	close(release)
	got := answers()
	require.Equal(t, "alone 1", got[1].Value)
	require.EqualError(t, got[2].Err, "bad request")
	require.Equal(t, "alone 3", got[3].Value)
}

func TestACallerGivingUpWhileWaitingIsNotRun(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	var ran sync.Map
	b := &Batcher[int, string]{Slots: 1}
	b.Alone = func(_ context.Context, r int) (string, error) {
		ran.Store(r, true)
		if r == -1 {
			<-release
		}
		return "", nil
	}
	done := make(chan struct{})
	go func() { _, _ = b.Do(context.Background(), -1); close(done) }()
	for !b.busy() {
		runtime.Gosched()
	}
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error)
	go func() { _, err := b.Do(ctx, 1); errc <- err }()
	for b.Waiting() == 0 {
		runtime.Gosched()
	}
	cancel()
	require.ErrorIs(t, <-errc, context.Canceled)
	close(release)
	<-done
	_, ok := ran.Load(1)
	require.False(t, ok)
}
