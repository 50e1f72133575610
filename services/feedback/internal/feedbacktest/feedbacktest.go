// Package feedbacktest gives the use cases' tests a migrated database and a
// few whistles' stories recorded into it through the real consumer, so that
// a test reads what the service would have read.
package feedbacktest

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jonboulle/clockwork"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/chuishao/whistle/platform/bus"
	"github.com/chuishao/whistle/platform/postgres"
	"github.com/chuishao/whistle/platform/postgres/pgtest"
	"github.com/chuishao/whistle/proto/events"
	eventsv1 "github.com/chuishao/whistle/proto/gen/whistle/events/v1"
	intakev1 "github.com/chuishao/whistle/proto/gen/whistle/intake/v1"
	responsev1 "github.com/chuishao/whistle/proto/gen/whistle/response/v1"
	typesv1 "github.com/chuishao/whistle/proto/gen/whistle/types/v1"

	feedbackevents "github.com/chuishao/whistle/services/feedback/internal/events"
	"github.com/chuishao/whistle/services/feedback/internal/feedback"
	"github.com/chuishao/whistle/services/feedback/internal/timeline"
	"github.com/chuishao/whistle/services/feedback/migrations"
)

// T0 is when the stories begin: 2026-11-23 09:00 in Beijing.
var T0 = time.Date(2026, 11, 23, 1, 0, 0, 0, time.UTC)

// Keys seal the stories' timelines.
var Keys = func() timeline.Keys {
	k, err := timeline.ParseKeys(timeline.EncodeKey("k1", []byte("a chain key of thirty-two bytes!")))
	if err != nil {
		panic(err)
	}
	return k
}()

// Pool is a fresh feedback database (with the outbox), cloned from a
// template migrated once per test binary.
func Pool(t *testing.T) *pgxpool.Pool {
	t.Helper()
	url := pgtest.NewDatabaseFrom(t, "feedback_usecases", pgtest.Migrated("feedback", bus.Migrations, postgres.Migrations{Name: "feedback", FS: migrations.FS}))
	pool, err := postgres.Connect(context.Background(), url, "feedback")
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	return pool
}

// Record handles evs as the consumer does, in one batch.
func Record(t *testing.T, pool *pgxpool.Pool, evs ...*eventsv1.Event) {
	t.Helper()
	rec := &feedbackevents.Recorder{Clock: clockwork.NewFakeClockAt(T0), Log: slog.New(slog.DiscardHandler), Keys: Keys}
	ctx := context.Background()
	require.NoError(t, pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error { return rec.HandleBatch(ctx, tx, evs) }))
}

// Minutes is T0 plus m minutes.
func Minutes(m int) time.Time { return T0.Add(time.Duration(m) * time.Minute) }

// Whistle is where a story's whistle was raised.
type Whistle struct {
	ID, District, Street, Category string
}

// Raised is w's whistle.raised, at T0.
func Raised(w Whistle) *eventsv1.Event {
	ev := events.New(T0, &typesv1.Actor{Role: "street", Id: w.Street})
	ev.WhistleId, ev.DistrictId, ev.StreetId = w.ID, w.District, w.Street
	ev.Payload = &eventsv1.Event_WhistleRaised{WhistleRaised: &eventsv1.WhistleRaised{Whistle: &intakev1.Whistle{
		Id: w.ID, DistrictId: w.District, StreetId: w.Street, Category: w.Category, RaisedAt: timestamppb.New(T0),
	}}}
	return ev
}

// Dispatch is a snapshot of a dispatch of w to department, dispatched a
// minute after T0 (acknowledge within 5 minutes, arrive within 30), as of
// minute updated.
func Dispatch(id string, w Whistle, department string, status responsev1.Dispatch_Status, updated int) *responsev1.Dispatch {
	ts := func(m int) *timestamppb.Timestamp { return timestamppb.New(Minutes(m)) }
	d := &responsev1.Dispatch{
		Id: id, WhistleId: w.ID, DistrictId: w.District, StreetId: w.Street, Category: w.Category,
		Department: department, Status: status, DispatchedAt: ts(1), UpdatedAt: ts(updated),
		Deadlines: &responsev1.Deadlines{AckBy: ts(6), ArriveBy: ts(31), ResolveBy: ts(600)},
	}
	if status >= responsev1.Dispatch_ACKNOWLEDGED {
		d.AcknowledgedAt = ts(3)
	}
	if status == responsev1.Dispatch_ARRIVED {
		d.ArrivedAt = ts(20)
	}
	return d
}

func envelope(m int, role string, d *responsev1.Dispatch) *eventsv1.Event {
	ev := events.New(Minutes(m), &typesv1.Actor{Role: role, Id: role})
	ev.WhistleId, ev.DistrictId, ev.StreetId, ev.DispatchId, ev.Department = d.GetWhistleId(), d.GetDistrictId(), d.GetStreetId(), d.GetId(), d.GetDepartment()
	return ev
}

// Created is d's dispatch.created at minute m.
func Created(m int, d *responsev1.Dispatch) *eventsv1.Event {
	ev := envelope(m, "system", d)
	ev.Payload = &eventsv1.Event_DispatchCreated{DispatchCreated: &eventsv1.DispatchCreated{Dispatch: d}}
	return ev
}

// Arrived is d's dispatch.arrived at minute m.
func Arrived(m int, d *responsev1.Dispatch) *eventsv1.Event {
	ev := envelope(m, "desk", d)
	ev.Payload = &eventsv1.Event_DispatchArrived{DispatchArrived: &eventsv1.DispatchArrived{Dispatch: d}}
	return ev
}

// Breached is the breach of d's clock at minute m.
func Breached(m int, d *responsev1.Dispatch, clock string) *eventsv1.Event {
	ev := envelope(m, "system", d)
	d.Breaches = append(d.Breaches, clock)
	ev.Payload = &eventsv1.Event_SlaBreached{SlaBreached: &eventsv1.SlaBreached{Clock: clock, DueAt: timestamppb.New(Minutes(m)), EscalationLevel: 1, Dispatch: d}}
	return ev
}

// RequireOutcome holds err to what a case wants: the invalid fields, in
// order, when fields is not nil; else want (nil for success).
func RequireOutcome(t *testing.T, err, want error, fields []string) {
	t.Helper()
	if fields == nil {
		if want == nil {
			require.NoError(t, err)
			return
		}
		require.ErrorIs(t, err, want)
		return
	}
	var invalid feedback.InvalidError
	require.ErrorAs(t, err, &invalid)
	got := make([]string, len(invalid))
	for i, f := range invalid {
		got[i] = f.Field
	}
	require.Equal(t, fields, got)
}
