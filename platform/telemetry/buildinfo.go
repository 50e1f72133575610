package telemetry

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/chuishao/whistle/platform/version"
)

// BuildInfo is the whistle_build_info gauge: always 1, its labels the
// version, commit, build date and Go version the binary was built from, so a
// dashboard shows which build each pod runs (and a rollout's progress).
func BuildInfo() prometheus.Collector {
	v := version.Get()
	g := prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "whistle_build_info",
		Help: "The build this process runs: version, commit, build date and Go version as labels; always 1.",
		ConstLabels: prometheus.Labels{
			"version": v.Version, "commit": v.Commit, "date": v.Date, "goversion": v.GoVersion,
		},
	})
	g.Set(1)
	return g
}
