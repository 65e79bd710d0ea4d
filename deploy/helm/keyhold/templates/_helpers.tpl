{{/* The release's resource name, at most 63 characters. */}}
{{- define "keyhold.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "keyhold.selectorLabels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "keyhold.labels" -}}
{{ include "keyhold.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{- end -}}

{{/* The database URL, checked: required, PostgreSQL, no password. */}}
{{- define "keyhold.databaseURL" -}}
{{- $url := required "database.url is required: the chart runs several replicas on one external PostgreSQL (postgres://USER@HOST:5432/DB, without a password)" .Values.database.url -}}
{{- if not (regexMatch "^postgres(ql)?://" $url) -}}
{{- fail "database.url must be a postgres:// URL: replicas cannot share SQLite" -}}
{{- end -}}
{{- if regexMatch "^postgres(ql)?://[^/@]*:[^/@]*@" $url -}}
{{- fail "database.url must not carry a password: put it in a Secret and name it in database.passwordSecret" -}}
{{- end -}}
{{- if regexMatch "[?&]password=" $url -}}
{{- fail "database.url must not carry a password: put it in a Secret and name it in database.passwordSecret" -}}
{{- end -}}
{{- $url -}}
{{- end -}}

{{- define "keyhold.secretKeySecret" -}}
{{- default (printf "%s-secret-key" (include "keyhold.fullname" .)) .Values.secretKey.existingSecret -}}
{{- end -}}

{{- define "keyhold.scheme" -}}
{{- if .Values.tls.enabled }}HTTPS{{ else }}HTTP{{ end -}}
{{- end -}}
