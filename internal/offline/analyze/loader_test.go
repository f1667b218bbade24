package analyze

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// writeFolder writes files into a temporary folder.
func writeFiles(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, text := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

const twoTCPEntries = `apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: a}
spec: {hosts: [a.example.com], ports: [{number: 3306, name: tcp, protocol: TCP}], resolution: DNS}
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: b}
spec: {hosts: [b.example.com], ports: [{number: 3306, name: tcp, protocol: TCP}], resolution: DNS}
`

func TestRunSkipsAndCounts(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"app.yaml": twoTCPEntries + `---
apiVersion: v1
kind: Secret
metadata: {name: s}
---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: gw}
spec: {}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec: {selector: {matchLabels: {app: web}}, template: {metadata: {labels: {app: web}}}}
---
apiVersion: batch/v1
kind: Job
metadata: {name: migrate, namespace: shop}
spec: {template: {metadata: {labels: {app: migrate}, annotations: {sidecar.istio.io/inject: "false"}}}}
---
apiVersion: v1
kind: Namespace
metadata: {name: batch, labels: {istio-injection: disabled}}
---
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent, namespace: batch}
spec: {selector: {matchLabels: {app: agent}}, template: {metadata: {labels: {app: agent}}}}
`,
		"kustomization.yaml":        "resources: [app.yaml]\n",
		".github/workflows/ci.yaml": "on: push\n",
	})
	r, err := Run([]string{dir})
	if err != nil {
		t.Fatal(err)
	}
	if r.SkippedSummary != "1 Gateway, 1 Secret" { // app.yaml is read once, through the kustomization
		t.Errorf("summary %q", r.SkippedSummary)
	}
	if strings.Join(r.Clients, "|") != "Deployment shop/web|default/app=client (standard client)" {
		t.Errorf("clients %v", r.Clients)
	}
	var none []string
	for _, n := range r.NoSidecar {
		none = append(none, n.Workload)
	}
	if strings.Join(none, "|") != "Job shop/migrate|DaemonSet batch/agent" {
		t.Errorf("no sidecar %v", r.NoSidecar)
	}
	var sarif bytes.Buffer
	if err := WriteSARIF(&sarif, r); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(sarif.String(), `"toolExecutionNotifications"`) || !strings.Contains(sarif.String(), "1 Gateway, 1 Secret") {
		t.Errorf("SARIF lacks the skipped summary:\n%s", sarif.String())
	}
}

func TestRunProxySettingsAndMeshConfig(t *testing.T) {
	client := `---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata:
      labels: {app: web}
      annotations: {proxy.istio.io/config: "proxyMetadata: {ISTIO_META_DNS_CAPTURE: \"true\"}"}
`
	mesh := `---
apiVersion: v1
kind: ConfigMap
metadata: {name: istio, namespace: istio-system}
data:
  mesh: |
    defaultConfig:
      proxyMetadata: {ISTIO_META_DNS_CAPTURE: "true"}
`
	codes := func(r *Report) string {
		var cs []string
		for _, f := range r.Findings {
			cs = append(cs, string(f.Code))
		}
		return strings.Join(cs, " ")
	}
	// Without DNS capture the two address-less TCP entries share
	// 0.0.0.0_3306 (Shadowed); with it each has its auto-allocated VIP.
	plain := writeFiles(t, map[string]string{"a.yaml": twoTCPEntries + strings.Replace(client, "annotations:", "x-annotations:", 1)})
	if _, err := Run([]string{plain}); err == nil {
		t.Fatal("a typo in a Deployment's template was accepted")
	}
	bare := writeFiles(t, map[string]string{"a.yaml": twoTCPEntries + strings.Replace(client, `proxy.istio.io/config: "proxyMetadata: {ISTIO_META_DNS_CAPTURE: \"true\"}"`, `x: "y"`, 1)})
	r, err := Run([]string{bare})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(codes(r), "Shadowed") {
		t.Fatalf("without DNS capture: %s", codes(r))
	}
	for name, files := range map[string]map[string]string{
		"annotation":     {"a.yaml": twoTCPEntries + client},
		"mesh ConfigMap": {"a.yaml": twoTCPEntries + strings.Replace(client, `proxy.istio.io/config: "proxyMetadata: {ISTIO_META_DNS_CAPTURE: \"true\"}"`, `x: "y"`, 1), "mesh.yaml": strings.TrimPrefix(mesh, "---\n")},
	} {
		r, err := Run([]string{writeFiles(t, files)})
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(codes(r), "Shadowed") {
			t.Errorf("%s: DNS capture not applied: %s", name, codes(r))
		}
	}
	r, err = Run([]string{bare}, WithMeshConfig(map[string]any{"defaultConfig": map[string]any{"proxyMetadata": map[string]any{"ISTIO_META_DNS_CAPTURE": "true"}}}))
	if err != nil || strings.Contains(codes(r), "Shadowed") {
		t.Errorf("--mesh-config: %v %s", err, codes(r))
	}
}

