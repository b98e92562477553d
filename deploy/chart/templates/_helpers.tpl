{{/*
Labels every object carries: the ones `kubectl apply -k deploy/` sets (app.kubernetes.io/name, and component where
given), plus Helm's own. Selectors use only the first two, so they match the kustomize install's pods too.
Usage: include "inferno.labels" (dict "ctx" $ "component" "webhook")
*/}}
{{- define "inferno.labels" -}}
app.kubernetes.io/name: inferno
{{- with .component }}
app.kubernetes.io/component: {{ . }}
{{- end }}
app.kubernetes.io/instance: {{ .ctx.Release.Name }}
app.kubernetes.io/version: {{ .ctx.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .ctx.Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .ctx.Chart.Name .ctx.Chart.Version }}
{{- end -}}

{{- define "inferno.selectorLabels" -}}
app.kubernetes.io/name: inferno
app.kubernetes.io/component: webhook
{{- end -}}

{{/* The webhook configurations skip these namespaces where they fail closed (no self-deadlock). */}}
{{- define "inferno.protectedNamespaces" -}}
[kube-system, {{ .Values.namespace }}]
{{- end -}}

{{- define "inferno.image" -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end -}}

{{/* The serving Certificate cert-manager issues (certs.mode=cert-manager); the CA injector reads it. */}}
{{- define "inferno.servingCertificate" -}}
inferno-webhook
{{- end -}}


{{/* certs.mode=cert-manager: its CA injector fills caBundle from the serving Certificate. */}}
{{- define "inferno.webhookAnnotations" -}}
{{- if eq .Values.certs.mode "cert-manager" }}
annotations:
  cert-manager.io/inject-ca-from: {{ .Values.namespace }}/{{ include "inferno.servingCertificate" . }}
{{- end }}
{{- end -}}
