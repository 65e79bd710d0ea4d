// Package deploy tests the packaging under deploy/: the Helm chart is
// linted and rendered with Helm's own Go module, and every manifest is
// decoded strictly into the Kubernetes API types. It is a module of its
// own so that the server's go.mod does not carry Helm and client-go.
package deploy

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"helm.sh/helm/v4/pkg/action"
	"helm.sh/helm/v4/pkg/chart/common"
	"helm.sh/helm/v4/pkg/chart/common/util"
	"helm.sh/helm/v4/pkg/chart/v2/loader"
	"helm.sh/helm/v4/pkg/engine"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"sigs.k8s.io/yaml"
)

var chartDir = filepath.Join("helm", "keyhold")

// base is the least a user must give: a PostgreSQL URL without a password,
// and the Secret that holds the password.
func base() map[string]any {
	return map[string]any{
		"database": map[string]any{
			"url":            "postgres://keyhold@db.internal:5432/keyhold?sslmode=verify-full",
			"passwordSecret": map[string]any{"name": "keyhold-db", "key": "password"},
		},
	}
}

func TestChartLint(t *testing.T) {
	for name, vals := range map[string]map[string]any{"base": base(), "everything": everything()} {
		lint := action.NewLint()
		lint.Strict = true
		lint.Namespace = "identity"
		res := lint.Run([]string{chartDir}, vals)
		if res.TotalChartsLinted != 1 || len(res.Errors) > 0 {
			t.Errorf("%s: linted %d charts, errors %v", name, res.TotalChartsLinted, res.Errors)
		}
		for _, m := range res.Messages {
			t.Logf("%s: lint: %s", name, m)
		}
	}
}

// everything turns on the optional parts: ServiceMonitor, TLS, an existing
// secret-key Secret, extra settings.
func everything() map[string]any {
	v := base()
	v["serviceMonitor"] = map[string]any{"enabled": true, "labels": map[string]any{"release": "prom"},
		"tlsConfig": map[string]any{"serverName": "keyhold.example.com"}}
	v["tls"] = map[string]any{"enabled": true, "secretName": "keyhold-tls"}
	v["secretKey"] = map[string]any{"existingSecret": "my-key", "key": "k"}
	v["publicURL"] = "https://keyhold.example.com"
	v["podAnnotations"] = map[string]any{"example.com/team": "identity"}
	v["extraEnv"] = map[string]any{"KEYHOLD_SESSION_TTL": "8h", "KEYHOLD_AUTH_FAILURE_LIMIT": 50}
	return v
}

// manifests is what the chart rendered, decoded strictly by kind.
type manifests struct {
	deployments []appsv1.Deployment
	services    []corev1.Service
	secrets     []corev1.Secret
	pdbs        []policyv1.PodDisruptionBudget
	monitors    []map[string]any
	notes       string
}

func render(t *testing.T, vals map[string]any) (*manifests, error) {
	t.Helper()
	chrt, err := loader.Load(chartDir)
	if err != nil {
		t.Fatal(err)
	}
	top, err := util.ToRenderValues(chrt, vals, common.ReleaseOptions{Name: "kh", Namespace: "identity", IsInstall: true}, common.DefaultCapabilities)
	if err != nil {
		return nil, err
	}
	files, err := engine.Render(chrt, top)
	if err != nil {
		return nil, err
	}
	names := make([]string, 0, len(files))
	for name := range files {
		names = append(names, name)
	}
	sort.Strings(names)
	m := &manifests{}
	for _, name := range names {
		if strings.HasSuffix(name, "NOTES.txt") {
			m.notes = files[name]
			continue
		}
		for _, doc := range strings.Split(files[name], "\n---") {
			if strings.TrimSpace(doc) == "" {
				continue
			}
			var head metav1.TypeMeta
			if err := yaml.Unmarshal([]byte(doc), &head); err != nil {
				t.Fatalf("%s: %v\n%s", name, err, doc)
			}
			switch head.APIVersion + " " + head.Kind {
			case "apps/v1 Deployment":
				m.deployments = append(m.deployments, strict[appsv1.Deployment](t, name, doc))
			case "v1 Service":
				m.services = append(m.services, strict[corev1.Service](t, name, doc))
			case "v1 Secret":
				m.secrets = append(m.secrets, strict[corev1.Secret](t, name, doc))
			case "policy/v1 PodDisruptionBudget":
				m.pdbs = append(m.pdbs, strict[policyv1.PodDisruptionBudget](t, name, doc))
			case "monitoring.coreos.com/v1 ServiceMonitor":
				m.monitors = append(m.monitors, strict[map[string]any](t, name, doc))
			default:
				t.Errorf("%s: unexpected %s %s", name, head.APIVersion, head.Kind)
			}
		}
	}
	return m, nil
}

