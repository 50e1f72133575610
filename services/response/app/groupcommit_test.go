package app_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"

	"github.com/chuishao/whistle/platform/postgres"
	"github.com/chuishao/whistle/proto/events"
	responsev1 "github.com/chuishao/whistle/proto/gen/whistle/response/v1"
	"github.com/chuishao/whistle/services/response/app"
)

// Many desks acting at once, while the service is busy, commit in groups:
// each still gets its own answer, each change is one event, a repeat is no
// second event, an illegal move or an unknown dispatch is answered alone, and
// an action the database refuses fails alone while its neighbours commit.
func TestConcurrentDeskActionsEachGetTheirOwnAnswerAndOneEvent(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a := e.start()
	created := e.watch(events.SubjectFor("dispatch.created"))
	const n = 20
	for _, id := range []string{"d-block", "d-illegal", "d-poison"} {
		e.createDispatch(created, e.request(id, "w-"+id, department))
	}
	e.createDispatch(created, e.request("d-water", "w-water", "water"))
	for i := range n {
		e.createDispatch(created, e.request(fmt.Sprintf("d-%02d", i), fmt.Sprintf("w-%02d", i), department))
	}
	cli, ctx := e.client(a, deskOf(department, district))
	_, err := cli.AcknowledgeDispatch(ctx, &responsev1.AcknowledgeDispatchRequest{Id: "d-poison"})
	require.NoError(t, err)
	e.clk.Advance(3 * time.Minute)
	asked := e.clk.Now()

	// Busy the service: two actions wait on a row another transaction holds,
	// so the actions below gather behind them.
	pool, err := postgres.Connect(e.ctx, e.cfg.DatabaseURL, app.Name)
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	holder, err := pool.Begin(e.ctx)
	require.NoError(t, err)
	_, err = holder.Exec(e.ctx, "SELECT 1 FROM dispatches WHERE id = 'd-block' FOR UPDATE")
	require.NoError(t, err)
	var wg sync.WaitGroup
	ack := func(id string) (*responsev1.Dispatch, error) {
		return cli.AcknowledgeDispatch(ctx, &responsev1.AcknowledgeDispatchRequest{Id: id})
	}
	for range 2 {
		wg.Add(1)
		go func() { defer wg.Done(); _, err := ack("d-block"); require.NoError(t, err) }()
	}
	require.Eventually(t, func() bool {
		var waiting int
		err := pool.QueryRow(context.Background(), `SELECT count(*) FROM pg_stat_activity
			WHERE datname = current_database() AND wait_event_type = 'Lock'`).Scan(&waiting)
		return err == nil && waiting >= 2
	}, 10*time.Second, 10*time.Millisecond)

	answers := make([][2]*responsev1.Dispatch, n)
	for i := range n {
		for k := range 2 { // every dispatch acknowledged twice, as by a double tap
			wg.Add(1)
			go func() {
				defer wg.Done()
				d, err := ack(fmt.Sprintf("d-%02d", i))
				require.NoError(t, err)
				answers[i][k] = d
			}()
		}
	}
	errs := map[string]error{}
	var mu sync.Mutex
	for name, call := range map[string]func() error{
		"illegal": func() error {
			_, err := cli.ResolveDispatch(ctx, &responsev1.ResolveDispatchRequest{Id: "d-illegal"})
			return err
		},
		"other department": func() error { _, err := ack("d-water"); return err },
		"unknown":          func() error { _, err := ack("d-none"); return err },
		"refused": func() error {
			_, err := cli.ResolveDispatch(ctx, &responsev1.ResolveDispatchRequest{Id: "d-poison", Summary: "nul \x00 byte"})
			return err
		},
	} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := call()
			mu.Lock()
			errs[name] = err
			mu.Unlock()
		}()
	}
	require.NoError(t, holder.Commit(e.ctx))
	wg.Wait()

	requireCode(t, errs["illegal"], codes.FailedPrecondition)
	requireCode(t, errs["other department"], codes.NotFound)
	requireCode(t, errs["unknown"], codes.NotFound)
	requireCode(t, errs["refused"], codes.Internal)
	for i, pair := range answers {
		require.Equal(t, fmt.Sprintf("d-%02d", i), pair[0].GetId())
		require.Equal(t, responsev1.Dispatch_ACKNOWLEDGED, pair[0].GetStatus())
		require.True(t, pair[0].GetAcknowledgedAt().AsTime().Equal(asked))
		require.True(t, proto.Equal(pair[0], pair[1]), "the repeat answers the same:\n%v\n%v", pair[0], pair[1])
	}

	e.settle()
	for i := range n {
		require.Len(t, e.storedFor(events.SubjectFor("dispatch.acknowledged"), fmt.Sprintf("d-%02d", i)), 1)
	}
	require.Len(t, e.storedFor(events.SubjectFor("dispatch.acknowledged"), "d-block"), 1)
	require.Empty(t, e.storedFor(events.SubjectFor("dispatch.resolved"), "d-illegal"))
	require.Empty(t, e.storedFor(events.SubjectFor("dispatch.resolved"), "d-poison"))
	require.Empty(t, e.storedFor(events.SubjectFor("dispatch.acknowledged"), "d-water"))
	got, err := cli.GetDispatch(ctx, &responsev1.GetDispatchRequest{Id: "d-poison"})
	require.NoError(t, err)
	require.Equal(t, responsev1.Dispatch_ACKNOWLEDGED, got.GetStatus())
}
