package bus_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"

	"github.com/chuishao/whistle/platform/bus"
	"github.com/chuishao/whistle/proto/events"
	eventsv1 "github.com/chuishao/whistle/proto/gen/whistle/events/v1"
)

var districts = []string{"110101", "110102", "110105", "110106", "110107", "110108", "110109", "110111",
	"110112", "110113", "110114", "110115", "110116", "110117", "110118", "110119"}

func TestPartitionedReplicasShareTheWorkAndTakeOverFromOneThatStops(t *testing.T) {
	t.Parallel()
	e := setup(t)
	_, err := e.pool.Exec(t.Context(), "CREATE TABLE effects (event_id text, replica text, district text)")
	require.NoError(t, err)
	const partitions = 4
	opts := bus.Options{Partitions: partitions, Rebalance: 50 * time.Millisecond}
	replica := func(ctx context.Context, name string) {
		_ = opts.Consume(ctx, e.js, e.pool, e.log.With("replica", name), bus.Consumer{Name: "c", Subjects: []string{"whistle.v1.>"},
			Handle: func(ctx context.Context, tx pgx.Tx, ev *eventsv1.Event) error {
				_, err := tx.Exec(ctx, "INSERT INTO effects VALUES ($1, $2, $3)", ev.GetId(), name, ev.GetDistrictId())
				return err
			}})
	}
	ctxA, stopA := context.WithCancel(t.Context())
	defer stopA()
	ctxB, stopB := context.WithCancel(t.Context())
	defer stopB()
	doneA := make(chan struct{})
	go func() { defer close(doneA); replica(ctxA, "a") }()
	go replica(ctxB, "b")

	published := 0
	round := func() {
		for _, d := range districts {
			publish(t, e, raised(d), "")
			published++
		}
	}
	count := func(query string, args ...any) int {
		var n int
		require.NoError(t, e.pool.QueryRow(t.Context(), query, args...).Scan(&n))
		return n
	}
	// Both replicas end up with partitions of their own and handle events.
	require.Eventually(t, func() bool {
		round()
		return count("SELECT count(DISTINCT replica) FROM effects") == 2
	}, 30*time.Second, 200*time.Millisecond)
	require.Eventually(t, func() bool { return count("SELECT count(*) FROM effects") == published }, 20*time.Second, 20*time.Millisecond)
	require.Equal(t, published, count("SELECT count(DISTINCT event_id) FROM effects"), "each event handled once")

	// A stops: B takes over every partition and nothing is lost or doubled.
	stopA()
	<-doneA
	before := count("SELECT count(*) FROM effects WHERE replica = 'b'")
	round()
	require.Eventually(t, func() bool { return count("SELECT count(*) FROM effects") == published }, 30*time.Second, 20*time.Millisecond)
	require.Equal(t, published, count("SELECT count(DISTINCT event_id) FROM effects"))
	require.Equal(t, before+len(districts), count("SELECT count(*) FROM effects WHERE replica = 'b'"), "B handled the last round")
	for k := range partitions {
		drained(t, e, bus.PartitionStream, bus.PartitionConsumer("c", k))
	}
}

// TestEveryEventTypeReachesThePartitionStream: a partitioned consumer sees an
// event only if the partition stream's transforms map its subject, so every
// event type of events.proto must be mapped, and to one partition per district.
func TestEveryEventTypeReachesThePartitionStream(t *testing.T) {
	t.Parallel()
	e := setup(t)
	ctx := t.Context()
	require.NoError(t, bus.EnsurePartitionStream(ctx, e.js, 4))
	fields := (&eventsv1.Event{}).ProtoReflect().Descriptor().Oneofs().ByName("payload").Fields()
	for i := range fields.Len() {
		ev := raised("110105")
		ev.Department = "police"
		m := ev.ProtoReflect()
		f := fields.Get(i)
		m.Set(f, m.NewField(f))
		subject, err := events.Subject(ev)
		require.NoError(t, err)
		data, err := proto.Marshal(ev)
		require.NoError(t, err)
		_, err = e.js.Publish(ctx, subject, data, jetstream.WithMsgID(ev.GetId()))
		require.NoError(t, err, subject)
	}
	parts, err := e.js.Stream(ctx, bus.PartitionStream)
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		info, err := parts.Info(ctx)
		return err == nil && info.State.Msgs == uint64(fields.Len())
	}, 10*time.Second, 20*time.Millisecond)
	info, err := parts.Info(ctx, jetstream.WithSubjectFilter("part.>"))
	require.NoError(t, err)
	partitions := map[string]bool{}
	for subject := range info.State.Subjects {
		partitions[strings.Split(subject, ".")[1]] = true
	}
	require.Len(t, partitions, 1, "one district, one partition: %v", info.State.Subjects)
}