// strict decodes one manifest, refusing fields the type does not have.
func strict[T any](t *testing.T, name, doc string) T {
	t.Helper()
	var v T
	js, err := yaml.YAMLToJSONStrict([]byte(doc))
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	dec := json.NewDecoder(bytes.NewReader(js))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("%s: strict decoding: %v\n%s", name, err, doc)
	}
	return v
}

func mustRender(t *testing.T, vals map[string]any) *manifests {
	t.Helper()
	m, err := render(t, vals)
	if err != nil {
		t.Fatal(err)
	}
	if len(m.deployments) != 1 || len(m.services) != 1 {
		t.Fatalf("%d deployments, %d services", len(m.deployments), len(m.services))
	}
	return m
}

func TestChartBase(t *testing.T) {
	m := mustRender(t, base())
	d := m.deployments[0]
	pod := d.Spec.Template
	if d.Spec.Replicas == nil || *d.Spec.Replicas != 3 {
		t.Errorf("replicas %s, want 3", deref(d.Spec.Replicas))
	}
	if len(m.monitors) != 0 {
		t.Error("a ServiceMonitor without serviceMonitor.enabled")
	}
	sel, err := metav1.LabelSelectorAsSelector(d.Spec.Selector)
	if err != nil || !sel.Matches(labels.Set(pod.Labels)) {
		t.Errorf("the Deployment's selector %v does not select its pods %v", d.Spec.Selector, pod.Labels)
	}

	// The PDB and the Service select exactly these pods.
	if len(m.pdbs) != 1 {
		t.Fatalf("%d PodDisruptionBudgets", len(m.pdbs))
	}
	pdb := m.pdbs[0]
	psel, err := metav1.LabelSelectorAsSelector(pdb.Spec.Selector)
	if err != nil || psel.Empty() || !psel.Matches(labels.Set(pod.Labels)) {
		t.Errorf("the PDB's selector %v does not select the pods %v", pdb.Spec.Selector, pod.Labels)
	}
	if pdb.Spec.MaxUnavailable == nil || pdb.Spec.MaxUnavailable.IntValue() != 1 {
		t.Errorf("PDB maxUnavailable %v", pdb.Spec.MaxUnavailable)
	}
	svc := m.services[0]
	if len(svc.Spec.Selector) == 0 || !labels.SelectorFromSet(svc.Spec.Selector).Matches(labels.Set(pod.Labels)) {
		t.Errorf("the Service's selector %v does not select the pods", svc.Spec.Selector)
	}

	if len(pod.Spec.Containers) != 1 {
		t.Fatalf("%d containers", len(pod.Spec.Containers))
	}
	c := pod.Spec.Containers[0]
	if want := []string{"serve"}; !slices.Equal(c.Args, want) {
		t.Errorf("args %v, want %v", c.Args, want)
	}
	if len(c.Ports) != 1 || c.Ports[0].Name != "http" || c.Ports[0].ContainerPort != 8080 || svc.Spec.Ports[0].TargetPort.String() != "http" {
		t.Errorf("ports %v, service %v", c.Ports, svc.Spec.Ports)
	}
	probe := func(name string, p *corev1.Probe, path string) {
		if p == nil || p.HTTPGet == nil || p.HTTPGet.Path != path || p.HTTPGet.Port.String() != "http" || p.HTTPGet.Scheme != corev1.URISchemeHTTP {
			t.Errorf("%s probe %+v, want GET %s on port http", name, p, path)
		}
	}
	probe("readiness", c.ReadinessProbe, "/readyz")
	probe("liveness", c.LivenessProbe, "/healthz")

	env := envOf(c)
	for k, want := range map[string]string{
		"KEYHOLD_LISTEN":           "0.0.0.0:8080",
		"KEYHOLD_DB":               "postgres://keyhold@db.internal:5432/keyhold?sslmode=verify-full",
		"KEYHOLD_DB_PASSWORD_FILE": "/etc/keyhold/db/password",
		"KEYHOLD_SECRET_KEY_FILE":  "/etc/keyhold/secret-key/secret-key",
		"KEYHOLD_LOG_LEVEL":        "info",
		"KEYHOLD_SHUTDOWN_TIMEOUT": "30s",
	} {
		if env[k] != want {
			t.Errorf("env %s = %q, want %q", k, env[k], want)
		}
	}
	for _, k := range []string{"KEYHOLD_TLS_CERT", "KEYHOLD_TLS_KEY", "KEYHOLD_PUBLIC_URL"} {
		if _, ok := env[k]; ok {
			t.Errorf("%s set without its value", k)
		}
	}
	if pod.Spec.TerminationGracePeriodSeconds == nil || *pod.Spec.TerminationGracePeriodSeconds <= 30 {
		t.Errorf("terminationGracePeriodSeconds %v, want more than the 30s shutdown timeout", pod.Spec.TerminationGracePeriodSeconds)
	}

	// The secret key and the password are files from Secret volumes.
	fromSecret(t, pod, c, env["KEYHOLD_SECRET_KEY_FILE"], "kh-keyhold-secret-key", "secret-key")
	fromSecret(t, pod, c, env["KEYHOLD_DB_PASSWORD_FILE"], "keyhold-db", "password")
	noSecretsInEnvOrArgs(t, c)

	// The chart made the key's Secret: 32 random bytes as base64 text, kept
	// on uninstall.
	if len(m.secrets) != 1 || m.secrets[0].Name != "kh-keyhold-secret-key" {
		t.Fatalf("secrets %v", m.secrets)
	}
	s := m.secrets[0]
	if key, err := base64.StdEncoding.DecodeString(string(s.Data["secret-key"])); err != nil || len(key) != 32 {
		t.Errorf("the generated key is not 32 bytes of base64: %d, %v", len(key), err)
	}
	if s.Annotations["helm.sh/resource-policy"] != "keep" {
		t.Error("the key's Secret would be deleted on uninstall")
	}
	again := mustRender(t, base())
	if bytes.Equal(again.secrets[0].Data["secret-key"], s.Data["secret-key"]) {
		t.Error("two fresh installs generated the same key")
	}

	securityContext(t, pod, c)
	if !strings.Contains(m.notes, "kh-keyhold.identity.svc:8080") {
		t.Errorf("NOTES.txt: %s", m.notes)
	}
}

