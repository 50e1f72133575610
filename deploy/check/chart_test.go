package check

import (
	"bytes"
	"fmt"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/engine"
	"helm.sh/helm/v3/pkg/lint"
	"helm.sh/helm/v3/pkg/lint/support"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"
)

var chartDir = filepath.Join("..", "..", "charts", "whistle")

var backends = []string{"intake", "discovery", "routing", "response", "feedback"}

// minimal are the values an install needs: an external NATS (the NATS chart
// is a dependency fetched with `helm dependency build`, which needs the
// network; these checks run offline), the database URL and the JWT key.
func minimal() map[string]any {
	return map[string]any{
		"nats":     map[string]any{"enabled": false},
		"natsURL":  "nats://nats-0.nats:4222,nats://nats-1.nats:4222,nats://nats-2.nats:4222",
		"postgres": map[string]any{"url": "postgres://whistle:secret@pg-rw:5432/whistle?sslmode=require"},
		"jwt":      map[string]any{"publicKey": "qxzbmaT1dScWluD8nPWIr8/yRPV4H5mDUC7YsgW2yJg="},
		"databaseRoles": map[string]any{"passwords": map[string]any{
			"intake": "pw-intake", "discovery": "pw-discovery", "routing": "pw-routing", "response": "pw-response", "feedback": "pw/feedback",
		}},
		"timelineKeys": map[string]any{"keys": "k1:MDEyMzQ1Njc4OTAxMjM0NTY3ODkwMTIzNDU2Nzg5MDE="},
	}
}

// TestChartLints is `helm lint` (the same library): no errors; the only
// warning allowed is the NATS dependency not being vendored.
func TestChartLints(t *testing.T) {
	t.Parallel()
	l := lint.All(chartDir, minimal(), "whistle", false)
	for _, m := range l.Messages {
		t.Logf("%s", m)
		switch {
		case m.Severity >= support.ErrorSev:
			t.Errorf("lint error: %s", m)
		case m.Severity == support.WarningSev && !strings.Contains(m.Err.Error(), "missing these dependencies: nats"):
			t.Errorf("lint warning: %s", m)
		}
	}
}

// object is one rendered manifest, strictly decoded into its API type.
type object struct {
	file string
	kind string
	name string
	obj  any
}

// podMonitor is the part of monitoring.coreos.com/v1 PodMonitor the chart
// uses; strict decoding rejects anything else.
type podMonitor struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata"`
	Spec              struct {
		Selector            metav1.LabelSelector `json:"selector"`
		PodMetricsEndpoints []struct {
			Port     string `json:"port"`
			Path     string `json:"path"`
			Interval string `json:"interval"`
		} `json:"podMetricsEndpoints"`
	} `json:"spec"`
}

func newTyped(apiVersion, kind string) (any, error) {
	switch apiVersion + "/" + kind {
	case "apps/v1/Deployment":
		return &appsv1.Deployment{}, nil
	case "v1/Service":
		return &corev1.Service{}, nil
	case "v1/Secret":
		return &corev1.Secret{}, nil
	case "v1/ServiceAccount":
		return &corev1.ServiceAccount{}, nil
	case "v1/ConfigMap":
		return &corev1.ConfigMap{}, nil
	case "batch/v1/Job":
		return &batchv1.Job{}, nil
	case "autoscaling/v2/HorizontalPodAutoscaler":
		return &autoscalingv2.HorizontalPodAutoscaler{}, nil
	case "policy/v1/PodDisruptionBudget":
		return &policyv1.PodDisruptionBudget{}, nil
	case "networking.k8s.io/v1/NetworkPolicy":
		return &networkingv1.NetworkPolicy{}, nil
	case "monitoring.coreos.com/v1/PodMonitor":
		return &podMonitor{}, nil
	case "networking.k8s.io/v1/Ingress":
		return &networkingv1.Ingress{}, nil
	}
	return nil, fmt.Errorf("no schema for %s %s", apiVersion, kind)
}

