package bus_test

import (
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/stretchr/testify/require"

	"github.com/chuishao/whistle/platform/bus"
	"github.com/chuishao/whistle/platform/bus/natstest"
)

// mirror is a bus.Mirror of ints that the test reads.
type mirror struct {
	mu    sync.Mutex
	set   map[string]int
	fresh time.Time
}

func (m *mirror) Replace(set map[string]int) { m.mu.Lock(); m.set = set; m.mu.Unlock() }
func (m *mirror) Fresh(at time.Time)         { m.mu.Lock(); m.fresh = at; m.mu.Unlock() }
func (m *mirror) Set(key string, v *int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if v == nil {
		delete(m.set, key)
	} else {
		m.set[key] = *v
	}
}

func (m *mirror) snapshot() (map[string]int, time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := map[string]int{}
	for k, v := range m.set {
		out[k] = v
	}
	return out, m.fresh
}

// A mirror replays the bucket (without the heartbeat key, with the
// heartbeat's time as fresh, without what it cannot read), then follows its
// puts and deletes; a bucket whose owner goes silent ends the watch.
func TestAMirrorReplaysThenFollowsItsBucket(t *testing.T) {
	t.Parallel()
	_, js, err := bus.Connect(natstest.Start(t), "mirror-test")
	require.NoError(t, err)
	ctx := t.Context()
	kv, err := js.CreateKeyValue(ctx, jetstream.KeyValueConfig{Bucket: "MIRROR_TEST"})
	require.NoError(t, err)
	put := func(k, v string) {
		_, err := kv.PutString(ctx, k, v)
		require.NoError(t, err)
	}
	put("a", "1")
	put("b", "2")
	put("bad", "not a number")
	put("_live", "")
	require.NoError(t, kv.Delete(ctx, "b"))

	m := &mirror{}
	var skipped []string
	done := make(chan error, 1)
	go func() {
		done <- bus.WatchMirror(ctx, bus.MirrorWatch[int]{
			KV: kv, Heartbeat: "_live", MaxStale: 2 * time.Second, Now: time.Now,
			Decode:  func(_ string, v []byte) (int, error) { return strconv.Atoi(string(v)) },
			Skipped: func(key string, _ error) { skipped = append(skipped, key) },
		}, m)
	}()
	require.Eventually(t, func() bool { set, fresh := m.snapshot(); return len(set) == 1 && !fresh.IsZero() }, 5*time.Second, 10*time.Millisecond)
	set, _ := m.snapshot()
	require.Equal(t, map[string]int{"a": 1}, set)

	put("c", "3")
	require.NoError(t, kv.Delete(ctx, "a"))
	require.Eventually(t, func() bool { set, _ := m.snapshot(); return len(set) == 1 && set["c"] == 3 }, 5*time.Second, 10*time.Millisecond)
	require.Equal(t, []string{"bad"}, skipped)

	select {
	case err := <-done:
		require.Error(t, err, "no heartbeat for MaxStale ends the watch")
	case <-time.After(10 * time.Second):
		require.Fail(t, "the watch did not end without a heartbeat")
	}
}
