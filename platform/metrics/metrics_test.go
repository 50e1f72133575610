package metrics_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/chuishao/whistle/platform/metrics"
	eventsv1 "github.com/chuishao/whistle/proto/gen/whistle/events/v1"
	intakev1 "github.com/chuishao/whistle/proto/gen/whistle/intake/v1"
)

// Not parallel: the meter provider is process-wide.
func TestPublishedEventsBecomeBusinessSeries(t *testing.T) {
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	prev := otel.GetMeterProvider()
	otel.SetMeterProvider(mp)
	t.Cleanup(func() { otel.SetMeterProvider(prev) })
	ctx := context.Background()
	due := time.Date(2026, 11, 23, 9, 30, 0, 0, time.UTC)

	metrics.Published(ctx, &eventsv1.Event{Payload: &eventsv1.Event_WhistleRaised{WhistleRaised: &eventsv1.WhistleRaised{
		Whistle: &intakev1.Whistle{Category: "noise"}}}})
	metrics.Published(ctx, &eventsv1.Event{Department: "police", Payload: &eventsv1.Event_DispatchCreated{DispatchCreated: &eventsv1.DispatchCreated{}}})
	metrics.Published(ctx, &eventsv1.Event{Department: "police", Payload: &eventsv1.Event_DispatchAcknowledged{DispatchAcknowledged: &eventsv1.DispatchAcknowledged{}}})
	metrics.Published(ctx, &eventsv1.Event{Department: "police", OccurredAt: timestamppb.New(due.Add(90 * time.Second)),
		Payload: &eventsv1.Event_SlaBreached{SlaBreached: &eventsv1.SlaBreached{Clock: "arrive", DueAt: timestamppb.New(due)}}})
	metrics.Published(ctx, &eventsv1.Event{Department: "police", Payload: &eventsv1.Event_SlaWarning{SlaWarning: &eventsv1.SlaWarning{Clock: "arrive"}}})
	metrics.Published(ctx, &eventsv1.Event{Payload: &eventsv1.Event_WhistleRouted{WhistleRouted: &eventsv1.WhistleRouted{}}}) // not counted

	var rm metricdata.ResourceMetrics
	require.NoError(t, reader.Collect(ctx, &rm))
	got := map[string]map[string]float64{}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			got[m.Name] = map[string]float64{}
			switch d := m.Data.(type) {
			case metricdata.Sum[int64]:
				for _, p := range d.DataPoints {
					got[m.Name][p.Attributes.Encoded(attribute.DefaultEncoder())] = float64(p.Value)
				}
			case metricdata.Histogram[float64]:
				for _, p := range d.DataPoints {
					got[m.Name][p.Attributes.Encoded(attribute.DefaultEncoder())] = p.Sum
				}
			}
		}
	}
	require.Equal(t, map[string]float64{"category=noise": 1}, got[metrics.WhistlesRaised])
	require.Equal(t, map[string]float64{"department=police,state=PENDING": 1, "department=police,state=ACKNOWLEDGED": 1}, got[metrics.DispatchTransition])
	require.Equal(t, map[string]float64{"clock=arrive,department=police": 1}, got[metrics.SLABreached])
	require.Equal(t, map[string]float64{"clock=arrive,department=police": 1}, got[metrics.SLAAtRisk])
	require.Equal(t, map[string]float64{"clock=arrive": 90}, got[metrics.TimerLateness], "fired 90 s after the deadline")
}