// render is `helm template` (the same library) followed by strict decoding of
// every manifest into its Kubernetes API type: an unknown or misspelt field,
// a wrong type or an unknown kind fails.
func render(t *testing.T, vals map[string]any) ([]object, error) {
	t.Helper()
	chrt, err := loader.Load(chartDir)
	require.NoError(t, err)
	if err := chartutil.ProcessDependenciesWithMerge(chrt, vals); err != nil {
		return nil, err
	}
	rv, err := chartutil.ToRenderValues(chrt, vals, chartutil.ReleaseOptions{
		Name: "city", Namespace: "whistle", Revision: 1, IsInstall: true,
	}, nil)
	if err != nil {
		return nil, err
	}
	files, err := engine.Render(chrt, rv)
	if err != nil {
		return nil, err
	}
	names := make([]string, 0, len(files))
	for name := range files {
		names = append(names, name)
	}
	sort.Strings(names)
	var objs []object
	for _, name := range names {
		if !strings.HasSuffix(name, ".yaml") {
			continue
		}
		for doc := range strings.SplitSeq(files[name], "\n---") {
			if strings.TrimSpace(stripComments(doc)) == "" {
				continue
			}
			var meta metav1.TypeMeta
			require.NoError(t, yaml.Unmarshal([]byte(doc), &meta), "%s:\n%s", name, doc)
			typed, err := newTyped(meta.APIVersion, meta.Kind)
			require.NoError(t, err, "%s:\n%s", name, doc)
			require.NoError(t, yaml.UnmarshalStrict([]byte(doc), typed), "%s:\n%s", name, doc)
			m, ok := typed.(metav1.Object)
			require.True(t, ok)
			require.NotEmpty(t, m.GetName(), "%s: %s without a name", name, meta.Kind)
			objs = append(objs, object{file: name, kind: meta.Kind, name: m.GetName(), obj: typed})
		}
	}
	return objs, nil
}

func stripComments(doc string) string {
	var b bytes.Buffer
	for line := range strings.SplitSeq(doc, "\n") {
		if !strings.HasPrefix(strings.TrimSpace(line), "#") {
			b.WriteString(line + "\n")
		}
	}
	return b.String()
}

func find[T any](t *testing.T, objs []object, kind, name string) T {
	t.Helper()
	for _, o := range objs {
		if o.kind == kind && o.name == name {
			return o.obj.(T)
		}
	}
	t.Fatalf("no %s %s", kind, name)
	var zero T
	return zero
}

func count(objs []object, kind string) int {
	n := 0
	for _, o := range objs {
		if o.kind == kind {
			n++
		}
	}
	return n
}

func envOf(c corev1.Container) map[string]corev1.EnvVar {
	m := map[string]corev1.EnvVar{}
	for _, e := range c.Env {
		m[e.Name] = e
	}
	return m
}

