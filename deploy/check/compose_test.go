package check

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/loader"
	"github.com/compose-spec/compose-go/v2/types"
	"github.com/stretchr/testify/require"
	"sigs.k8s.io/yaml"
)

// loadCompose is `docker compose config` (the same loader, compose-go): the
// file is parsed, validated against the Compose specification's schema,
// interpolated and normalised, with no engine and no network.
func loadCompose(t *testing.T) *types.Project {
	t.Helper()
	dir, err := filepath.Abs("..")
	require.NoError(t, err)
	p, err := loader.LoadWithContext(context.Background(), types.ConfigDetails{
		WorkingDir:  dir,
		ConfigFiles: []types.ConfigFile{{Filename: filepath.Join(dir, "compose.yaml")}},
		Environment: types.Mapping{},
	}, func(o *loader.Options) { o.SetProjectName("whistle", true) })
	require.NoError(t, err)
	return p
}

func TestComposeIsAValidClusterOfEveryService(t *testing.T) {
	t.Parallel()
	p := loadCompose(t)
	for _, name := range []string{"nats-1", "nats-2", "nats-3", "postgres", "intake", "discovery", "routing", "response-1", "response-2",
		"feedback", "gateway", "otel-collector", "jaeger", "prometheus", "grafana"} {
		require.Contains(t, p.Services, name)
	}

	// Three NATS servers in one JetStream cluster, each routing to all three.
	for _, n := range []string{"nats-1", "nats-2", "nats-3"} {
		cmd := strings.Join(p.Services[n].Command, " ")
		require.Contains(t, cmd, "--jetstream", n)
		require.Contains(t, cmd, "--cluster_name whistle", n)
		require.Contains(t, cmd, "--name "+n, n)
		require.Contains(t, cmd, "nats://nats-1:6222,nats://nats-2:6222,nats://nats-3:6222", n)
		// with one user per service (deploy/nats/users.conf), whose passwords it has
		require.Contains(t, cmd, "--config /etc/nats/users.conf", n)
		for _, svc := range []string{"intake", "discovery", "routing", "response", "feedback", "gateway"} {
			require.NotEmpty(t, *p.Services[n].Environment["NATS_"+strings.ToUpper(svc)+"_PASSWORD"], n)
		}
	}

	// Every Whistle process is built from deploy/Dockerfile for its service and
	// exports traces to the collector; the backends use an R3 stream on all three servers.
	for _, name := range []string{"intake", "discovery", "routing", "response-1", "response-2", "feedback", "gateway"} {
		s := p.Services[name]
		require.NotNil(t, s.Build, name)
		require.Equal(t, "deploy/Dockerfile", s.Build.Dockerfile, name)
		svc := strings.TrimSuffix(strings.TrimSuffix(name, "-1"), "-2")
		require.Equal(t, svc, *s.Build.Args["SERVICE"], name)
		require.Equal(t, svc, *s.Environment["OTEL_SERVICE_NAME"], name)
		require.Equal(t, "http://otel-collector:4318", *s.Environment["OTEL_EXPORTER_OTLP_ENDPOINT"], name)
		// Tokens are verified with the keys of a JWKS, not a static key; NATS
		// is reached as the service's own user, with the password the servers have.
		require.Equal(t, "http://gateway:8080/.well-known/jwks.json", *s.Environment["WHISTLE_JWKS_URL"], name)
		require.NotContains(t, s.Environment, "WHISTLE_JWT_PUBLIC_KEY", name)
		require.Equal(t, svc, *s.Environment["NATS_USER"], name)
		require.Equal(t, *p.Services["nats-1"].Environment["NATS_"+strings.ToUpper(svc)+"_PASSWORD"], *s.Environment["NATS_PASSWORD"], name)
		if name == "gateway" {
			continue
		}
		require.Equal(t, "3", *s.Environment["WHISTLE_STREAM_REPLICAS"], name)
		require.Equal(t, "nats://nats-1:4222,nats://nats-2:4222,nats://nats-3:4222", *s.Environment["NATS_URL"], name)
		require.Contains(t, s.DependsOn, "postgres", name)

		// It connects as its own database role, after its migration ran as the
		// admin and set that role's password.
		u, err := url.Parse(*s.Environment["DATABASE_URL"])
		require.NoError(t, err)
		require.Equal(t, "whistle_"+svc, u.User.Username(), name)
		password, _ := u.User.Password()
		m, ok := p.Services[svc+"-migrate"]
		require.True(t, ok, "%s-migrate", svc)
		require.Equal(t, "service_completed_successfully", s.DependsOn[svc+"-migrate"].Condition, name)
		require.Equal(t, "true", *m.Environment["WHISTLE_MIGRATE_ONLY"], name)
		require.Equal(t, password, *m.Environment["WHISTLE_DATABASE_ROLE_PASSWORD"], name)
		admin, err := url.Parse(*m.Environment["DATABASE_URL"])
		require.NoError(t, err)
		require.Equal(t, "whistle", admin.User.Username(), "%s-migrate connects as the admin", svc)
		require.Equal(t, *s.Build.Args["SERVICE"], *m.Build.Args["SERVICE"], name)
	}
	// The gateway balances over both response replicas, which answer to one name.
	require.Equal(t, "dns:///response:9090", *p.Services["gateway"].Environment["WHISTLE_RESPONSE_ADDR"])
	for _, name := range []string{"response-1", "response-2"} {
		require.Contains(t, p.Services[name].Networks["default"].Aliases, "response", name)
	}
	require.NotEmpty(t, *p.Services["feedback"].Environment["WHISTLE_TIMELINE_KEYS"])
	require.Equal(t, *p.Services["feedback"].Environment["WHISTLE_TIMELINE_KEYS"], *p.Services["feedback-migrate"].Environment["WHISTLE_TIMELINE_KEYS"])

	// The files the tools mount exist.
	for _, name := range []string{"otel-collector", "prometheus", "grafana", "nats-1", "nats-2", "nats-3"} {
		for _, v := range p.Services[name].Volumes {
			if v.Type == "volume" {
				continue // a named volume, not a file
			}
			_, err := os.Stat(v.Source)
			require.NoError(t, err, "%s mounts %s", name, v.Source)
		}
	}
}

