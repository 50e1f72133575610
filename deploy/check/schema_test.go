package check

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"sigs.k8s.io/yaml"
)

func valuesFile(t *testing.T, name string) map[string]any {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", name))
	require.NoError(t, err)
	var vals map[string]any
	require.NoError(t, yaml.Unmarshal(raw, &vals))
	return vals
}

// TestChartRefusesValuesAgainstItsSchema: values.schema.json is enforced when
// the chart renders (as by helm install/template/lint), and names each
// mistake of testdata/bad-values.yaml. Every object in the schema refuses
// unknown keys, so values.yaml rendering at all (every other test) shows the
// schema declares each of its values.
func TestChartRefusesValuesAgainstItsSchema(t *testing.T) {
	t.Parallel()
	_, err := render(t, valuesFile(t, "bad-values.yaml"))
	require.Error(t, err)
	msg := err.Error()
	t.Log(msg)
	require.Contains(t, msg, "schema")
	for _, want := range []string{"/service/opsPort", "/ingress/pathType", "/otel/samplerArg", "'replica'", "'ingres'"} {
		require.Contains(t, msg, want, "the schema names %s", want)
	}
	_, err = render(t, minimal())
	require.NoError(t, err, "the minimal values meet the schema")
}

// TestChartIngressWithEveryExistingSecret renders testdata/ingress-values.yaml:
// an Ingress to the gateway's REST port with host, TLS, class and
// annotations; the trusted proxies for the client addresses behind it; every
// secret from a Secret the operator made, none created.
func TestChartIngressWithEveryExistingSecret(t *testing.T) {
	t.Parallel()
	objs, err := render(t, valuesFile(t, "ingress-values.yaml"))
	require.NoError(t, err)
	require.Zero(t, count(objs, "Secret"), "every secret comes from an existing Secret")

	ing := find[*networkingv1.Ingress](t, objs, "Ingress", "city-whistle")
	require.Equal(t, "nginx", *ing.Spec.IngressClassName)
	require.Equal(t, "3600", ing.Annotations["nginx.ingress.kubernetes.io/proxy-read-timeout"])
	require.Equal(t, []networkingv1.IngressTLS{{SecretName: "whistle-tls", Hosts: []string{"whistle.example.gov.cn"}}}, ing.Spec.TLS)
	require.Len(t, ing.Spec.Rules, 1)
	require.Equal(t, "whistle.example.gov.cn", ing.Spec.Rules[0].Host)
	path := ing.Spec.Rules[0].HTTP.Paths[0]
	require.Equal(t, "/", path.Path)
	require.Equal(t, "city-whistle-gateway", path.Backend.Service.Name)
	require.Equal(t, "http", path.Backend.Service.Port.Name, "the REST port, never ops")
	svc := find[*corev1.Service](t, objs, "Service", "city-whistle-gateway")
	require.Equal(t, "http", svc.Spec.Ports[0].Name)

	gw := find[*appsv1.Deployment](t, objs, "Deployment", "city-whistle-gateway")
	env := envOf(gw.Spec.Template.Spec.Containers[0])
	require.Equal(t, "10.42.0.0/16", env["WHISTLE_TRUSTED_PROXIES"].Value, "client addresses behind the ingress")
	require.Equal(t, "whistle-open311", env["WHISTLE_OPEN311_SIGNING_KEY"].ValueFrom.SecretKeyRef.Name)
	require.Equal(t, "signing-key", env["WHISTLE_OPEN311_SIGNING_KEY"].ValueFrom.SecretKeyRef.Key)
	require.Equal(t, "api-keys", env["WHISTLE_OPEN311_KEYS"].ValueFrom.SecretKeyRef.Key)
	require.Equal(t, "https://idp.example.gov.cn", env["WHISTLE_OIDC_ISSUER"].Value)
	require.Equal(t, "whistle_role", env["WHISTLE_OIDC_CLAIM_ROLE"].Value)
	require.Equal(t, "district_code", env["WHISTLE_OIDC_CLAIM_DISTRICT"].Value)
	require.Equal(t, "3", env["WHISTLE_OIDC_BUCKET_REPLICAS"].Value, "sessions on the R3 cluster")
	for k, key := range map[string]string{"WHISTLE_OIDC_CLIENT_SECRET": "client-secret", "WHISTLE_OIDC_SIGNING_KEY": "signing-key"} {
		require.Equal(t, "whistle-oidc", env[k].ValueFrom.SecretKeyRef.Name, k)
		require.Equal(t, key, env[k].ValueFrom.SecretKeyRef.Key, k)
	}
	resp := envOf(find[*appsv1.Deployment](t, objs, "Deployment", "city-whistle-response").Spec.Template.Spec.Containers[0])
	require.Equal(t, "whistle-webhooks", resp["WHISTLE_WEBHOOKS"].ValueFrom.SecretKeyRef.Name)
	respContainer := find[*appsv1.Deployment](t, objs, "Deployment", "city-whistle-response").Spec.Template.Spec.Containers[0]
	require.Equal(t, "whistle-channels", respContainer.EnvFrom[0].SecretRef.Name, "channels' keys from their Secret")
	require.Empty(t, gw.Spec.Template.Spec.Containers[0].EnvFrom, "only response sends to people")
	require.Equal(t, "whistle-sa", resp["WHISTLE_SERVICE_ACCOUNT_KEY"].ValueFrom.SecretKeyRef.Name)
	intake := envOf(find[*appsv1.Deployment](t, objs, "Deployment", "city-whistle-intake").Spec.Template.Spec.Containers[0])
	require.Equal(t, "pg-roles", intake["DATABASE_URL"].ValueFrom.SecretKeyRef.Name)
	feedback := envOf(find[*appsv1.Deployment](t, objs, "Deployment", "city-whistle-feedback").Spec.Template.Spec.Containers[0])
	require.Equal(t, "whistle-timeline", feedback["WHISTLE_TIMELINE_KEYS"].ValueFrom.SecretKeyRef.Name)
	require.Equal(t, "whistle-nats-users", feedback["NATS_PASSWORD"].ValueFrom.SecretKeyRef.Name)
	require.Equal(t, 1, count(objs, "PodMonitor"))
	np := find[*networkingv1.NetworkPolicy](t, objs, "NetworkPolicy", "city-whistle-gateway")
	require.Equal(t, "ingress-nginx", np.Spec.Ingress[0].From[0].NamespaceSelector.MatchLabels["kubernetes.io/metadata.name"])
}