func TestChartRendersValidManifestsForEveryService(t *testing.T) {
	t.Parallel()
	objs, err := render(t, minimal())
	require.NoError(t, err)
	require.Equal(t, 6, count(objs, "Deployment"))
	require.Equal(t, 6, count(objs, "Service"))
	require.Equal(t, 6, count(objs, "HorizontalPodAutoscaler"))
	require.Equal(t, 6, count(objs, "PodDisruptionBudget"))
	require.Equal(t, 6, count(objs, "NetworkPolicy"))
	require.Equal(t, 0, count(objs, "PodMonitor"), "the PodMonitor is optional and off by default")
	require.Equal(t, 0, count(objs, "Ingress"), "the Ingress is off by default")

	for _, name := range append(slices.Clone(backends), "gateway") {
		d := find[*appsv1.Deployment](t, objs, "Deployment", "city-whistle-"+name)
		require.Nil(t, d.Spec.Replicas, "%s: the HPA owns the replica count", name)
		pod := d.Spec.Template
		require.Equal(t, d.Spec.Selector.MatchLabels["app.kubernetes.io/name"], pod.Labels["app.kubernetes.io/name"])
		require.Len(t, pod.Spec.Containers, 1)
		c := pod.Spec.Containers[0]
		require.Equal(t, "ghcr.io/chuishao/whistle/"+name+":0.1.0", c.Image)
		require.NotNil(t, c.LivenessProbe, name)
		require.NotNil(t, c.ReadinessProbe, name)
		require.Equal(t, "/readyz", c.ReadinessProbe.HTTPGet.Path, name)
		require.False(t, c.Resources.Requests.Cpu().IsZero(), "%s: cpu request (the HPA needs it)", name)
		require.False(t, c.Resources.Limits.Memory().IsZero(), "%s: memory limit", name)
		require.True(t, *c.SecurityContext.RunAsNonRoot, name)
		require.True(t, *c.SecurityContext.ReadOnlyRootFilesystem, name)
		require.False(t, *c.SecurityContext.AllowPrivilegeEscalation, name)
		env := envOf(c)
		require.Equal(t, name, env["OTEL_SERVICE_NAME"].Value)
		mem := env["WHISTLE_MEMORY_LIMIT_MIB"].ValueFrom.ResourceFieldRef
		require.Equal(t, "limits.memory", mem.Resource, "%s: the Go memory limit follows the container's", name)
		require.Equal(t, "1Mi", mem.Divisor.String(), name)
		require.EqualValues(t, 5, c.Lifecycle.PreStop.Sleep.Seconds, "%s: preStop sleep while endpoints drop the pod", name)
		require.Greater(t, *pod.Spec.TerminationGracePeriodSeconds, int64(5+10), "%s: room for the sleep and the drain", name)

		svc := find[*corev1.Service](t, objs, "Service", "city-whistle-"+name)
		require.Equal(t, d.Spec.Selector.MatchLabels, svc.Spec.Selector, "%s: the Service selects the pods", name)
		if name == "gateway" {
			require.Empty(t, svc.Spec.ClusterIP, "the gateway's Service has a virtual IP")
		} else {
			require.Equal(t, corev1.ClusterIPNone, svc.Spec.ClusterIP, "%s: headless, so callers balance over its pods", name)
		}
		hpa := find[*autoscalingv2.HorizontalPodAutoscaler](t, objs, "HorizontalPodAutoscaler", "city-whistle-"+name)
		require.Equal(t, d.Name, hpa.Spec.ScaleTargetRef.Name)
		pdb := find[*policyv1.PodDisruptionBudget](t, objs, "PodDisruptionBudget", "city-whistle-"+name)
		require.Equal(t, d.Spec.Selector.MatchLabels, pdb.Spec.Selector.MatchLabels)
		np := find[*networkingv1.NetworkPolicy](t, objs, "NetworkPolicy", "city-whistle-"+name)
		require.Equal(t, d.Spec.Selector.MatchLabels, np.Spec.PodSelector.MatchLabels)

		if name == "gateway" {
			require.Equal(t, "dns:///city-whistle-response:9090", env["WHISTLE_RESPONSE_ADDR"].Value)
			require.NotContains(t, env, "WHISTLE_DEV_AUTH", "dev tokens are off unless asked for")
			continue
		}
		// Each backend connects as its own role; only the migration Job holds the admin's URL.
		require.Equal(t, "city-whistle-database-roles", env["DATABASE_URL"].ValueFrom.SecretKeyRef.Name, "%s: its own role's URL", name)
		require.Equal(t, name+"-url", env["DATABASE_URL"].ValueFrom.SecretKeyRef.Key, name)
		require.NotContains(t, env, "WHISTLE_DATABASE_ROLE_PASSWORD", name)
		if name == "feedback" {
			require.Equal(t, "city-whistle-timeline-keys", env["WHISTLE_TIMELINE_KEYS"].ValueFrom.SecretKeyRef.Name)
			require.Equal(t, "dns:///city-whistle-routing:9090", env["WHISTLE_ROUTING_ADDR"].Value, "feedback names streets and categories")
		}
		require.Equal(t, "city-whistle-jwt", env["WHISTLE_JWT_PUBLIC_KEY"].ValueFrom.SecretKeyRef.Name, "%s: JWT key from the secret", name)
		require.Equal(t, minimal()["natsURL"], env["NATS_URL"].Value)
		require.Equal(t, "3", env["WHISTLE_STREAM_REPLICAS"].Value, "%s: R3 stream", name)
	}

	job := find[*batchv1.Job](t, objs, "Job", "city-whistle-migrate")
	require.Equal(t, "pre-install,pre-upgrade", job.Annotations["helm.sh/hook"])
	var migrated []string
	for _, c := range append(job.Spec.Template.Spec.InitContainers, job.Spec.Template.Spec.Containers...) {
		env := envOf(c)
		require.Equal(t, "true", env["WHISTLE_MIGRATE_ONLY"].Value)
		require.Equal(t, "city-whistle-postgres", env["DATABASE_URL"].ValueFrom.SecretKeyRef.Name, "%s migrates as the admin", c.Name)
		require.Equal(t, c.Name+"-password", env["WHISTLE_DATABASE_ROLE_PASSWORD"].ValueFrom.SecretKeyRef.Key, "and sets its role's password")
		if c.Name == "intake" || c.Name == "discovery" {
			require.Equal(t, "city-whistle-routing:9090", env["WHISTLE_ROUTING_ADDR"].Value, "%s's configuration is valid", c.Name)
		}
		if c.Name == "discovery" {
			require.Equal(t, "city-whistle-intake:9090", env["WHISTLE_INTAKE_ADDR"].Value, "discovery's configuration is valid")
		}
		migrated = append(migrated, c.Name)
	}
	require.Equal(t, backends, migrated, "every backend's schema is migrated")
	for _, name := range []string{"city-whistle-postgres", "city-whistle-jwt", "city-whistle-database-roles", "city-whistle-timeline-keys"} {
		s := find[*corev1.Secret](t, objs, "Secret", name)
		require.Equal(t, "-10", s.Annotations["helm.sh/hook-weight"], "%s exists before the migration job", name)
	}
	roles := find[*corev1.Secret](t, objs, "Secret", "city-whistle-database-roles")
	require.Equal(t, "postgres://whistle_feedback:pw%2Ffeedback@pg-rw:5432/whistle?sslmode=require", roles.StringData["feedback-url"])
	require.Equal(t, "pw/feedback", roles.StringData["feedback-password"])
}