// TestPrometheusScrapesEveryWhistleProcess checks deploy/prometheus against the
// compose services: every process's /metrics is a target.
func TestPrometheusScrapesEveryWhistleProcess(t *testing.T) {
	t.Parallel()
	p := loadCompose(t)
	raw, err := os.ReadFile(filepath.Join("..", "prometheus", "prometheus.yml"))
	require.NoError(t, err)
	var cfg struct {
		ScrapeConfigs []struct {
			StaticConfigs []struct {
				Targets []string `json:"targets"`
			} `json:"static_configs"`
		} `json:"scrape_configs"`
	}
	require.NoError(t, yaml.Unmarshal(raw, &cfg))
	var targets []string
	for _, sc := range cfg.ScrapeConfigs {
		for _, st := range sc.StaticConfigs {
			targets = append(targets, st.Targets...)
		}
	}
	for _, name := range []string{"intake", "discovery", "routing", "response-1", "response-2", "feedback", "gateway"} {
		require.Contains(t, targets, name+":8081")
		require.Equal(t, ":8081", *p.Services[name].Environment["WHISTLE_OPS_ADDR"], name)
	}
	require.NotContains(t, targets, "gateway:8080", "the public port serves no /metrics")
	for _, port := range p.Services["gateway"].Ports {
		require.NotEqual(t, "8081", fmt.Sprint(port.Target), "the ops port is not published")
	}
}

var seriesRE = regexp.MustCompile(`\b((?:whistle|rpc)_[a-z_]+)\b`)

// TestDashboardUsesDocumentedSeries parses the Grafana dashboard and checks
// that every series its queries use is documented in docs/operations.md.
func TestDashboardUsesDocumentedSeries(t *testing.T) {
	t.Parallel()
	raw, err := os.ReadFile(filepath.Join("..", "grafana", "dashboards", "whistle.json"))
	require.NoError(t, err)
	var dash struct {
		UID    string `json:"uid"`
		Panels []struct {
			Title   string `json:"title"`
			Targets []struct {
				Expr string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
	}
	require.NoError(t, json.Unmarshal(raw, &dash))
	require.NotEmpty(t, dash.UID)
	doc, err := os.ReadFile(filepath.Join("..", "..", "docs", "operations.md"))
	require.NoError(t, err)
	var used []string
	for _, panel := range dash.Panels {
		require.NotEmpty(t, panel.Targets, panel.Title)
		for _, tg := range panel.Targets {
			for _, m := range seriesRE.FindAllStringSubmatch(tg.Expr, -1) {
				name := m[1]
				for _, suffix := range []string{"_bucket", "_count", "_sum"} {
					name = strings.TrimSuffix(name, suffix)
				}
				if !slices.Contains(used, name) {
					used = append(used, name)
				}
			}
		}
	}
	for _, want := range []string{"whistle_whistles_raised_total", "whistle_dispatch_transitions_total", "whistle_sla_breached_total",
		"whistle_sla_at_risk_total", "whistle_timer_lateness_seconds", "whistle_outbox_backlog", "whistle_outbox_oldest_age_seconds",
		"whistle_consumer_pending", "rpc_server_call_duration_seconds"} {
		require.Contains(t, used, want, "the dashboard shows %s", want)
	}
	for _, name := range used {
		require.Contains(t, string(doc), "`"+name, "docs/operations.md documents %s", name)
	}
}