// TestChartCreatesTheOpen311AndWebhookSecretsFromValues (and OIDC's), and refuses an
// Ingress without trusted proxies (every client would share one bucket).
func TestChartCreatesTheOpen311AndWebhookSecretsFromValues(t *testing.T) {
	t.Parallel()
	vals := minimal()
	vals["open311"] = map[string]any{"enabled": true, "signingKey": "c2VlZA==", "keys": "k1:110101001"}
	vals["webhooks"] = map[string]any{"endpoints": "police@110101=https://police.example.gov.cn/hook|s3cret"}
	objs, err := render(t, vals)
	require.NoError(t, err)
	o := find[*corev1.Secret](t, objs, "Secret", "city-whistle-open311")
	require.Equal(t, "k1:110101001", o.StringData["api-keys"])
	w := find[*corev1.Secret](t, objs, "Secret", "city-whistle-webhooks")
	require.Contains(t, w.StringData["webhooks"], "|s3cret")
	resp := envOf(find[*appsv1.Deployment](t, objs, "Deployment", "city-whistle-response").Spec.Template.Spec.Containers[0])
	require.Equal(t, "city-whistle-webhooks", resp["WHISTLE_WEBHOOKS"].ValueFrom.SecretKeyRef.Name)

	vals["open311"] = map[string]any{"enabled": true}
	_, err = render(t, vals)
	require.ErrorContains(t, err, "open311.existingSecret")

	vals = minimal()
	vals["oidc"] = map[string]any{"enabled": true, "issuer": "https://idp.example.gov.cn", "clientID": "console",
		"redirectURL": "https://whistle.example.gov.cn/auth/callback", "signingKey": "c2VlZA=="}
	objs, err = render(t, vals)
	require.NoError(t, err)
	oidc := find[*corev1.Secret](t, objs, "Secret", "city-whistle-oidc")
	require.Equal(t, map[string]string{"signing-key": "c2VlZA=="}, oidc.StringData, "a public client: no client secret")
	gw := envOf(find[*appsv1.Deployment](t, objs, "Deployment", "city-whistle-gateway").Spec.Template.Spec.Containers[0])
	require.NotContains(t, gw, "WHISTLE_OIDC_CLIENT_SECRET")
	require.Equal(t, "city-whistle-oidc", gw["WHISTLE_OIDC_SIGNING_KEY"].ValueFrom.SecretKeyRef.Name)
	delete(vals["oidc"].(map[string]any), "redirectURL")
	_, err = render(t, vals)
	require.ErrorContains(t, err, "oidc.redirectURL")

	vals = minimal()
	vals["ingress"] = map[string]any{"enabled": true, "hosts": []any{"whistle.example.gov.cn"}}
	_, err = render(t, vals)
	require.ErrorContains(t, err, "set trustedProxies")
}
