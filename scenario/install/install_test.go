package install

import (
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/listenerlab/listenerlab/scenario"
)

// read loads YAML as plain manifests of file name and reads the install.
func read(t *testing.T, name, data string, values ...ValuesFile) *Install {
	t.Helper()
	sc, err := scenario.ParseManifests(name, []byte(data))
	if err != nil && sc == nil {
		t.Fatal(err)
	}
	return Read(Input{Objects: sc.Install, Manifests: sc.Manifests, Values: values})
}

func readFile(t *testing.T, path string) *Install {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return read(t, path, string(data))
}

// chartDefaults is the mesh config the 1.26 istiod chart renders for
// revision rev from empty values (templates/configmap.yaml "mesh", with
// values.yaml's meshConfig enablePrometheusMerge: true merged over it).
func chartDefaults(discovery string) map[string]any {
	return map[string]any{
		"trustDomain": "cluster.local", "rootNamespace": "istio-system", "enablePrometheusMerge": true,
		"defaultConfig":    map[string]any{"discoveryAddress": discovery},
		"defaultProviders": map[string]any{"metrics": []any{"prometheus"}},
	}
}

func with(m map[string]any, kv ...any) map[string]any {
	out := deepCopy(m)
	for i := 0; i < len(kv); i += 2 {
		out[kv[i].(string)] = kv[i+1]
	}
	return out
}