func TestChartEverything(t *testing.T) {
	m := mustRender(t, everything())
	d := m.deployments[0]
	pod := d.Spec.Template
	c := pod.Spec.Containers[0]
	env := envOf(c)
	if len(m.secrets) != 0 {
		t.Errorf("a Secret rendered although secretKey.existingSecret is set: %v", m.secrets)
	}
	fromSecret(t, pod, c, env["KEYHOLD_SECRET_KEY_FILE"], "my-key", "k")
	fromSecret(t, pod, c, env["KEYHOLD_TLS_CERT"], "keyhold-tls", "")
	fromSecret(t, pod, c, env["KEYHOLD_TLS_KEY"], "keyhold-tls", "")
	if filepath.Base(env["KEYHOLD_TLS_CERT"]) != "tls.crt" || filepath.Base(env["KEYHOLD_TLS_KEY"]) != "tls.key" {
		t.Errorf("TLS files %q %q", env["KEYHOLD_TLS_CERT"], env["KEYHOLD_TLS_KEY"])
	}
	for k, want := range map[string]string{"KEYHOLD_PUBLIC_URL": "https://keyhold.example.com", "KEYHOLD_SESSION_TTL": "8h", "KEYHOLD_AUTH_FAILURE_LIMIT": "50"} {
		if env[k] != want {
			t.Errorf("env %s = %q, want %q", k, env[k], want)
		}
	}
	for name, p := range map[string]*corev1.Probe{"readiness": c.ReadinessProbe, "liveness": c.LivenessProbe} {
		if p.HTTPGet.Scheme != corev1.URISchemeHTTPS {
			t.Errorf("%s probe scheme %s with TLS", name, p.HTTPGet.Scheme)
		}
	}
	if pod.Annotations["example.com/team"] != "identity" {
		t.Errorf("pod annotations %v lack podAnnotations", pod.Annotations)
	}
	noSecretsInEnvOrArgs(t, c)
	securityContext(t, pod, c)

	// The ServiceMonitor, checked by structure (its CRD's types are not in
	// k8s.io/api): it selects the Service and scrapes /metrics on its port.
	if len(m.monitors) != 1 {
		t.Fatalf("%d ServiceMonitors", len(m.monitors))
	}
	sm := m.monitors[0]
	onlyKeys(t, "ServiceMonitor", sm, "apiVersion", "kind", "metadata", "spec")
	spec, _ := sm["spec"].(map[string]any)
	onlyKeys(t, "ServiceMonitor spec", spec, "selector", "namespaceSelector", "endpoints")
	meta, _ := sm["metadata"].(map[string]any)
	if l, _ := meta["labels"].(map[string]any); l["release"] != "prom" {
		t.Errorf("ServiceMonitor labels %v lack serviceMonitor.labels", meta["labels"])
	}
	var sel metav1.LabelSelector
	js, _ := json.Marshal(spec["selector"])
	dec := json.NewDecoder(bytes.NewReader(js))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&sel); err != nil {
		t.Fatalf("ServiceMonitor selector: %v", err)
	}
	s, err := metav1.LabelSelectorAsSelector(&sel)
	if err != nil || s.Empty() || !s.Matches(labels.Set(m.services[0].Labels)) {
		t.Errorf("ServiceMonitor selector %v does not select the Service %v", sel, m.services[0].Labels)
	}
	eps, _ := spec["endpoints"].([]any)
	if len(eps) != 1 {
		t.Fatalf("endpoints %v", spec["endpoints"])
	}
	ep, _ := eps[0].(map[string]any)
	onlyKeys(t, "ServiceMonitor endpoint", ep, "port", "path", "scheme", "interval", "scrapeTimeout", "tlsConfig")
	if ep["port"] != m.services[0].Spec.Ports[0].Name || ep["path"] != "/metrics" || ep["scheme"] != "https" {
		t.Errorf("endpoint %v", ep)
	}
	if tc, _ := ep["tlsConfig"].(map[string]any); tc["serverName"] != "keyhold.example.com" {
		t.Errorf("tlsConfig %v", ep["tlsConfig"])
	}
}