func TestChartWithExistingSecretsPodMonitorAndFixedReplicas(t *testing.T) {
	t.Parallel()
	vals := minimal()
	vals["postgres"] = map[string]any{"existingSecret": "pg-app", "secretKey": "uri"}
	vals["databaseRoles"] = map[string]any{"existingSecret": "pg-roles"}
	vals["timelineKeys"] = map[string]any{"existingSecret": "whistle-timeline"}
	vals["jwt"] = map[string]any{"existingSecret": "whistle-keys", "devAuth": true}
	vals["metrics"] = map[string]any{"podMonitor": map[string]any{"enabled": true}}
	vals["serviceAccounts"] = map[string]any{"existingSecret": "whistle-sa"}
	vals["services"] = map[string]any{
		"response": map[string]any{"replicas": 3, "autoscaling": map[string]any{"enabled": false}},
		"feedback": map[string]any{"enabled": false},
	}
	vals["otel"] = map[string]any{"endpoint": "http://otel-collector.monitoring:4318"}
	objs, err := render(t, vals)
	require.NoError(t, err)
	require.Zero(t, count(objs, "Secret"), "existing secrets are used, not created")
	require.Equal(t, 5, count(objs, "Deployment"), "feedback is disabled")
	pm := find[*podMonitor](t, objs, "PodMonitor", "city-whistle")
	require.Equal(t, "ops", pm.Spec.PodMetricsEndpoints[0].Port, "scraped on the private ops port")

	resp := find[*appsv1.Deployment](t, objs, "Deployment", "city-whistle-response")
	require.EqualValues(t, 3, *resp.Spec.Replicas)
	env := envOf(resp.Spec.Template.Spec.Containers[0])
	require.Equal(t, "pg-roles", env["DATABASE_URL"].ValueFrom.SecretKeyRef.Name)
	require.Equal(t, "response-url", env["DATABASE_URL"].ValueFrom.SecretKeyRef.Key)
	job := find[*batchv1.Job](t, objs, "Job", "city-whistle-migrate")
	migrateEnv := envOf(job.Spec.Template.Spec.InitContainers[0])
	require.Equal(t, "pg-app", migrateEnv["DATABASE_URL"].ValueFrom.SecretKeyRef.Name)
	require.Equal(t, "uri", migrateEnv["DATABASE_URL"].ValueFrom.SecretKeyRef.Key)
	require.Equal(t, "pg-roles", migrateEnv["WHISTLE_DATABASE_ROLE_PASSWORD"].ValueFrom.SecretKeyRef.Name)
	require.Equal(t, "http://otel-collector.monitoring:4318", env["OTEL_EXPORTER_OTLP_ENDPOINT"].Value)
	require.Equal(t, "whistle-sa", env["WHISTLE_SERVICE_ACCOUNT_KEY"].ValueFrom.SecretKeyRef.Name, "response signs service-account tokens")
	require.Equal(t, "8", env["WHISTLE_CONSUMER_PARTITIONS"].Value)
	for _, o := range objs {
		if o.kind == "HorizontalPodAutoscaler" {
			require.NotEqual(t, "city-whistle-response", o.name, "no HPA when autoscaling is off")
		}
	}
	gw := find[*appsv1.Deployment](t, objs, "Deployment", "city-whistle-gateway")
	gwEnv := envOf(gw.Spec.Template.Spec.Containers[0])
	require.Equal(t, "whistle-keys", gwEnv["WHISTLE_DEV_SIGNING_KEY"].ValueFrom.SecretKeyRef.Name)
	_, signs := gwEnv["WHISTLE_SERVICE_ACCOUNT_KEY"]
	require.False(t, signs, "only response holds the service-account key")
}