// TestSources reads each kind of install source; want is revision ->
// mesh config and env.
func TestSources(t *testing.T) {
	type plane struct {
		mesh map[string]any
		env  map[string]string
	}
	tests := []struct {
		name, yaml string
		want       map[string]plane
		notes      []string
	}{{
		name: "istio ConfigMap",
		yaml: "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: istio, namespace: istio-system}\ndata:\n  mesh: |\n    defaultServiceExportTo: [\".\"]\n",
		want: map[string]plane{"default": {mesh: map[string]any{"defaultServiceExportTo": []any{"."}}}},
	}, {
		name: "revisioned ConfigMap; istio-ca-root-cert is none",
		yaml: "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: istio-canary, namespace: istio-system}\ndata:\n  mesh: |\n    rootNamespace: mesh-root\n---\n" +
			"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: istio-ca-root-cert, namespace: istio-system}\ndata: {root-cert.pem: x}\n",
		want: map[string]plane{"canary": {mesh: map[string]any{"rootNamespace": "mesh-root"}}},
	}, {
		// manifests/profiles/empty.yaml disables pilot: a gateway-only
		// operator (profile empty) installs no istiod, so its meshConfig
		// reaches no sidecar and the ConfigMap stands alone.
		name: "IstioOperator of the empty profile installs no istiod",
		yaml: "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: istio, namespace: istio-system}\ndata:\n  mesh: |\n    defaultServiceExportTo: [\".\"]\n---\n" +
			"apiVersion: install.istio.io/v1alpha1\nkind: IstioOperator\nmetadata: {name: eastwest, namespace: istio-system}\n" +
			"spec:\n  profile: empty\n  meshConfig: {defaultServiceExportTo: [\"*\"]}\n  components:\n    ingressGateways: [{name: eastwest, enabled: true}]\n",
		want: map[string]plane{"default": {mesh: map[string]any{"defaultServiceExportTo": []any{"."}}}},
	}, {
		// operator/pkg/render manifest.go: spec.meshConfig merged over
		// values.meshConfig; spec.revision; postprocess.go: k8s.env is
		// a strategic merge patch of the discovery container's env.
		name: "IstioOperator",
		yaml: `apiVersion: install.istio.io/v1alpha1
kind: IstioOperator
metadata: {name: canary, namespace: istio-system}
spec:
  revision: canary
  meshConfig:
    outboundTrafficPolicy: {mode: REGISTRY_ONLY}
    defaultConfig: {proxyMetadata: {ISTIO_META_DNS_CAPTURE: "true"}}
  values:
    meshConfig:
      defaultServiceExportTo: ["."]
      outboundTrafficPolicy: {mode: ALLOW_ANY}
    pilot:
      env: {PILOT_ENABLE_IP_AUTOALLOCATE: "true", A: "1"}
  components:
    pilot:
      k8s:
        env:
        - {name: PILOT_ENABLE_IP_AUTOALLOCATE, value: "false"}
`,
		want: map[string]plane{"canary": {
			mesh: with(chartDefaults("istiod-canary.istio-system.svc:15012"),
				"defaultServiceExportTo", []any{"."},
				"outboundTrafficPolicy", map[string]any{"mode": "REGISTRY_ONLY"},
				"defaultConfig", map[string]any{"discoveryAddress": "istiod-canary.istio-system.svc:15012", "proxyMetadata": map[string]any{"ISTIO_META_DNS_CAPTURE": "true"}}),
			env: map[string]string{"PILOT_ENABLE_IP_AUTOALLOCATE": "false", "A": "1"},
		}},
	}, {
		// Argo CD: helm.values (a string) then valuesObject over it;
		// chart globals: istioNamespace is the rootNamespace default,
		// meshID lands in defaultConfig.meshId.
		name: "Argo CD Application",
		yaml: `apiVersion: argoproj.io/v1alpha1
kind: Application
metadata: {name: istiod, namespace: argocd}
spec:
  destination: {namespace: istio-system}
  sources:
  - repoURL: https://github.com/example/values
    ref: values
  - repoURL: https://istio-release.storage.googleapis.com/charts
    chart: istiod
    helm:
      values: |
        meshConfig:
          defaultServiceExportTo: ["*"]
        global: {meshID: mesh1, istioNamespace: istio-control}
        env: {PILOT_X: "1"}
      valuesObject:
        meshConfig:
          defaultServiceExportTo: ["."]
`,
		want: map[string]plane{"default": {
			mesh: with(chartDefaults("istiod.istio-system.svc:15012"), "rootNamespace", "istio-control", "defaultServiceExportTo", []any{"."},
				"defaultConfig", map[string]any{"discoveryAddress": "istiod.istio-system.svc:15012", "meshId": "mesh1"}),
			env: map[string]string{"PILOT_X": "1"},
		}},
		notes: []string{"/f.yaml#1 (Application argocd/istiod): spec.sources[1].helm.env: istiod charts before 1.24 read pilot.env only"},
	}, {
		name: "HelmRelease of another chart is not an install",
		yaml: "apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata: {name: gw, namespace: istio-system}\nspec:\n  chart: {spec: {chart: gateway}}\n  values: {meshConfig: {rootNamespace: x}}\n",
		want: map[string]plane{},
	}, {
		// Precedence: the ConfigMap istiod reads over the chart's
		// rendering; the Deployment that runs over the rendered env.
		name: "ConfigMap and Deployment over a HelmRelease",
		yaml: `apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata: {name: istiod, namespace: istio-system}
spec:
  chart: {spec: {chart: istiod}}
  values:
    meshConfig: {defaultServiceExportTo: ["."]}
    pilot: {env: {PILOT_A: "1"}}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: istio, namespace: istio-system}
data:
  mesh: "defaultServiceExportTo: ['*']"
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: istiod, namespace: istio-system}
spec:
  selector: {matchLabels: {app: istiod}}
  template:
    metadata: {labels: {app: istiod, sidecar.istio.io/inject: "false"}}
    spec:
      containers:
      - name: discovery
        image: pilot
        env: [{name: PILOT_A, value: "2"}]
`,
		want: map[string]plane{"default": {mesh: map[string]any{"defaultServiceExportTo": []any{"*"}}, env: map[string]string{"PILOT_A": "2"}}},
		notes: []string{
			"revision default: istiod env from Deployment istio-system/istiod, the Deployment that runs, over the env /f.yaml#1 (HelmRelease istio-system/istiod) renders; the chart's controller rewrites the Deployment on its next reconcile",
			"revision default: mesh config from /f.yaml#2 (ConfigMap istio-system/istio), the ConfigMap istiod reads, over the one /f.yaml#1 (HelmRelease istio-system/istiod) renders; the chart's controller rewrites the ConfigMap on its next reconcile",
		},
	}, {
		name: "two installs of one revision: the later, with a note",
		yaml: "apiVersion: install.istio.io/v1alpha1\nkind: IstioOperator\nmetadata: {name: a, namespace: istio-system}\nspec:\n  meshConfig: {rootNamespace: a}\n---\n" +
			"apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata: {name: istiod, namespace: istio-system}\nspec:\n  chart: {spec: {chart: istiod}}\n  values: {meshConfig: {rootNamespace: b}}\n",
		want:  map[string]plane{"default": {mesh: with(chartDefaults("istiod.istio-system.svc:15012"), "rootNamespace", "b"), env: map[string]string{}}},
		notes: []string{"revision default is installed twice, by /f.yaml#1 (IstioOperator istio-system/a) and /f.yaml#2 (HelmRelease istio-system/istiod): taking the later; in a cluster the two controllers overwrite each other's istiod objects"},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := read(t, "/f.yaml", tt.yaml)
			if len(in.Errors) > 0 {
				t.Fatal(in.Errors)
			}
			got := map[string]plane{}
			for rev, p := range in.Planes {
				got[rev] = plane{mesh: p.MeshConfig, env: p.Env}
			}
			if d := cmp.Diff(tt.want, got, cmp.AllowUnexported(plane{})); d != "" {
				t.Errorf("planes (-want +got):\n%s", d)
			}
			if d := cmp.Diff(tt.notes, in.Notes); d != "" {
				t.Errorf("notes (-want +got):\n%s", d)
			}
		})
	}
}

