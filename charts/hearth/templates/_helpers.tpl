{{/*
hearth.name is the chart's name, or nameOverride.
*/}}
{{- define "hearth.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
hearth.fullname names every object: fullnameOverride, else the release
name when it already contains the chart's name, else release-chart. At
most 52 characters, so "<fullname>-headless" and the pods' names
("<fullname>-0") and claims ("data-<fullname>-0") fit Kubernetes' limits.
*/}}
{{- define "hearth.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 52 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 52 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 52 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "hearth.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "hearth.selectorLabels" -}}
app.kubernetes.io/name: {{ include "hearth.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: control-plane
{{- end }}

{{- define "hearth.labels" -}}
helm.sh/chart: {{ include "hearth.chart" . }}
{{ include "hearth.selectorLabels" . }}
app.kubernetes.io/version: {{ .Values.image.tag | default .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: hearth
{{- end }}

{{- define "hearth.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "hearth.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "hearth.image" -}}
{{- printf "%s:%s" .Values.image.repository (.Values.image.tag | default .Chart.AppVersion) }}
{{- end }}

{{/*
hearth.secretName: a connection's existing Secret, by default
<fullname>-<suffix>. Call with (list $ .Values.database "database").
*/}}
{{- define "hearth.secretName" -}}
{{- $root := index . 0 }}{{ $conf := index . 1 }}{{ $suffix := index . 2 }}
{{- default (printf "%s-%s" (include "hearth.fullname" $root) $suffix) $conf.existingSecret }}
{{- end }}

{{- define "hearth.scheme" -}}
{{- if .Values.tls.existingSecret }}HTTPS{{ else }}HTTP{{ end }}
{{- end }}

{{/*
hearth.validate stops the render on values the chart cannot honour.
*/}}
{{- define "hearth.validate" -}}
{{- if ne (int .Values.replicaCount) 1 }}
{{- fail (printf "replicaCount is %v: the hearth chart runs exactly 1 replica. Repositories (the data volume) are not replicated between control-plane replicas until the HA work lands, so a second replica would serve a different, empty set of repositories" .Values.replicaCount) }}
{{- end }}
{{- if and .Values.metrics.serviceMonitor.enabled (not .Values.metrics.enabled) }}
{{- fail "metrics.serviceMonitor.enabled needs metrics.enabled: Prometheus scrapes the unauthenticated metrics port (--metrics-listen); the main port's /metrics needs an administrator" }}
{{- end }}
{{- $managed := list "listen" "data-dir" "raft-listen" "node-id" "allow-plaintext" "tls-cert" "tls-key" "metrics-listen" "database-url" "redis-url" "s3-endpoint" "s3-access-key" "s3-secret-key" "s3-bucket" "s3-region" "admin-password" "secrets-root-key" "secrets-root-key-file" "public-url" "trusted-proxies" "log-level" "log-format" "shutdown-timeout" "config" }}
{{- range $flag, $_ := .Values.config.extraFlags }}
{{- if has $flag $managed }}
{{- fail (printf "config.extraFlags.%s: --%s is set by the chart from its own value (see values.yaml)" $flag $flag) }}
{{- end }}
{{- end }}
{{- end }}

{{/*
hearth.publicURL: config.publicURL, else the Ingress's first host
(https:// when the Ingress has TLS), else nothing (hearth's default).
*/}}
{{- define "hearth.publicURL" -}}
{{- if .Values.config.publicURL }}
{{- .Values.config.publicURL }}
{{- else if and .Values.ingress.enabled .Values.ingress.hosts }}
{{- with (first .Values.ingress.hosts).host }}
{{- printf "%s://%s" (ternary "https" "http" (gt (len $.Values.ingress.tls) 0)) . }}
{{- end }}
{{- end }}
{{- end }}
