{{- define "hearth-agent.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
hearth-agent.fullname names every object; at most 52 characters so
"<fullname>-credential" and "<fullname>-join-token" fit.
*/}}
{{- define "hearth-agent.fullname" -}}
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

{{- define "hearth-agent.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "hearth-agent.selectorLabels" -}}
app.kubernetes.io/name: {{ include "hearth-agent.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: node-agent
{{- end }}

{{- define "hearth-agent.labels" -}}
helm.sh/chart: {{ include "hearth-agent.chart" . }}
{{ include "hearth-agent.selectorLabels" . }}
app.kubernetes.io/version: {{ .Values.image.tag | default .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: hearth
{{- end }}

{{- define "hearth-agent.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "hearth-agent.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "hearth-agent.image" -}}
{{- printf "%s:%s" .Values.image.repository (.Values.image.tag | default .Chart.AppVersion) }}
{{- end }}

{{/* The namespace job pods run in (--kube-namespace). */}}
{{- define "hearth-agent.jobNamespace" -}}
{{- default .Release.Namespace .Values.kube.namespace }}
{{- end }}

{{/* The Secret holding the join token. */}}
{{- define "hearth-agent.joinTokenSecret" -}}
{{- default (printf "%s-join-token" (include "hearth-agent.fullname" .)) .Values.existingSecret }}
{{- end }}

{{/* The Secret for the agent's credential (the only one it may read or write). */}}
{{- define "hearth-agent.credentialSecret" -}}
{{- printf "%s-credential" (include "hearth-agent.fullname" .) }}
{{- end }}

{{/* The Lease the replicas will elect the active agent with (replicaCount 2). */}}
{{- define "hearth-agent.leaseName" -}}
{{- include "hearth-agent.fullname" . }}
{{- end }}

{{/*
hearth-agent.jobRules: what running jobs as pods needs, in the jobs'
namespace. docs/kubernetes.md explains each rule.
*/}}
{{- define "hearth-agent.jobRules" -}}
# Job pods: created per job, followed through an informer (list, watch),
# read back, deleted when the job ends or is cancelled.
- apiGroups: [""]
  resources: [pods]
  verbs: [create, get, list, watch, delete]
# Each container's log, followed into the job's step logs.
- apiGroups: [""]
  resources: [pods/log]
  verbs: [get]
# attach feeds the checkout its clone token on stdin; exec collects
# artifacts from the sidecar. Both upgrade to a WebSocket: Kubernetes
# authorizes that as create (1.31+) and, before, as get.
- apiGroups: [""]
  resources: [pods/exec, pods/attach]
  verbs: [create, get]
# Warning events (image pull, scheduling) that fail a job at once.
- apiGroups: [""]
  resources: [events]
  verbs: [get, list, watch]
{{- end }}

{{/*
hearth-agent.selfRules: the agent's own state, in the release's namespace,
each restricted to the one object by name where Kubernetes allows it.
*/}}
{{- define "hearth-agent.selfRules" -}}
# The agent's credential, and no other Secret.
- apiGroups: [""]
  resources: [secrets]
  resourceNames: [{{ include "hearth-agent.credentialSecret" . }}]
  verbs: [get, update]
# The Lease that elects the active replica, and no other Lease.
- apiGroups: [coordination.k8s.io]
  resources: [leases]
  resourceNames: [{{ include "hearth-agent.leaseName" . }}]
  verbs: [get, update]
# Creating the Lease the first time. Kubernetes cannot restrict create by
# resourceNames (the name is not known when the request is authorized), so
# this rule allows creating any Lease in this namespace; the rule above
# still limits reading and updating to the agent's own.
- apiGroups: [coordination.k8s.io]
  resources: [leases]
  verbs: [create]
{{- end }}

{{- define "hearth-agent.validate" -}}
{{- if and .Values.joinToken .Values.existingSecret }}
{{- fail "give joinToken (the chart creates its Secret) or existingSecret (yours), not both" }}
{{- end }}
{{- $managed := list "server" "data-dir" "join-token" "name" "labels" "capacity" "runner" "kubeconfig" "kube-namespace" "kube-cluster" "kube-helper-image" "kube-default-image" "kube-pod-config" "identity-secret" "lease" "log-level" "log-format" "otlp-listen" "otlp-endpoint" "otlp-queue-bytes" }}
{{- range $flag, $_ := .Values.extraFlags }}
{{- if has $flag $managed }}
{{- fail (printf "extraFlags.%s: --%s is set by the chart from its own value (see values.yaml)" $flag $flag) }}
{{- end }}
{{- end }}
{{- end }}

{{/* hearth-agent.labelList renders a map as --labels wants it: k=v,k=v (sorted). */}}
{{- define "hearth-agent.labelList" -}}
{{- $pairs := list }}
{{- range $k, $v := . }}
{{- $pairs = append $pairs (printf "%s=%s" $k $v) }}
{{- end }}
{{- join "," $pairs }}
{{- end }}