// TestKubeflowRendered reads istioctl's own rendering (kubeflow/manifests):
// the ConfigMap's mesh config and the Deployment's literal env.
func TestKubeflowRendered(t *testing.T) {
	in := readFile(t, "testdata/kubeflow-istio-install.yaml")
	p := in.Planes[DefaultRevision]
	if p == nil || len(in.Errors) > 0 {
		t.Fatalf("no default plane: %v", in.Errors)
	}
	// The chart model renders the same mesh config from the values that
	// made it (meshConfig.tcpKeepalive over the chart's defaults).
	rendered, err := parseMeshMap(chartMesh(map[string]any{"meshConfig": map[string]any{
		"tcpKeepalive": map[string]any{"interval": "5s", "probes": float64(3), "time": "10s"}}}, "", "istio-system"))
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(p.MeshConfig, rendered); d != "" {
		t.Errorf("chart model vs istioctl's rendering (-istioctl +model):\n%s", d)
	}
	wantEnv := map[string]string{"ENABLE_NATIVE_SIDECARS": "true", "REVISION": "default", "PILOT_CERT_PROVIDER": "istiod",
		"KUBECONFIG": "/var/run/secrets/remote/config", "PILOT_TRACE_SAMPLING": "1", "CLUSTER_ID": "Kubernetes"}
	if d := cmp.Diff(wantEnv, p.Env); d != "" {
		t.Errorf("env (-want +got):\n%s", d)
	}
	if len(in.Notes) > 0 {
		t.Errorf("notes: %v (POD_NAME's valueFrom is the chart's own)", in.Notes)
	}
}

// TestHelmReleaseValuesFrom: Flux merges valuesFrom in order, then
// spec.values over them (gitops-istio's HelmRelease).
func TestHelmReleaseValuesFrom(t *testing.T) {
	in := readFile(t, "testdata/gitops-istio-helmrelease.yaml")
	p := in.Planes[DefaultRevision]
	if p == nil || len(in.Errors) > 0 {
		t.Fatalf("no default plane: %v", in.Errors)
	}
	if got := p.MeshConfig["defaultServiceExportTo"]; !cmp.Equal(got, []any{"."}) {
		t.Errorf("defaultServiceExportTo = %v, want [.] (spec.values over valuesFrom)", got)
	}
	if got := p.MeshConfig["outboundTrafficPolicy"]; !cmp.Equal(got, map[string]any{"mode": "REGISTRY_ONLY"}) {
		t.Errorf("outboundTrafficPolicy = %v, want REGISTRY_ONLY from valuesFrom", got)
	}
	want := map[string]string{"PILOT_ENABLE_IP_AUTOALLOCATE": "false", "PILOT_ENABLE_ABSOLUTE_FQDN_VHOST_DOMAIN": "false"}
	if d := cmp.Diff(want, p.Env); d != "" {
		t.Errorf("env (-want +got):\n%s", d)
	}
}

