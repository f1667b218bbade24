package scenario

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
)

func TestParseManifestsAcceptsWhatAClusterAccepts(t *testing.T) {
	tests := []struct {
		name string
		doc  string
		// manifests are the loaded objects as Kind/namespace/name.
		manifests []string
		summary   string
	}{
		{"skipped kinds are counted", `apiVersion: v1
kind: Secret
metadata: {name: s}
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: r}
---
apiVersion: v1
kind: Secret
metadata: {name: t}
---
apiVersion: example.com/v1
kind: Widget
metadata: {name: w}
---
apiVersion: networking.istio.io/v1beta1
kind: ProxyConfig
metadata: {name: pc}
spec: {concurrency: 2}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: vs}
spec: {hosts: [a]}
`, []string{"VirtualService/default/vs"}, "2 Secret, 1 HTTPRoute, 1 ProxyConfig (not modelled yet), 1 Widget"},
		{"kind: List is unpacked", `apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: Service
  metadata: {name: a}
  spec: {ports: [{port: 80}]}
- apiVersion: v1
  kind: ConfigMap
  metadata: {name: c}
`, []string{"Service/default/a"}, "1 ConfigMap"},
		{"a typed list is unpacked", `apiVersion: v1
kind: ServiceList
items:
- apiVersion: v1
  kind: Service
  metadata: {name: a, namespace: x}
  spec: {ports: [{port: 80}]}
`, []string{"Service/x/a"}, ""},
		{"workload kinds", `apiVersion: apps/v1
kind: DaemonSet
metadata: {name: d}
spec: {selector: {matchLabels: {app: d}}, template: {metadata: {labels: {app: d}}}}
---
apiVersion: batch/v1
kind: CronJob
metadata: {name: c}
spec: {schedule: "* * * * *", jobTemplate: {spec: {template: {metadata: {labels: {app: c}}}}}}
---
apiVersion: v1
kind: Endpoints
metadata: {name: e}
subsets: [{addresses: [{ip: 10.0.0.1}], ports: [{port: 5432}]}]
`, []string{"DaemonSet/default/d", "CronJob/default/c", "Endpoints/default/e"}, ""},
		{"a JSON patch document is skipped", "- op: replace\n  path: /spec/replicas\n  value: 2\n", nil, "1 Kustomize patch"},
		{"YAML without Kubernetes objects is skipped", "services:\n  web: {image: nginx}\n", nil, "1 YAML file without Kubernetes objects"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sc, err := ParseManifests("m.yaml", []byte(tt.doc))
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, m := range sc.Manifests {
				got = append(got, m.Ref())
			}
			if strings.Join(got, " ") != strings.Join(tt.manifests, " ") {
				t.Errorf("manifests %v, want %v", got, tt.manifests)
			}
			if s := SkipSummary(sc.Skipped); s != tt.summary {
				t.Errorf("summary %q, want %q", s, tt.summary)
			}
		})
	}
}

func TestParseManifestsReportsEveryBadDocument(t *testing.T) {
	doc := `apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: a}
spec: {hosts: [a.example.com], resolutoin: DNS}
---
apiVersion: v1
kind: Secret
metadata: {name: fine}
---
apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: Service
  metadata: {name: b}
  spec: {portz: []}
---
apiVersion: extensions/v1beta1
kind: Deployment
metadata: {name: old}
`
	_, err := ParseManifests("m.yaml", []byte(doc))
	errs := Flatten(err)
	want := [][]string{
		{"m.yaml: document 1 (ServiceEntry a): spec", "resolutoin"},
		{"m.yaml: document 3 item 1 (Service b)", "portz"},
		{"m.yaml: document 4 (Deployment old): apiVersion", "no longer served"},
	}
	if len(errs) != len(want) {
		t.Fatalf("got %d errors, want %d: %v", len(errs), len(want), err)
	}
	for i, w := range want {
		for _, sub := range w {
			if !strings.Contains(errs[i].Error(), sub) {
				t.Errorf("error %d %q lacks %q", i, errs[i], sub)
			}
		}
		var e *Error
		if !errors.As(errs[i], &e) {
			t.Errorf("error %d is %T", i, errs[i])
		}
	}
}

