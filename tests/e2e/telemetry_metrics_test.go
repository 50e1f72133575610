package e2e_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"

	"github.com/chuishao/whistle/platform/ops"
	"github.com/chuishao/whistle/platform/telemetry"
)

// unregistering remembers what it registered with the default registry, so the
// test can take its collector back out.
type unregistering struct {
	prometheus.Registerer
	collectors []prometheus.Collector
}

func (u *unregistering) Register(c prometheus.Collector) error {
	u.collectors = append(u.collectors, c)
	return u.Registerer.Register(c)
}

// useMetrics installs a meter provider exporting to the default Prometheus
// registry (the one a service's /metrics serves, as telemetry.Setup does) for
// the rest of the test, and returns the URL of a /metrics endpoint served by
// ops.Handler. Like useTracing it must not run in parallel: the meter
// provider is process-wide and the counters would add up other tests' work.
func useMetrics(t *testing.T) string {
	t.Helper()
	reg := &unregistering{Registerer: prometheus.DefaultRegisterer}
	res, err := telemetry.Resource(context.Background(), "whistle-e2e")
	require.NoError(t, err)
	mp, err := telemetry.NewMeterProvider(res, reg)
	require.NoError(t, err)
	otel.SetMeterProvider(mp)
	srv := httptest.NewServer(ops.Handler(false))
	t.Cleanup(func() {
		srv.Close()
		otel.SetMeterProvider(sdkmetric.NewMeterProvider())
		_ = mp.Shutdown(context.Background())
		for _, c := range reg.collectors {
			prometheus.DefaultRegisterer.Unregister(c)
		}
	})
	return srv.URL + "/metrics"
}

// TestTelemetryMetricsAfterAScenario runs a joint-enforcement whistle where the
// police arrive and the two other departments miss their arrival deadline, then
// scrapes /metrics for the series docs/operations.md lists.
// Not parallel: see useMetrics.
func TestTelemetryMetricsAfterAScenario(t *testing.T) {
	url := useMetrics(t)
	s := startSystem(t, options{})
	streetTok := streetToken(t, s, donghuamen)
	id, w := raise(t, s, donghuamen, "joint-enforcement", 3)

	policeID := str(dispatchOf(t, w, "police")["id"])
	policeTok := deskToken(t, s, dongcheng, "police")
	s.clock.Advance(3 * time.Minute)
	ack := s.do(t, http.MethodPost, "/v1/dispatches/"+policeID+":acknowledge", policeTok, map[string]any{})
	require.Equal(t, http.StatusOK, ack.status, ack.raw)
	s.clock.Advance(12 * time.Minute)
	arr := s.do(t, http.MethodPost, "/v1/dispatches/"+policeID+":arrive", policeTok,
		map[string]any{"location": map[string]any{"lat": 39.9147, "lng": 116.4035}})
	require.Equal(t, http.StatusOK, arr.status, arr.raw)

	// Past 30 minutes the two unattended dispatches breach their arrival clock.
	eventually(t, "two arrival breaches", func() bool {
		s.clock.Advance(10 * time.Second)
		n, _ := timelineCount(t, s, streetTok, id, "sla.breached", "arrive")
		return n >= 2
	})

	want := []struct {
		name   string
		labels map[string]string
		value  float64
	}{
		{"whistle_whistles_raised_total", map[string]string{"category": "joint-enforcement"}, 1},
		{"whistle_dispatch_transitions_total", map[string]string{"state": "PENDING", "department": "police"}, 1},
		{"whistle_dispatch_transitions_total", map[string]string{"state": "PENDING", "department": "environment"}, 1},
		{"whistle_dispatch_transitions_total", map[string]string{"state": "PENDING", "department": "urban-management"}, 1},
		{"whistle_dispatch_transitions_total", map[string]string{"state": "ACKNOWLEDGED", "department": "police"}, 1},
		{"whistle_dispatch_transitions_total", map[string]string{"state": "ARRIVED", "department": "police"}, 1},
		{"whistle_sla_breached_total", map[string]string{"department": "environment", "clock": "arrive"}, 1},
		{"whistle_sla_breached_total", map[string]string{"department": "urban-management", "clock": "arrive"}, 1},
		{"whistle_sla_at_risk_total", map[string]string{"department": "environment", "clock": "arrive"}, 1},
		{"whistle_timer_lateness_seconds_count", map[string]string{"clock": "arrive"}, 2},
		{"whistle_outbox_backlog", map[string]string{"service": "response"}, 0},
		{"whistle_consumer_pending", map[string]string{"consumer": "routing"}, 0},
		{"rpc_server_call_duration_seconds_count", map[string]string{"rpc_method": "whistle.response.v1.DispatchService/AcknowledgeDispatch", "rpc_response_status_code": "OK"}, 1},
		// The gateway's requests by route (otelhttp), the route's template rather than the path.
		{"http_server_request_duration_seconds_count", map[string]string{"http_request_method": "POST",
			"http_route": "/v1/dispatches/{id}:acknowledge", "http_response_status_code": "200"}, 1},
	}
	var text, missing string
	defer func() {
		if t.Failed() {
			t.Logf("last scrape, waiting for %s:\n%s", missing, text)
		}
	}()
	eventually(t, "the documented series", func() bool {
		text = scrape(t, url)
		for _, m := range want {
			if v, ok := sample(text, m.name, m.labels); !ok || v != m.value {
				missing = fmt.Sprintf("%s%v = %v (have %v)", m.name, m.labels, m.value, v)
				return false
			}
		}
		return true
	})
	for _, m := range want {
		v, _ := sample(text, m.name, m.labels)
		require.Equal(t, m.value, v, "%s%v", m.name, m.labels)
	}
	// The police arrived in time: no arrival breach for them.
	_, ok := sample(text, "whistle_sla_breached_total", map[string]string{"department": "police", "clock": "arrive"})
	require.False(t, ok, "police arrival breach in\n%s", text)
	// A breach timer fires after its deadline, never before.
	late, ok := sample(text, "whistle_timer_lateness_seconds_sum", map[string]string{"clock": "arrive"})
	require.True(t, ok)
	require.GreaterOrEqual(t, late, 0.0)
}

func scrape(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return string(body)
}

var labelRE = regexp.MustCompile(`([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"`)

// sample finds the value of the series name whose labels include want, in the
// Prometheus text format.
func sample(text, name string, want map[string]string) (float64, bool) {
	for line := range strings.SplitSeq(text, "\n") {
		rest, ok := strings.CutPrefix(line, name)
		if !ok || (rest != "" && rest[0] != '{' && rest[0] != ' ') {
			continue
		}
		labels := map[string]string{}
		if strings.HasPrefix(rest, "{") {
			end := strings.LastIndex(rest, "}")
			for _, m := range labelRE.FindAllStringSubmatch(rest[1:end], -1) {
				labels[m[1]] = m[2]
			}
			rest = rest[end+1:]
		}
		match := true
		for k, v := range want {
			if labels[k] != v {
				match = false
			}
		}
		if !match {
			continue
		}
		v, err := strconv.ParseFloat(strings.TrimSpace(rest), 64)
		if err == nil {
			return v, true
		}
	}
	return 0, false
}