// TestValuesFlagAndMeshConfig: --values replaces the input's values of
// its revision; --mesh-config replaces every revision's mesh config.
func TestValuesFlagAndMeshConfig(t *testing.T) {
	hr := "apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata: {name: istiod, namespace: istio-system}\nspec:\n  chart: {spec: {chart: istiod}}\n  values: {env: {PILOT_A: '1'}}\n"
	in := read(t, "/f.yaml", hr, ValuesFile{Path: "v.yaml", Data: []byte("pilot:\n  env:\n    PILOT_B: 'on'\n")})
	if got := in.Planes[DefaultRevision]; got.EnvFrom != "--values v.yaml" || !cmp.Equal(got.Env, map[string]string{"PILOT_B": "on"}) {
		t.Errorf("env %v from %s, want PILOT_B=on from --values v.yaml", got.Env, got.EnvFrom)
	}
	sc, _ := scenario.ParseManifests("/f.yaml", []byte(hr+"---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: istio-canary, namespace: istio-system}\ndata: {mesh: 'rootNamespace: c'}\n"))
	mesh := map[string]any{"rootNamespace": "flag"}
	in = Read(Input{Objects: sc.Install, MeshConfig: mesh, MeshConfigFrom: "--mesh-config m.yaml"})
	for _, rev := range []string{"default", "canary"} {
		if p := in.Planes[rev]; !cmp.Equal(p.MeshConfig, mesh) || p.MeshFrom != "--mesh-config m.yaml" {
			t.Errorf("%s: mesh %v from %s, want --mesh-config's", rev, p.MeshConfig, p.MeshFrom)
		}
	}
}

// TestErrors: a bad install object names file, document and field.
func TestErrors(t *testing.T) {
	tests := []struct{ name, yaml, want string }{
		{"Application values not YAML", "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata: {name: istiod, namespace: argocd}\nspec:\n  source:\n    chart: istiod\n    helm:\n      values: \"a: [\"\n",
			"/f.yaml: document 1 (Application istiod): spec.source.helm.values: not YAML"},
		{"env not a scalar", "apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata: {name: istiod, namespace: istio-system}\nspec:\n  chart: {spec: {chart: istiod}}\n  values: {pilot: {env: {A: [1]}}}\n",
			"/f.yaml: document 1 (HelmRelease istiod): spec.values.pilot.env.A: istiod env value must be a scalar"},
		{"mesh not YAML", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: istio-canary, namespace: istio-system}\ndata: {mesh: 'a: ['}\n",
			"/f.yaml: document 1 (ConfigMap istio-canary): data.mesh: not valid mesh config YAML"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := read(t, "/f.yaml", tt.yaml)
			if len(in.Errors) != 1 || !strings.HasPrefix(in.Errors[0].Error(), tt.want) {
				t.Errorf("errors %v, want one starting %q", in.Errors, tt.want)
			}
		})
	}
}

// TestUnreadValuesNamed: injector values that change which pods get a
// sidecar or what it captures are named, not dropped.
func TestUnreadValuesNamed(t *testing.T) {
	in := read(t, "/f.yaml", "apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata: {name: istiod, namespace: istio-system}\nspec:\n  chart: {spec: {chart: istiod}}\n"+
		"  values:\n    global: {proxy: {excludeIPRanges: 10.0.0.0/8}}\n    sidecarInjectorWebhook: {enableNamespacesByDefault: false}\n")
	want := []string{"not modelled: /f.yaml#1 (HelmRelease istio-system/istiod): spec.values.global.proxy.excludeIPRanges=10.0.0.0/8: the injector's setting (which pods get a sidecar, what it captures) is not read from the install"}
	if d := cmp.Diff(want, in.Notes); d != "" {
		t.Errorf("notes (-want +got):\n%s", d)
	}
}