func TestNamespaceOptionAndMeshConfigMap(t *testing.T) {
	doc := `apiVersion: v1
kind: Service
metadata: {name: a}
spec: {ports: [{port: 80}]}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: istio, namespace: istio-system}
data:
  mesh: |
    outboundTrafficPolicy: {mode: REGISTRY_ONLY}
    defaultConfig:
      proxyMetadata: {ISTIO_META_DNS_CAPTURE: "true"}
`
	sc, err := ParseManifestsWith("m.yaml", []byte(doc), ManifestOptions{Namespace: "shop"})
	if err != nil {
		t.Fatal(err)
	}
	if len(sc.Manifests) != 1 || sc.Manifests[0].Namespace != "shop" {
		t.Errorf("manifests %+v, want Service in shop", sc.Manifests)
	}
	if sc.Mesh == nil || sc.Mesh.Index != 2 {
		t.Fatalf("mesh source %+v", sc.Mesh)
	}
	otp, _ := sc.Header.MeshConfig["outboundTrafficPolicy"].(map[string]any)
	if otp["mode"] != "REGISTRY_ONLY" {
		t.Errorf("header meshConfig %v", sc.Header.MeshConfig)
	}
	if md := MeshDefaultConfig(sc.Header.MeshConfig).ProxyMetadata; md[MetaDNSCapture] != "true" {
		t.Errorf("proxyMetadata %v", md)
	}
	_, err = ParseManifests("m.yaml", []byte("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: istio, namespace: istio-system}\ndata: {mesh: \"a: [\"}\n"))
	if err == nil || !strings.Contains(err.Error(), "data.mesh") {
		t.Errorf("bad mesh config: %v", err)
	}
}

// A cluster takes an istio ConfigMap whatever its mesh says, and istiod
// reads what it can: unknown fields dropped, an undecodable config not
// used at all. The scenario keeps that mesh config beside the error.
func TestMeshConfigMapReadAsIstiod(t *testing.T) {
	cm := "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: istio, namespace: istio-system}\ndata:\n  mesh: |\n"
	for _, tc := range []struct {
		name, mesh string
		want       map[string]any
		wantErr    string
	}{
		{"unknown field dropped", "    defaultServiceExportTo: [\".\"]\n    defaultServiceExportTO: [\"*\"]\n",
			map[string]any{"defaultServiceExportTo": []any{"."}}, "meshConfig.defaultServiceExportTO: unknown field (did you mean defaultServiceExportTo?) (istiod ignores unknown fields"},
		{"wrong type not used", "    defaultServiceExportTo: [\".\"]\n    rootNamespace: [a]\n",
			nil, "meshConfig.rootNamespace: invalid value for string field rootNamespace: [ (istiod does not use a mesh config it cannot decode"},
		{"clean", "    rootNamespace: mesh-root\n", map[string]any{"rootNamespace": "mesh-root"}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sc, err := ParseManifests("m.yaml", []byte(cm+tc.mesh))
			if tc.wantErr == "" && err != nil || tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)) {
				t.Fatalf("error %v, want one containing %q", err, tc.wantErr)
			}
			if sc == nil || sc.Mesh == nil {
				t.Fatalf("no mesh source kept: %+v", sc)
			}
			if !reflect.DeepEqual(sc.Mesh.Config, tc.want) {
				t.Errorf("mesh config %v, want %v", sc.Mesh.Config, tc.want)
			}
		})
	}
}