func TestRunNamespaceAndClientErrors(t *testing.T) {
	dir := writeFiles(t, map[string]string{"a.yaml": twoTCPEntries + `---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec: {selector: {matchLabels: {app: web}}, template: {metadata: {labels: {app: web}}}}
`})
	r, err := Run([]string{dir}, WithNamespace("shop"))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(r.Clients, "|") != "Deployment shop/web" {
		t.Errorf("clients %v", r.Clients)
	}
	typo, _ := ParseClient("shop/app=wbe")
	_, err = Run([]string{dir}, WithNamespace("shop"), WithClients(typo))
	var ie *InputError
	if !errors.As(err, &ie) || !strings.Contains(err.Error(), "--client shop/app=wbe") || !strings.Contains(err.Error(), "Deployment web shop/app=web") {
		t.Errorf("mistyped client: %v", err)
	}
}

func TestFailedReportLocatesEveryError(t *testing.T) {
	dir := writeFiles(t, map[string]string{"a.yaml": `apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: a}
spec: {hosts: [a.example.com], resolutoin: DNS}
---
apiVersion: v1
kind: Service
metadata: {name: b}
spec: {portz: []}
`})
	_, err := Run([]string{dir})
	var ie *InputError
	if !errors.As(err, &ie) || len(ie.Errs) != 2 {
		t.Fatalf("want both bad documents, got %v", err)
	}
	r := FailedReport("1.31-dev", ie)
	var js bytes.Buffer
	if err := WriteJSON(&js, r); err != nil {
		t.Fatal(err)
	}
	var back struct{ Errors []Problem }
	if err := json.Unmarshal(js.Bytes(), &back); err != nil || len(back.Errors) != 2 || back.Errors[1].Line != 6 || back.Errors[1].Field != "portz" {
		t.Errorf("JSON errors %+v (%v)", back.Errors, err)
	}
	var sarif bytes.Buffer
	if err := WriteSARIF(&sarif, r); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"executionSuccessful": false`, `"startLine": 6`, "document 2 (Service b): portz"} {
		if !strings.Contains(sarif.String(), want) {
			t.Errorf("SARIF lacks %s:\n%s", want, sarif.String())
		}
	}
}

// A workload scaled to zero runs no pod, so it has no sidecar to check (it
// used to panic the resolver).
func TestRunScaledToZeroIsNoClient(t *testing.T) {
	dir := writeFiles(t, map[string]string{"a.yaml": twoTCPEntries + `---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec: {replicas: 0, selector: {matchLabels: {app: web}}, template: {metadata: {labels: {app: web}}}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: shop}
spec: {selector: {matchLabels: {app: api}}, template: {metadata: {labels: {app: api}}}}
`})
	r, err := Run([]string{dir})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(r.Clients, "Deployment shop/api") || slices.Contains(r.Clients, "Deployment shop/web") {
		t.Errorf("clients %v", r.Clients)
	}
	if len(r.NoSidecar) != 1 || r.NoSidecar[0].Workload != "Deployment shop/web" || !strings.Contains(r.NoSidecar[0].Reason, "scaled to zero") {
		t.Errorf("no sidecar %v", r.NoSidecar)
	}
}

// TestWorkloadsBehindCustomResources: a custom resource whose spec carries
// a pod template (Argo Rollout, OpenKruise CloneSet) is a client; a
// Rollout's workloadRef takes its Deployment's template; a reference to a
// Deployment the input lacks is named as not checked; a custom resource of
// another shape stays skipped.
func TestWorkloadsBehindCustomResources(t *testing.T) {
	dir := writeFiles(t, map[string]string{"app.yaml": `apiVersion: argoproj.io/v1alpha1
kind: Rollout
metadata: {name: web, namespace: shop}
spec:
  strategy: {canary: {steps: [{setWeight: 20}]}}
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: web, image: web}]}
---
apiVersion: argoproj.io/v1alpha1
kind: Rollout
metadata: {name: api, namespace: shop}
spec:
  workloadRef: {apiVersion: apps/v1, kind: Deployment, name: api}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: shop}