// Rendering refuses what cannot work, with a message that says why.
func TestChartRefuses(t *testing.T) {
	with := func(f func(v map[string]any)) map[string]any { v := base(); f(v); return v }
	db := func(url string) map[string]any {
		return with(func(v map[string]any) { v["database"].(map[string]any)["url"] = url })
	}
	for name, c := range map[string]struct {
		vals map[string]any
		want string
	}{
		"no database":        {map[string]any{}, "database.url is required"},
		"sqlite":             {db("sqlite:/data/keyhold.db"), "must be a postgres:// URL"},
		"password in URL":    {db("postgres://keyhold:hunter2@db:5432/keyhold"), "must not carry a password"},
		"password parameter": {db("postgres://keyhold@db:5432/keyhold?sslmode=require&password=hunter2"), "must not carry a password"},
		"TLS without secret": {with(func(v map[string]any) { v["tls"] = map[string]any{"enabled": true} }), "tls.secretName is required"},
		"foreign extraEnv":   {with(func(v map[string]any) { v["extraEnv"] = map[string]any{"GOGC": "50"} }), "GOGC is not a KEYHOLD_ setting"},
	} {
		_, err := render(t, c.vals)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want an error with %q", name, err, c.want)
		}
		if err != nil && strings.Contains(err.Error(), "hunter2") {
			t.Errorf("%s: the error shows the password: %v", name, err)
		}
	}
}

func envOf(c corev1.Container) map[string]string {
	env := map[string]string{}
	for _, e := range c.Env {
		env[e.Name] = e.Value
	}
	return env
}

