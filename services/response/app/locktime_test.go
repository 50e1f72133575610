package app_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/chuishao/whistle/platform/postgres"
	"github.com/chuishao/whistle/proto/events"
	responsev1 "github.com/chuishao/whistle/proto/gen/whistle/response/v1"
	"github.com/chuishao/whistle/services/response/app"
)

// A desk that reports its arrival at minute 29 is on time even when its
// request waits for the dispatch's row (held by another transaction) until
// after the 30-minute deadline: the arrival is dated when the desk asked.
func TestArrivalThatWaitedOnALockIsDatedWhenTheDeskAsked(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a := e.start()
	created := e.watch(events.SubjectFor("dispatch.created"))
	d := e.createDispatch(created, e.request("d-wait", "w-wait", department))
	cli, ctx := e.client(a, deskOf(department, district))
	e.clk.Advance(2 * time.Minute)
	_, err := cli.AcknowledgeDispatch(ctx, &responsev1.AcknowledgeDispatchRequest{Id: d.GetId()})
	require.NoError(t, err)
	e.clk.Advance(27 * time.Minute)
	asked := e.clk.Now()

	pool, err := postgres.Connect(e.ctx, e.cfg.DatabaseURL, app.Name)
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	holder, err := pool.Begin(e.ctx)
	require.NoError(t, err)
	_, err = holder.Exec(e.ctx, "SELECT 1 FROM dispatches WHERE id = $1 FOR UPDATE", d.GetId())
	require.NoError(t, err)

	answered := make(chan error, 1)
	go func() {
		_, err := cli.ArriveDispatch(ctx, &responsev1.ArriveDispatchRequest{Id: d.GetId(), Location: whistleLocation})
		answered <- err
	}()
	// The arrival is waiting on the row lock.
	require.Eventually(t, func() bool {
		var waiting int
		err := pool.QueryRow(context.Background(), `SELECT count(*) FROM pg_stat_activity
			WHERE datname = current_database() AND wait_event_type = 'Lock'`).Scan(&waiting)
		return err == nil && waiting > 0
	}, 10*time.Second, 10*time.Millisecond)
	e.clk.Advance(2 * time.Minute) // past the arrival deadline while it waits
	require.NoError(t, holder.Commit(e.ctx))
	require.NoError(t, <-answered)

	got, err := cli.GetDispatch(ctx, &responsev1.GetDispatchRequest{Id: d.GetId()})
	require.NoError(t, err)
	require.Equal(t, responsev1.Dispatch_ARRIVED, got.GetStatus())
	require.True(t, got.GetArrivedAt().AsTime().Equal(asked), "arrived at %v, asked at %v", got.GetArrivedAt().AsTime(), asked)
	require.False(t, got.GetArrivedAt().AsTime().After(got.GetDeadlines().GetArriveBy().AsTime()), "on time")
	// Its snapshot's time never goes back, so projections keep it.
	require.False(t, got.GetUpdatedAt().AsTime().Before(got.GetArrivedAt().AsTime()))
}