spec:
  replicas: 0
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}}
    spec: {containers: [{name: api, image: api}]}
---
apiVersion: argoproj.io/v1alpha1
kind: Rollout
metadata: {name: lost, namespace: shop}
spec:
  workloadRef: {apiVersion: apps/v1, kind: Deployment, name: gone}
---
apiVersion: apps.kruise.io/v1alpha1
kind: CloneSet
metadata: {name: cart, namespace: shop}
spec:
  replicas: 2
  selector: {matchLabels: {app: cart}}
  template:
    metadata: {labels: {app: cart}}
    spec: {containers: [{name: cart, image: cart}]}
---
apiVersion: example.com/v1
kind: Widget
metadata: {name: w, namespace: shop}
spec: {size: 3}
`})
	r, err := Run([]string{dir})
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(r.Clients, "|"); got != "CloneSet shop/cart|Rollout shop/api|Rollout shop/web" {
		t.Errorf("clients %q", got)
	}
	var none []string
	for _, n := range r.NoSidecar {
		none = append(none, n.Workload+": "+n.Reason)
	}
	want := []string{"Rollout shop/lost: its workloadRef names Deployment shop/gone, which the input does not hold", "Deployment shop/api: scaled to zero: no pod runs"}
	for _, w := range want {
		if !strings.Contains(strings.Join(none, "\n"), w) {
			t.Errorf("not checked %q, want %q among them", none, w)
		}
	}
	if !strings.Contains(r.SkippedSummary, "Widget") {
		t.Errorf("skipped %q, want the Widget", r.SkippedSummary)
	}
}

// TestCaptureNotModelled: settings that narrow a client's outbound capture
// (annotations, and istio-init's flags in kube-inject output) are named as
// not modelled; the defaults (include "*", exclude nothing) are not.
func TestCaptureNotModelled(t *testing.T) {
	dir := writeFiles(t, map[string]string{"app.yaml": `apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata:
      labels: {app: web}
      annotations: {traffic.sidecar.istio.io/excludeOutboundPorts: "3306"}
    spec:
      containers: [{name: web, image: web}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: injected, namespace: shop}
spec:
  selector: {matchLabels: {app: injected}}
  template:
    metadata: {labels: {app: injected}, annotations: {sidecar.istio.io/status: "{}"}}
    spec:
      initContainers:
      - name: istio-init
        args: [istio-iptables, "-p", "15001", "-i", "*", "-x", "10.0.0.0/8", "-b", "*", "-o", ""]
      containers: [{name: app, image: app}, {name: istio-proxy, image: proxyv2}]
`})
	r, err := Run([]string{dir})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, n := range r.NotModelled {
		got = append(got, n.Client+": "+n.Setting)
	}
	want := []string{
		"Deployment shop/web: annotation traffic.sidecar.istio.io/excludeOutboundPorts=3306",
		"Deployment shop/injected: istio-init --outbound-ip-ranges-exclude 10.0.0.0/8",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("not modelled:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestSecondMeshConfigReplacesTheFirst: two istio ConfigMaps (alternative
// overlays of one repository) are applied in order, as kubectl apply -f
// does: the later one is used and listed as replaced, not refused.
func TestSecondMeshConfigReplacesTheFirst(t *testing.T) {
	mesh := func(policy string) string {
		return "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: istio, namespace: istio-system}\ndata:\n  mesh: |\n    outboundTrafficPolicy: {mode: " + policy + "}\n"
	}
	dir := writeFiles(t, map[string]string{"a.yaml": mesh("ALLOW_ANY"), "b.yaml": mesh("REGISTRY_ONLY") + "---\n" + twoTCPEntries})
	r, err := Run([]string{dir})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Replaced) != 1 || r.Replaced[0].Object != "ConfigMap istio-system/istio" || !strings.HasSuffix(r.Replaced[0].By, "b.yaml#1") {
		t.Errorf("replaced %+v, want the istio ConfigMap of a.yaml replaced by b.yaml's", r.Replaced)
	}
}
