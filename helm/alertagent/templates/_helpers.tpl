{{- define "alertagent.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "alertagent.labels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{- define "alertagent.selectorLabels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: serve
{{- end -}}

{{- define "alertagent.workerSelectorLabels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: worker
{{- end -}}

{{- define "alertagent.image" -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end -}}

{{/* PostgreSQL is in use: set in the chart's Secret, or assumed with an existing Secret. */}}
{{- define "alertagent.usesPostgres" -}}
{{- if or .Values.secrets.existingSecret .Values.secrets.databaseUrl -}}true{{- end -}}
{{- end -}}

{{/* Migrations run in the pre-install/pre-upgrade Job, not in each serve pod. */}}
{{- define "alertagent.migrationJob" -}}
{{- if and .Values.migrations.job (include "alertagent.usesPostgres" .) -}}true{{- end -}}
{{- end -}}

{{/* More than one process shares the database: PostgreSQL and Redis are required. */}}
{{- define "alertagent.checkScaleOut" -}}
{{- $many := or (gt (int .Values.replicaCount) 1) .Values.worker.enabled .Values.autoscaling.enabled -}}
{{- if and $many (not .Values.secrets.existingSecret) (or (not .Values.secrets.databaseUrl) (not .Values.secrets.redisUrl)) -}}
{{- fail "replicaCount > 1, worker.enabled and autoscaling.enabled need secrets.databaseUrl (PostgreSQL) and secrets.redisUrl (Redis): the embedded database and in-process queue serve one pod only" -}}
{{- end -}}
{{- end -}}

{{/* Environment shared by serve, worker and the migration Job. */}}
{{- define "alertagent.env" -}}
- name: ALERTAGENT_CONFIG
  value: /etc/alertagent/alertagent.yaml
- name: DATA_DIR
  value: /var/lib/alertagent
{{- with .Values.tracing.otlpEndpoint }}
- name: OTEL_EXPORTER_OTLP_ENDPOINT
  value: {{ . | quote }}
- name: TRACING_SAMPLE_RATIO
  value: {{ $.Values.tracing.sampleRatio | quote }}
{{- end }}
{{- end -}}

{{- define "alertagent.secretName" -}}
{{- default (include "alertagent.fullname" .) .Values.secrets.existingSecret -}}
{{- end -}}
