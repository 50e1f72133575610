package service

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	healthv1 "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"

	"github.com/chuishao/whistle/platform/auth"
	"github.com/chuishao/whistle/platform/bus"
	"github.com/chuishao/whistle/platform/clock"
	"github.com/chuishao/whistle/platform/metrics"
	"github.com/chuishao/whistle/platform/postgres"
	"github.com/chuishao/whistle/platform/postgres/pgtest"
	eventsv1 "github.com/chuishao/whistle/proto/gen/whistle/events/v1"
)

// TestAnAuditedActionOutsideItsTransactionIsAFault: an audited method that
// answers OK without having run in its audit transaction (here: it wrote
// nothing through postgres.InTx) is logged as an error naming the method and
// the caller, and counted; in tests (strict) its call fails. An action that
// joins it, and a method that is not audited, go through untouched.
// Not parallel: the meter provider is process-wide.
func TestAnAuditedActionOutsideItsTransactionIsAFault(t *testing.T) {
	reader := sdkmetric.NewManualReader()
	prev := otel.GetMeterProvider()
	otel.SetMeterProvider(sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader)))
	t.Cleanup(func() { otel.SetMeterProvider(prev) })

	ctx := auth.WithIdentity(context.Background(), auth.Identity{Subject: "admin-7", Role: auth.RoleAdmin})
	pool, err := postgres.Connect(ctx, pgtest.NewDatabase(t), "demo")
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	require.NoError(t, postgres.Migrate(ctx, pool, "demo", bus.Migrations))
	svc := auditingService(t)
	const method = healthv1.Health_Check_FullMethodName
	var logs bytes.Buffer
	interceptor := func(strict bool) grpc.UnaryServerInterceptor {
		return auditUnary(svc, map[string]string{method: "service"}, strict, pool, clock.NewFake(time.Now()),
			slog.New(slog.NewTextHandler(&logs, nil)))
	}
	call := func(strict bool, fullMethod string, handler grpc.UnaryHandler) (any, error) {
		return interceptor(strict)(ctx, &healthv1.HealthCheckRequest{Service: "things"}, &grpc.UnaryServerInfo{FullMethod: fullMethod}, handler)
	}
	ok := &healthv1.HealthCheckResponse{Status: healthv1.HealthCheckResponse_SERVING}
	apart := func(context.Context, any) (any, error) { return ok, nil } // writes nothing through InTx
	joining := func(ctx context.Context, _ any) (any, error) {
		return ok, postgres.InTx(ctx, pool, func(tx pgx.Tx) error {
			_, err := tx.Exec(ctx, "SELECT 1")
			return err
		})
	}

	// Production: the answer goes back, the fault is an error line and a count.
	resp, err := call(false, method, apart)
	require.NoError(t, err)
	require.Equal(t, ok, resp)
	require.Contains(t, logs.String(), "level=ERROR")
	require.Contains(t, logs.String(), "outside its audit transaction")
	require.Contains(t, logs.String(), "method="+method)
	require.Contains(t, logs.String(), "subject=admin-7")
	require.Equal(t, int64(1), outsideTx(t, reader, svc, method))
	require.Equal(t, 1, records(t, pool), "the record is still written, alone")

	// Tests: the call fails, naming the method.
	_, err = call(true, method, apart)
	require.Equal(t, codes.Internal, status.Code(err), "%v", err)
	require.Contains(t, status.Convert(err).Message(), method)
	require.Equal(t, int64(2), outsideTx(t, reader, svc, method))

	// An action that joins its audit transaction, and a method nobody
	// declared audited, are no fault.
	logs.Reset()
	_, err = call(true, method, joining)
	require.NoError(t, err)
	_, err = call(true, healthv1.Health_List_FullMethodName, func(ctx context.Context, _ any) (any, error) {
		require.False(t, postgres.Joined(ctx))
		return ok, nil
	})
	require.NoError(t, err)
	require.Empty(t, logs.String())
	require.Equal(t, int64(2), outsideTx(t, reader, svc, method))
	require.Equal(t, 3, records(t, pool))
}

// auditingService is a service that has an admin.<service> event, whichever
// events.proto lists first (platform names none).
func auditingService(t *testing.T) string {
	fields := (&eventsv1.Event{}).ProtoReflect().Descriptor().Fields()
	for i := range fields.Len() {
		if name, ok := strings.CutPrefix(string(fields.Get(i).Name()), "admin_"); ok {
			return name
		}
	}
	t.Fatal("events.proto has no admin_<service> event")
	return ""
}

// records is the number of audit records in the outbox.
func records(t *testing.T, pool *pgxpool.Pool) (n int) {
	require.NoError(t, pool.QueryRow(context.Background(), `SELECT count(*) FROM outbox WHERE subject LIKE 'admin.%'`).Scan(&n))
	return n
}

// outsideTx is the count of service's method in metrics.AuditOutsideTx.
func outsideTx(t *testing.T, reader *sdkmetric.ManualReader, service, method string) int64 {
	var rm metricdata.ResourceMetrics
	require.NoError(t, reader.Collect(context.Background(), &rm))
	want := attribute.NewSet(attribute.String("method", method), attribute.String("service", service))
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if sum, ok := m.Data.(metricdata.Sum[int64]); ok && m.Name == metrics.AuditOutsideTx {
				for _, p := range sum.DataPoints {
					if p.Attributes.Equals(&want) {
						return p.Value
					}
				}
			}
		}
	}
	return 0
}
