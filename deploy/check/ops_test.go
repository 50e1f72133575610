package check

import (
	"slices"
	"testing"

	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
)

// TestOpsPortIsPrivate: every pod, the gateway's too, has the ops port as a
// containerPort that the probes and the scrape annotations use; no Service
// exposes it; the NetworkPolicy opens it only to the monitoring namespace.
func TestOpsPortIsPrivate(t *testing.T) {
	t.Parallel()
	objs, err := render(t, minimal())
	require.NoError(t, err)
	for _, name := range append(slices.Clone(backends), "gateway") {
		d := find[*appsv1.Deployment](t, objs, "Deployment", "city-whistle-"+name)
		c := d.Spec.Template.Spec.Containers[0]
		ports := map[string]int32{}
		for _, p := range c.Ports {
			ports[p.Name] = p.ContainerPort
		}
		require.EqualValues(t, 8081, ports["ops"], name)
		require.Equal(t, ":8081", envOf(c)["WHISTLE_OPS_ADDR"].Value, name)
		for _, probe := range []*corev1.Probe{c.StartupProbe, c.LivenessProbe, c.ReadinessProbe} {
			require.Equal(t, "ops", probe.HTTPGet.Port.String(), "%s: probed on the ops port", name)
		}
		ann := d.Spec.Template.Annotations
		require.Equal(t, "true", ann["prometheus.io/scrape"], name)
		require.Equal(t, "8081", ann["prometheus.io/port"], name)
		require.Equal(t, "/metrics", ann["prometheus.io/path"], name)

		svc := find[*corev1.Service](t, objs, "Service", "city-whistle-"+name)
		var svcPorts []string
		for _, p := range svc.Spec.Ports {
			svcPorts = append(svcPorts, p.Name)
			require.NotEqual(t, "ops", p.TargetPort.String(), name)
			require.NotEqual(t, int32(8081), p.Port, name)
		}
		if name == "gateway" {
			require.Equal(t, []string{"http"}, svcPorts)
		} else {
			require.Equal(t, []string{"grpc"}, svcPorts, name)
		}

		np := find[*networkingv1.NetworkPolicy](t, objs, "NetworkPolicy", "city-whistle-"+name)
		var opsRule *networkingv1.NetworkPolicyIngressRule
		for i, r := range np.Spec.Ingress {
			if r.Ports[0].Port.String() == "ops" {
				opsRule = &np.Spec.Ingress[i]
			}
		}
		require.NotNil(t, opsRule, "%s: a rule for the ops port", name)
		require.Len(t, opsRule.From, 1, name)
		require.Equal(t, map[string]string{"kubernetes.io/metadata.name": "monitoring"},
			opsRule.From[0].NamespaceSelector.MatchLabels, "%s: ops only from the monitoring namespace", name)
	}
}

// TestOpsPortPeersAndPodAnnotationsAreConfigurable: another monitoring
// selector replaces the default; the annotations can be turned off and a
// pod's own annotations stay.
func TestOpsPortPeersAndPodAnnotationsAreConfigurable(t *testing.T) {
	t.Parallel()
	vals := minimal()
	vals["networkPolicy"] = map[string]any{"metricsFrom": []any{
		map[string]any{"namespaceSelector": map[string]any{"matchLabels": map[string]any{"team": "observability"}},
			"podSelector": map[string]any{"matchLabels": map[string]any{"app.kubernetes.io/name": "prometheus"}}},
	}}
	vals["metrics"] = map[string]any{"scrapeAnnotations": false}
	vals["defaults"] = map[string]any{"podAnnotations": map[string]any{"example.gov.cn/owner": "ops"}}
	objs, err := render(t, vals)
	require.NoError(t, err)
	d := find[*appsv1.Deployment](t, objs, "Deployment", "city-whistle-gateway")
	require.Equal(t, map[string]string{"example.gov.cn/owner": "ops"}, d.Spec.Template.Annotations)
	np := find[*networkingv1.NetworkPolicy](t, objs, "NetworkPolicy", "city-whistle-intake")
	last := np.Spec.Ingress[len(np.Spec.Ingress)-1]
	require.Equal(t, "ops", last.Ports[0].Port.String())
	require.Equal(t, "prometheus", last.From[0].PodSelector.MatchLabels["app.kubernetes.io/name"])
}