// fromSecret checks that path is a file of a read-only volume mounted from
// the Secret secretName (and, when key is given, from that key).
func fromSecret(t *testing.T, pod corev1.PodTemplateSpec, c corev1.Container, path, secretName, key string) {
	t.Helper()
	if path == "" {
		t.Errorf("no file path for the Secret %s", secretName)
		return
	}
	for _, vm := range c.VolumeMounts {
		if filepath.Dir(path) != filepath.Clean(vm.MountPath) {
			continue
		}
		if !vm.ReadOnly {
			t.Errorf("%s is mounted writable", vm.MountPath)
		}
		for _, v := range pod.Spec.Volumes {
			if v.Name != vm.Name {
				continue
			}
			if v.Secret == nil || v.Secret.SecretName != secretName {
				t.Errorf("%s: volume %s is not the Secret %s: %+v", path, v.Name, secretName, v.VolumeSource)
				return
			}
			if v.Secret.DefaultMode == nil || *v.Secret.DefaultMode&0o077 != 0 {
				t.Errorf("%s: defaultMode %v lets others read it", path, v.Secret.DefaultMode)
			}
			if key != "" && !slices.ContainsFunc(v.Secret.Items, func(k corev1.KeyToPath) bool {
				return k.Key == key && k.Path == filepath.Base(path)
			}) {
				t.Errorf("%s: the Secret's key %s is not mounted at it: %v", path, key, v.Secret.Items)
			}
			return
		}
	}
	t.Errorf("%s is on no mounted volume", path)
}

// noSecretsInEnvOrArgs: secrets reach the server as files, never as values
// in the environment or on the command line (where `ps` and `kubectl
// describe` show them).
func noSecretsInEnvOrArgs(t *testing.T, c corev1.Container) {
	t.Helper()
	if len(c.EnvFrom) > 0 {
		t.Errorf("envFrom %v", c.EnvFrom)
	}
	for _, e := range c.Env {
		if e.ValueFrom != nil {
			t.Errorf("env %s comes from %+v; secrets must be files", e.Name, e.ValueFrom)
		}
		lower := strings.ToLower(e.Name)
		if (strings.Contains(lower, "password") || strings.Contains(lower, "secret") || strings.HasSuffix(lower, "_key")) && !filepath.IsAbs(e.Value) {
			t.Errorf("env %s looks like a secret value, not a file's path: %q", e.Name, e.Value)
		}
		if strings.Contains(e.Value, "hunter2") || strings.Contains(strings.ToLower(e.Value), "password=") {
			t.Errorf("env %s carries a password: %q", e.Name, e.Value)
		}
	}
	for _, a := range append(slices.Clone(c.Command), c.Args...) {
		if strings.Contains(strings.ToLower(a), "password") || strings.Contains(a, "secret") {
			t.Errorf("argument %q", a)
		}
	}
}

func securityContext(t *testing.T, pod corev1.PodTemplateSpec, c corev1.Container) {
	t.Helper()
	ps, cs := pod.Spec.SecurityContext, c.SecurityContext
	if ps == nil || cs == nil {
		t.Fatal("no security context")
	}
	if ps.RunAsNonRoot == nil || !*ps.RunAsNonRoot || ps.RunAsUser == nil || *ps.RunAsUser == 0 {
		t.Errorf("pod runs as root: %+v", ps)
	}
	if ps.SeccompProfile == nil || ps.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault {
		t.Errorf("seccomp %+v", ps.SeccompProfile)
	}
	if cs.ReadOnlyRootFilesystem == nil || !*cs.ReadOnlyRootFilesystem {
		t.Error("root filesystem writable")
	}
	if cs.AllowPrivilegeEscalation == nil || *cs.AllowPrivilegeEscalation {
		t.Error("privilege escalation allowed")
	}
	if cs.Capabilities == nil || !slices.Equal(cs.Capabilities.Drop, []corev1.Capability{"ALL"}) || len(cs.Capabilities.Add) > 0 {
		t.Errorf("capabilities %+v", cs.Capabilities)
	}
	if pod.Spec.AutomountServiceAccountToken == nil || *pod.Spec.AutomountServiceAccountToken {
		t.Error("the service account token is mounted; keyhold does not talk to the Kubernetes API")
	}
}

func onlyKeys(t *testing.T, what string, m map[string]any, allowed ...string) {
	t.Helper()
	if m == nil {
		t.Errorf("%s is missing", what)
		return
	}
	for k := range m {
		if !slices.Contains(allowed, k) {
			t.Errorf("%s has unknown field %q", what, k)
		}
	}
}

func deref(p *int32) string {
	if p == nil {
		return "unset"
	}
	return strconv.Itoa(int(*p))
}
