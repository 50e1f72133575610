{{/* Release-scoped name, cut to fit a DNS label with a service suffix. */}}
{{- define "whistle.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 40 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 40 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{/* Labels of every object; the instance label comes with the selector labels (or is added). */}}
{{- define "whistle.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
app.kubernetes.io/part-of: whistle
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
{{- end -}}

{{/* Selector labels of one service: pass (dict "root" $ "name" $name). */}}
{{- define "whistle.selector" -}}
app.kubernetes.io/name: {{ .name }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
{{- end -}}

{{/* The merged settings of one service: defaults overridden by services.<name>. */}}
{{- define "whistle.svc" -}}
{{- $d := deepCopy .root.Values.defaults -}}
{{- $s := index .root.Values.services .name | default dict -}}
{{- toYaml (mustMergeOverwrite $d (deepCopy $s)) -}}
{{- end -}}

{{- define "whistle.natsURL" -}}
{{- if .Values.natsURL -}}
{{- .Values.natsURL -}}
{{- else if .Values.nats.enabled -}}
{{- printf "nats://%s-nats:4222" .Release.Name -}}
{{- else -}}
{{- fail "set natsURL, or nats.enabled=true for the in-release NATS cluster" -}}
{{- end -}}
{{- end -}}

{{- define "whistle.postgresSecret" -}}
{{- .Values.postgres.existingSecret | default (printf "%s-postgres" (include "whistle.fullname" .)) -}}
{{- end -}}

{{- define "whistle.rolesSecret" -}}
{{- .Values.databaseRoles.existingSecret | default (printf "%s-database-roles" (include "whistle.fullname" .)) -}}
{{- end -}}

{{- define "whistle.timelineSecret" -}}
{{- .Values.timelineKeys.existingSecret | default (printf "%s-timeline-keys" (include "whistle.fullname" .)) -}}
{{- end -}}

{{- define "whistle.jwtSecret" -}}
{{- .Values.jwt.existingSecret | default (printf "%s-jwt" (include "whistle.fullname" .)) -}}
{{- end -}}

{{- define "whistle.open311Secret" -}}
{{- .Values.open311.existingSecret | default (printf "%s-open311" (include "whistle.fullname" .)) -}}
{{- end -}}

{{- define "whistle.oidcSecret" -}}
{{- .Values.oidc.existingSecret | default (printf "%s-oidc" (include "whistle.fullname" .)) -}}
{{- end -}}

{{/* The gateway's OpenID sign-in: settings as values, the two secrets from the Secret. */}}
{{- define "whistle.oidcEnv" -}}
{{- with .Values.oidc }}
{{- if not (and .issuer .clientID .redirectURL) }}
{{- fail "oidc.enabled: set oidc.issuer, oidc.clientID and oidc.redirectURL" }}
{{- end }}
- name: WHISTLE_OIDC_ISSUER
  value: {{ .issuer | quote }}
- name: WHISTLE_OIDC_CLIENT_ID
  value: {{ .clientID | quote }}
- name: WHISTLE_OIDC_REDIRECT_URL
  value: {{ .redirectURL | quote }}
{{- with .cliClientID }}
- name: WHISTLE_OIDC_CLI_CLIENT_ID
  value: {{ . | quote }}
{{- end }}
{{- with .admins }}
- name: WHISTLE_OIDC_ADMINS
  value: {{ . | quote }}
{{- end }}
{{- range $claim, $name := .claims }}
- name: WHISTLE_OIDC_CLAIM_{{ upper $claim }}
  value: {{ $name | quote }}
{{- end }}
- name: WHISTLE_OIDC_BUCKET_REPLICAS
  value: {{ $.Values.streamReplicas | quote }}
{{- if or .existingSecret .clientSecret }}
- name: WHISTLE_OIDC_CLIENT_SECRET
  valueFrom:
    secretKeyRef:
      name: {{ include "whistle.oidcSecret" $ }}
      key: {{ .clientSecretKey }}
{{- end }}
- name: WHISTLE_OIDC_SIGNING_KEY
  valueFrom:
    secretKeyRef:
      name: {{ include "whistle.oidcSecret" $ }}
      key: {{ .signingKeyKey }}
{{- end }}
{{- end -}}

{{- define "whistle.webhooksSecret" -}}
{{- .Values.webhooks.existingSecret | default (printf "%s-webhooks" (include "whistle.fullname" .)) -}}
{{- end -}}

{{- define "whistle.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- .Values.serviceAccount.name | default (include "whistle.fullname" .) -}}
{{- else -}}
{{- .Values.serviceAccount.name | default "default" -}}
{{- end -}}
{{- end -}}

{{- define "whistle.image" -}}
{{- printf "%s/%s:%s" .root.Values.image.repository .name (.root.Values.image.tag | default .root.Chart.AppVersion) -}}
{{- end -}}

{{/* Environment every backend shares: pass (dict "root" $ "name" $name). */}}
{{/* A backend's environment; with "migrate" true, its migration step's: the
admin's DATABASE_URL and the password to give the backend's role. */}}
{{- define "whistle.backendEnv" -}}
{{- $roles := .root.Values.databaseRoles }}
{{- if and $roles.enabled (not .migrate) }}
- name: DATABASE_URL
  valueFrom:
    secretKeyRef:
      name: {{ include "whistle.rolesSecret" .root }}
      key: {{ .name }}-url
{{- else }}
- name: DATABASE_URL
  valueFrom:
    secretKeyRef:
      name: {{ include "whistle.postgresSecret" .root }}
      key: {{ .root.Values.postgres.secretKey }}
{{- end }}
{{- if and $roles.enabled .migrate }}
- name: WHISTLE_DATABASE_ROLE_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ include "whistle.rolesSecret" .root }}
      key: {{ .name }}-password
{{- end }}
{{- if eq .name "feedback" }}
- name: WHISTLE_TIMELINE_KEYS
  valueFrom:
    secretKeyRef:
      name: {{ include "whistle.timelineSecret" .root }}
      key: {{ .root.Values.timelineKeys.secretKey }}
{{- end }}
{{ include "whistle.jwtEnv" .root }}
{{ include "whistle.natsEnv" . }}
- name: WHISTLE_STREAM_REPLICAS
  value: {{ .root.Values.streamReplicas | quote }}
- name: WHISTLE_CONSUMER_PARTITIONS
  value: {{ .root.Values.consumerPartitions | quote }}
- name: WHISTLE_GRPC_ADDR
  value: {{ printf ":%v" .root.Values.service.grpcPort | quote }}
- name: WHISTLE_OPS_ADDR
  value: {{ printf ":%v" .root.Values.service.opsPort | quote }}
{{- end -}}

{{- define "whistle.otelEnv" -}}
- name: WHISTLE_LOG_LEVEL
  value: {{ .root.Values.logLevel | quote }}
- name: OTEL_SERVICE_NAME
  value: {{ .name | quote }}
- name: POD_NAME
  valueFrom:
    fieldRef:
      fieldPath: metadata.name
- name: OTEL_RESOURCE_ATTRIBUTES
  value: "service.instance.id=$(POD_NAME),deployment.environment.name={{ .root.Release.Namespace }}"
{{- with .root.Values.otel }}
{{- if .endpoint }}
- name: OTEL_EXPORTER_OTLP_ENDPOINT
  value: {{ .endpoint | quote }}
- name: OTEL_EXPORTER_OTLP_PROTOCOL
  value: {{ .protocol | quote }}
- name: OTEL_TRACES_SAMPLER
  value: {{ .sampler | quote }}
- name: OTEL_TRACES_SAMPLER_ARG
  value: {{ .samplerArg | quote }}
{{- end }}
{{- end }}
{{- end -}}

{{- define "whistle.securityContext" -}}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
runAsNonRoot: true
runAsUser: 65532
runAsGroup: 65532
capabilities:
  drop: [ALL]
{{- end -}}

{{/* Token verification: the JWKS URL in production, else the static key (dev fallback). */}}
{{- define "whistle.jwtEnv" -}}
{{- with .Values.jwt -}}
{{- if .jwksURL }}
- name: WHISTLE_JWKS_URL
  value: {{ .jwksURL | quote }}
{{- else }}
- name: WHISTLE_JWT_PUBLIC_KEY
  valueFrom:
    secretKeyRef:
      name: {{ include "whistle.jwtSecret" $ }}
      key: {{ .publicKeyKey }}
{{- end }}
{{- if .issuer }}
- name: WHISTLE_JWT_ISSUER
  value: {{ .issuer | quote }}
{{- end }}
{{- if .audience }}
- name: WHISTLE_JWT_AUDIENCE
  value: {{ .audience | quote }}
{{- end }}
{{- if .scopedKeys }}
- name: WHISTLE_JWT_SCOPED_KEYS
  value: {{ .scopedKeys | quote }}
{{- end }}
{{- end -}}
{{- end -}}

{{/* NATS URL, the service's own NATS user and client TLS: pass (dict "root" $ "name" $name). */}}
{{- define "whistle.natsEnv" -}}
- name: NATS_URL
  value: {{ include "whistle.natsURL" .root | quote }}
{{- with .root.Values.natsUsers }}
{{- if .enabled }}
- name: NATS_USER
  value: {{ $.name | quote }}
- name: NATS_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ .secretName }}
      key: {{ $.name }}
{{- end }}
{{- if .tlsSecret }}
- name: NATS_CA
  value: /etc/whistle/nats-tls/ca.crt
{{- end }}
{{- end }}
{{- end -}}