// writeTree writes files under a new temporary folder and returns it.
func writeTree(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for rel, text := range files {
		p := filepath.Join(dir, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestExpandManifestsRendersKustomizeSkipsHelmAndDotFolders(t *testing.T) {
	dir := writeTree(t, map[string]string{
		// A base with a JSON6902 patch, and an overlay on it: the overlay
		// is the root; the base and its files are consumed.
		"base/kustomization.yaml":    "resources: [svc.yaml, deploy.yaml]\npatches:\n- path: inject.yaml\n  target: {kind: Deployment, name: web}\n",
		"base/svc.yaml":              "apiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec: {ports: [{port: 80}]}\n",
		"base/deploy.yaml":           "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: web}}\n    spec: {containers: [{name: web, image: web}]}\n",
		"base/inject.yaml":           "- op: add\n  path: /spec/template/spec/containers/-\n  value: {name: istio-proxy, image: proxyv2}\n",
		"base/unused.yaml":           "apiVersion: v1\nkind: Service\nmetadata: {name: other}\nspec: {ports: [{port: 81}]}\n",
		"overlay/kustomization.yaml": "namespace: shop\nresources: [../base]\n",
		"plain/svc.yaml":             "apiVersion: v1\nkind: Service\nmetadata: {name: plain}\nspec: {ports: [{port: 82}]}\n",
		"empty/kustomization.yaml":   "",
		"remote/kustomization.yaml":  "resources: [https://raw.githubusercontent.com/example/app/main/deploy.yaml]\n",
		"broken/kustomization.yaml":  "resources: [svc.yaml, missing.yaml]\npatches: [{path: p.yaml}]\n",
		"broken/svc.yaml":            "apiVersion: v1\nkind: Service\nmetadata: {name: broken}\nspec: {ports: [{port: 83}]}\n",
		"broken/p.yaml":              "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: a}\n",
		"helm/kustomization.yaml":    "helmCharts: [{name: podinfo, repo: https://example.com/charts}]\n",
		// A component no kustomization lists, whose patch names an object
		// it does not hold: kustomize cannot build it alone, and no
		// cluster gets it alone.
		"comp/kustomization.yaml":  "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\npatches:\n- patch: |-\n    apiVersion: apps/v1\n    kind: Deployment\n    metadata: {name: cartservice}\n    spec: {replicas: 2}\n",
		"tmpl/deploy.yaml":         "metadata: {name: {{ .Release.Name }}}\n",
		"chart/Chart.yaml":         "apiVersion: v2\nname: c\n",
		"chart/values.yaml":        "replicas: 1\n",
		".github/workflows/ci.yml": "on: push\n",
		"README.md":                "# hi\n",
	})
	in, err := ExpandManifests([]string{dir})
	if err != nil {
		t.Fatal(err)
	}
	var files []string
	for _, f := range in.Files {
		rel, _ := filepath.Rel(dir, f)
		files = append(files, rel)
	}
	// A root that does not build is an error; its resources are read as
	// they are, so the rest of its folder is still analyzed.
	if want := []string{"broken/svc.yaml", "overlay/kustomization.yaml", "plain/svc.yaml"}; !slices.Equal(files, want) {
		t.Errorf("files %v, want %v", files, want)
	}
	rendered := string(in.Rendered[filepath.Join(dir, "overlay/kustomization.yaml")])
	for _, want := range []string{"namespace: shop", "name: istio-proxy", "name: web"} {
		if !strings.Contains(rendered, want) {
			t.Errorf("rendered overlay lacks %q:\n%s", want, rendered)
		}
	}
	if len(in.Errors) != 1 || !strings.Contains(in.Errors[0].Error(), filepath.Join("broken", "kustomization.yaml")) || !strings.Contains(in.Errors[0].Error(), "missing.yaml") {
		t.Errorf("errors %v, want one naming broken/kustomization.yaml and missing.yaml", in.Errors)
	}
	got := map[string]string{}
	for _, s := range in.Skipped {
		rel, _ := filepath.Rel(dir, s.File)
		got[rel] = s.Label
		if s.Hint == "" {
			t.Errorf("%s skipped without a hint", rel)
		}
	}
	want := map[string]string{
		"broken/p.yaml": "Kustomize patch", "helm/kustomization.yaml": "Kustomize root kustomize cannot build here",
		"empty/kustomization.yaml": "Kustomize root kustomize cannot build here", "remote/kustomization.yaml": "Kustomize root kustomize cannot build here",
		"base/unused.yaml": "file no kustomization reads", "comp/kustomization.yaml": "Kustomize component no kustomization uses",
		"tmpl/deploy.yaml": "template ({{ }})", "chart": "Helm chart",
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: skipped as %q, want %q (all: %v)", k, got[k], v, got)
		}
	}
	if len(got) != len(want) {
		t.Errorf("skipped %v, want %v", got, want)
	}
}

func TestSidecarInjected(t *testing.T) {
	ns := func(labels map[string]string) *corev1.Namespace {
		n := &corev1.Namespace{}
		n.Name, n.Labels = "app", labels
		return n
	}
	tests := []struct {
		name        string
		ns          *corev1.Namespace
		namespace   string
		labels      map[string]string
		annotations map[string]string
		hostNetwork bool
		injected    bool
		want        bool
	}{
		{"namespace not in the input: assumed labelled", nil, "app", nil, nil, false, false, true},
		{"istio-injection=enabled", ns(map[string]string{"istio-injection": "enabled"}), "app", nil, nil, false, false, true},
		{"istio-injection=disabled", ns(map[string]string{"istio-injection": "disabled"}), "app", nil, nil, false, false, false},
		{"disabled namespace, pod label true: the webhook is not called", ns(map[string]string{"istio-injection": "disabled"}), "app", map[string]string{"sidecar.istio.io/inject": "true"}, nil, false, false, false},
		{"revision label", ns(map[string]string{"istio.io/rev": "canary"}), "app", nil, nil, false, false, true},
		{"namespace without labels: assumed labelled", ns(nil), "app", nil, nil, false, false, true},
		{"istio-injection=false is not enabled", ns(map[string]string{"istio-injection": "false"}), "app", nil, nil, false, false, false},
		{"namespace without labels, pod label true", ns(nil), "app", map[string]string{"sidecar.istio.io/inject": "true"}, nil, false, false, true},
		{"pod label false", nil, "app", map[string]string{"sidecar.istio.io/inject": "false"}, nil, false, false, false},
		{"pod annotation false", nil, "app", nil, map[string]string{"sidecar.istio.io/inject": "false"}, false, false, false},
		{"label true wins over annotation false", nil, "app", map[string]string{"sidecar.istio.io/inject": "true"}, map[string]string{"sidecar.istio.io/inject": "false"}, false, false, true},
		{"host network", nil, "app", nil, nil, true, false, false},
		{"kube-system", nil, "kube-system", nil, nil, false, false, false},
		{"kube-inject output in a disabled namespace", ns(map[string]string{"istio-injection": "disabled"}), "app", nil, map[string]string{"sidecar.istio.io/status": "{}"}, false, true, true},
		{"istio-proxy with inject=false label", nil, "app", map[string]string{"sidecar.istio.io/inject": "false"}, nil, false, true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tmpl := corev1.PodTemplateSpec{}
			tmpl.Labels, tmpl.Annotations, tmpl.Spec.HostNetwork = tt.labels, tt.annotations, tt.hostNetwork
			tmpl.Spec.Containers = []corev1.Container{{Name: "app"}}
			if tt.injected {
				tmpl.Spec.Containers = append(tmpl.Spec.Containers, corev1.Container{Name: "istio-proxy"})
			}
			got := SidecarInjected(tt.ns, tt.namespace, tmpl.ObjectMeta, tmpl.Spec)
			if got.Sidecar != tt.want || got.Injected != tt.injected {
				t.Errorf("sidecar %v, injected %v (%s), want %v, %v", got.Sidecar, got.Injected, got.Reason, tt.want, tt.injected)
			}
			if !got.Sidecar && got.Reason == "" {
				t.Error("no reason given")
			}
		})
	}
}

func TestProxySettings(t *testing.T) {
	mesh := ProxyConfigOverrides{ProxyMetadata: map[string]string{MetaDNSCapture: "true", MetaDNSAutoAllocate: "true"}, InterceptionMode: "TPROXY"}
	meta, mode, err := ProxySettings(mesh, map[string]string{
		AnnotationProxyConfig: "proxyMetadata: {ISTIO_META_DNS_AUTO_ALLOCATE: \"false\"}\ninterceptionMode: NONE\n",
	})
	if err != nil {
		t.Fatal(err)
	}
	if meta[MetaDNSCapture] != "true" || meta[MetaDNSAutoAllocate] != "false" || mode != "NONE" {
		t.Errorf("meta %v mode %s", meta, mode)
	}
	_, mode, _ = ProxySettings(mesh, map[string]string{AnnotationProxyConfig: "interceptionMode: NONE", AnnotationInterceptionMode: "REDIRECT"})
	if mode != "REDIRECT" {
		t.Errorf("the interceptionMode annotation must win, got %s", mode)
	}
	if _, _, err := ProxySettings(mesh, map[string]string{AnnotationProxyConfig: "proxyMetadata: ["}); err == nil || !strings.Contains(err.Error(), AnnotationProxyConfig) {
		t.Errorf("bad annotation: %v", err)
	}
}

func TestSkippedKindsTable(t *testing.T) {
	seen := map[string]bool{}
	for _, k := range SkippedKinds {
		key := k.Group + "/" + k.Kind
		if seen[key] {
			t.Errorf("%s listed twice", key)
		}
		seen[key] = true
		if k.Reason == "" || !strings.Contains(k.Source, "/") {
			t.Errorf("%s: reason %q source %q", key, k.Reason, k.Source)
		}
		if handledElsewhere[key] {
			t.Errorf("%s is both skipped as without effect and not modelled yet", key)
		}
		obj, skip, err := decodeManifest(apiVersionOf(k.Group), k.Kind, []byte(`{}`))
		if obj != nil || skip != k.Kind || err != nil {
			t.Errorf("%s decodes to %v %q %v, want skipped as %s", key, obj, skip, err, k.Kind)
		}
	}
}

func apiVersionOf(group string) string {
	if group == "" {
		return "v1"
	}
	return group + "/v1"
}

func TestDefinedTwice(t *testing.T) {
	doc := "apiVersion: v1\nkind: Service\nmetadata: {name: a}\nspec: {ports: [{port: 80}]}\n---\n" +
		"apiVersion: v1\nkind: Service\nmetadata: {name: b}\nspec: {ports: [{port: 81}]}\n---\n" +
		"apiVersion: v1\nkind: Service\nmetadata: {name: a}\nspec: {ports: [{port: 82}]}\n"
	sc, err := ParseManifests("m.yaml", []byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	if len(sc.Manifests) != 2 || sc.Manifests[0].Index != 3 || sc.Manifests[1].Name != "b" {
		t.Errorf("manifests %+v: want the later a in the first one's place, then b", sc.Manifests)
	}
	if len(sc.Replaced) != 1 || sc.Replaced[0] != (Replacement{Ref: "Service default/a", Index: 1, By: 3}) {
		t.Errorf("replaced %+v", sc.Replaced)
	}
	if _, err := Parse("s.yaml", []byte("kind: Scenario\nname: s\n---\n"+doc)); err == nil || !strings.Contains(err.Error(), "duplicate Service/default/a") {
		t.Errorf("a scenario file must still refuse a duplicate: %v", err)
	}
}

// TestREADMEShowsSkippedKinds keeps the README's table in step with
// SkippedKinds.
func TestREADMEShowsSkippedKinds(t *testing.T) {
	data, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range SkippedKinds {
		g := k.Group
		if g == "" {
			g = "core"
		}
		row := "| " + k.Kind + " | " + g + " | " + k.Reason + " | " + k.Source + " |"
		if !strings.Contains(string(data), row) {
			t.Errorf("README lacks the row %s", row)
		}
	}
}

// TestInjectedProxySettings reads an istio-proxy container as istioctl
// kube-inject writes it (injection-template.yaml): PROXY_CONFIG, then the
// pod's proxy.istio.io/config annotation, then the container's own env.
func TestInjectedProxySettings(t *testing.T) {
	proxyConfig := `{"proxyMetadata":{"ISTIO_META_DNS_CAPTURE":"true","ISTIO_META_DNS_AUTO_ALLOCATE":"true"},"interceptionMode":"REDIRECT"}`
	tests := []struct {
		name        string
		env         []corev1.EnvVar
		annotations map[string]string
		wantMeta    map[string]string
		wantMode    string
		wantErr     string
	}{
		{"PROXY_CONFIG alone", []corev1.EnvVar{{Name: "PROXY_CONFIG", Value: proxyConfig}}, nil,
			map[string]string{"ISTIO_META_DNS_CAPTURE": "true", "ISTIO_META_DNS_AUTO_ALLOCATE": "true"}, "REDIRECT", ""},
		{"the container's env wins over PROXY_CONFIG", []corev1.EnvVar{
			{Name: "PROXY_CONFIG", Value: proxyConfig},
			{Name: "ISTIO_META_DNS_AUTO_ALLOCATE", Value: "false"},
			{Name: "ISTIO_META_INTERCEPTION_MODE", Value: "TPROXY"},
			{Name: "ISTIO_META_NODE_NAME", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: "spec.nodeName"}}},
		}, nil, map[string]string{"ISTIO_META_DNS_CAPTURE": "true", "ISTIO_META_DNS_AUTO_ALLOCATE": "false"}, "TPROXY", ""},
		{"the annotation over PROXY_CONFIG", []corev1.EnvVar{{Name: "PROXY_CONFIG", Value: proxyConfig}},
			map[string]string{AnnotationProxyConfig: "proxyMetadata: {ISTIO_META_DNS_CAPTURE: \"false\"}"},
			map[string]string{"ISTIO_META_DNS_CAPTURE": "false", "ISTIO_META_DNS_AUTO_ALLOCATE": "true"}, "REDIRECT", ""},
		{"bad PROXY_CONFIG", []corev1.EnvVar{{Name: "PROXY_CONFIG", Value: "{"}}, nil, nil, "", "env PROXY_CONFIG"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			spec := corev1.PodSpec{Containers: []corev1.Container{{Name: "app"}, {Name: "istio-proxy", Env: tt.env}}}
			meta, mode, err := PodProxySettings(ProxyConfigOverrides{InterceptionMode: "NONE", ProxyMetadata: map[string]string{"ISTIO_META_UNPRIVILEGED_POD": "true"}}, tt.annotations, spec)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want one naming %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			for k, v := range tt.wantMeta {
				if meta[k] != v {
					t.Errorf("%s = %q, want %q", k, meta[k], v)
				}
			}
			if meta["ISTIO_META_UNPRIVILEGED_POD"] != "" {
				t.Error("today's mesh defaultConfig reached an injected proxy")
			}
			if mode != tt.wantMode {
				t.Errorf("interception %q, want %q", mode, tt.wantMode)
			}
		})
	}
}

// TestYAMLListsOfOtherThings: a YAML list of something other than
// Kubernetes objects (an Ansible playbook) is not a manifest; a list of
// objects without kind: List is still an error, as a cluster gives.
func TestYAMLListsOfOtherThings(t *testing.T) {
	sc, err := ParseManifests("playbook.yml", []byte("- hosts: all\n  tasks: [{name: x}]\n"))
	if err != nil || len(sc.Skipped) != 1 || sc.Skipped[0].Label != "YAML file without Kubernetes objects" {
		t.Errorf("playbook: %v, skipped %v; want it skipped as not a manifest", err, sc)
	}
	_, err = ParseManifests("list.yaml", []byte("- apiVersion: v1\n  kind: Service\n  metadata: {name: a}\n"))
	if err == nil || !strings.Contains(err.Error(), "a YAML list") {
		t.Errorf("a list of objects: %v, want the YAML list error", err)
	}
}