func TestChartWithTheNATSDependencyUsesTheReleaseCluster(t *testing.T) {
	t.Parallel()
	vals := minimal()
	vals["nats"] = map[string]any{"enabled": true}
	delete(vals, "natsURL")
	objs, err := render(t, vals)
	require.NoError(t, err)
	d := find[*appsv1.Deployment](t, objs, "Deployment", "city-whistle-intake")
	require.Equal(t, "nats://city-nats:4222", envOf(d.Spec.Template.Spec.Containers[0])["NATS_URL"].Value)
}

func TestChartRefusesAnIncompleteConfiguration(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		edit func(map[string]any)
		want string
	}{
		{"no database", func(v map[string]any) { delete(v, "postgres") }, "postgres.existingSecret"},
		{"no key", func(v map[string]any) { delete(v, "jwt") }, "set jwt.jwksURL"},
		{"no NATS", func(v map[string]any) { delete(v, "natsURL") }, "set natsURL"},
		{"no role password", func(v map[string]any) { delete(v, "databaseRoles") }, "databaseRoles.passwords.intake"},
		{"no chain key", func(v map[string]any) { delete(v, "timelineKeys") }, "set timelineKeys"},
	} {
		vals := minimal()
		tc.edit(vals)
		_, err := render(t, vals)
		require.ErrorContains(t, err, tc.want, tc.name)
	}
}

// TestChartVerifiesTokensWithTheJWKSAndConnectsAsEachServicesNATSUser: in
// production the services fetch verification keys from the JWKS URL (no
// static key, no JWT secret), and each connects to NATS as its own user.
func TestChartVerifiesTokensWithTheJWKSAndConnectsAsEachServicesNATSUser(t *testing.T) {
	t.Parallel()
	vals := minimal()
	vals["jwt"] = map[string]any{"jwksURL": "https://idp.example.gov.cn/.well-known/jwks.json", "issuer": "https://idp.example.gov.cn"}
	vals["natsUsers"] = map[string]any{"passwords": map[string]any{
		"admin": "a", "intake": "i", "discovery": "d", "routing": "r", "response": "s", "feedback": "f", "gateway": "g"}}
	objs, err := render(t, vals)
	require.NoError(t, err)
	for _, name := range append(slices.Clone(backends), "gateway") {
		d := find[*appsv1.Deployment](t, objs, "Deployment", "city-whistle-"+name)
		env := envOf(d.Spec.Template.Spec.Containers[0])
		require.Equal(t, "https://idp.example.gov.cn/.well-known/jwks.json", env["WHISTLE_JWKS_URL"].Value, name)
		require.Equal(t, "https://idp.example.gov.cn", env["WHISTLE_JWT_ISSUER"].Value, name)
		require.Equal(t, "whistle", env["WHISTLE_JWT_AUDIENCE"].Value, name)
		require.NotContains(t, env, "WHISTLE_JWT_PUBLIC_KEY", name)
		require.Equal(t, name, env["NATS_USER"].Value, name)
		require.Equal(t, "whistle-nats-users", env["NATS_PASSWORD"].ValueFrom.SecretKeyRef.Name, name)
		require.Equal(t, name, env["NATS_PASSWORD"].ValueFrom.SecretKeyRef.Key, name)
	}
	for _, o := range objs {
		require.NotEqual(t, "city-whistle-jwt", o.name, "no JWT secret without a static key")
	}
	users := find[*corev1.Secret](t, objs, "Secret", "whistle-nats-users")
	require.Equal(t, "g", users.StringData["gateway"])

	delete(vals["natsUsers"].(map[string]any)["passwords"].(map[string]any), "gateway")
	_, err = render(t, vals)
	require.ErrorContains(t, err, "natsUsers.passwords.gateway is missing")
}
