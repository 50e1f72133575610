package servicetest_test

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/metadata"

	"github.com/chuishao/whistle/platform/auth"
	"github.com/chuishao/whistle/platform/config"
	"github.com/chuishao/whistle/platform/service"
	"github.com/chuishao/whistle/platform/servicetest"
	"github.com/chuishao/whistle/proto/events"
	eventsv1 "github.com/chuishao/whistle/proto/gen/whistle/events/v1"
	intakev1 "github.com/chuishao/whistle/proto/gen/whistle/intake/v1"
	typesv1 "github.com/chuishao/whistle/proto/gen/whistle/types/v1"
)

var t0 = time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)

func raised(id string) *eventsv1.Event {
	ev := events.New(t0, &typesv1.Actor{Role: "system", Id: "test"})
	ev.WhistleId, ev.DistrictId, ev.StreetId = id, "110101", "110101001"
	ev.Payload = &eventsv1.Event_WhistleRaised{WhistleRaised: &eventsv1.WhistleRaised{Whistle: &intakev1.Whistle{Id: id}}}
	return ev
}

func TestPublishedEventsAreAwaitedInStreamOrder(t *testing.T) {
	t.Parallel()
	w := servicetest.New(t, t0)
	watch := w.Watch("whistle.v1.>")
	first := raised("w-1")
	w.Publish(first)
	w.Publish(raised("w-2"))
	w.Publish(first) // same id: the stream keeps one
	again := raised("w-1")
	w.PublishWithID(again, "another-id")

	got := watch.AwaitN(2, servicetest.Named("whistle.raised", "w-1"))
	require.Len(t, got, 2)
	require.Equal(t, "w-2", watch.Next(servicetest.Named("whistle.raised", "w-2")).GetWhistleId())
	require.Equal(t, again.GetId(), watch.Next(servicetest.Named("whistle.raised", "w-1")).GetId(), "Next passes over what came before the last one it returned")
	require.Len(t, w.Stored("whistle.v1.>"), 3)
}

func TestTokensCarryTheIdentityTheServicesTrust(t *testing.T) {
	t.Parallel()
	w := servicetest.New(t, t0, servicetest.Issuer("test-issuer"))
	b := w.Base("anyone")
	verifier, err := auth.NewVerifierFromConfig(b.Keys(), slog.New(slog.DiscardHandler))
	require.NoError(t, err)
	defer verifier.Close()

	desk := auth.Identity{Role: auth.RoleDesk, DistrictID: "110101", Department: "police"}
	md, _ := metadata.FromOutgoingContext(w.As(desk))
	require.Len(t, md.Get("authorization"), 1)
	got, err := verifier.Verify(md.Get("authorization")[0][len("Bearer "):], w.Clock.Now())
	require.NoError(t, err)
	require.Equal(t, "police", got.Department)
	require.NotEmpty(t, got.Subject, "an identity without a subject gets one")

	tok := w.Token(desk)
	w.Clock.Advance(servicetest.TokenTTL + time.Minute)
	_, err = verifier.Verify(tok, w.Clock.Now())
	require.Error(t, err, "tokens expire on the world's clock")
}

// ticker is a service that counts its clock's minutes into a table.
type ticker struct {
	deps service.Deps
	url  string
}

func (k ticker) Run(ctx context.Context) error {
	conn, err := pgx.Connect(ctx, k.url)
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-k.deps.Clock.After(time.Minute):
			if _, err := conn.Exec(ctx, "INSERT INTO ticks VALUES (1)"); err != nil {
				return err
			}
		}
	}
}

func TestServicesRunOnTheWorldsClockAndTheirOwnDatabase(t *testing.T) {
	t.Parallel()
	w := servicetest.New(t, t0)
	job := servicetest.MigrationJob(w.Base("ticker"), func(ctx context.Context, b config.Base) error {
		conn, err := pgx.Connect(ctx, b.DatabaseURL)
		if err != nil {
			return err
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "CREATE TABLE ticks (n int)"); err != nil {
			return err
		}
		return config.ErrMigrated
	})
	url := w.Database("servicetest_ticker", job)
	_, stop := servicetest.Start(w, "ticker", func(ctx context.Context, deps service.Deps) (ticker, error) {
		return ticker{deps: deps, url: url}, nil
	})
	conn, err := pgx.Connect(t.Context(), url)
	require.NoError(t, err)
	defer conn.Close(context.Background())
	count := func() (n int) {
		require.NoError(t, conn.QueryRow(t.Context(), "SELECT count(*) FROM ticks").Scan(&n))
		return n
	}
	w.Clock.BlockUntilContext(t.Context(), 1)
	w.Clock.Advance(time.Minute)
	require.Eventually(t, func() bool { return count() == 1 }, servicetest.Wait, 5*time.Millisecond)
	stop()
	require.Equal(t, 1, count())
}
