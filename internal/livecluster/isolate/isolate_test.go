package isolate_test

import (
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"

	"github.com/listenerlab/listenerlab/internal/livecluster/isolate"
	"github.com/listenerlab/listenerlab/scenario"
)

const sample = `kind: Scenario
name: sample
client:
  dnsCapture: true
  interceptionMode: NONE
creationOrder: [ServiceEntry/other/late]
---
apiVersion: v1
kind: Namespace
metadata:
  name: other
  labels: {team: a}
---
apiVersion: v1
kind: Service
metadata:
  name: web
  annotations: {networking.istio.io/exportTo: ".,other"}
spec:
  selector: {app: web}
  ports: [{name: http, port: 80}]
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: late, namespace: other}
spec:
  hosts: [web.default.svc.cluster.local, db.example.com]
  exportTo: [default, "."]
  ports: [{number: 3306, name: tcp, protocol: TCP}]
  resolution: STATIC
  endpoints: [{address: 192.0.2.1}]
---
apiVersion: networking.istio.io/v1
kind: Sidecar
metadata: {name: default, namespace: default}
spec:
  egress:
  - hosts: ["./*", "other/db.example.com", "~default/x.example.com", "istio-system/*"]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      initContainers: [{name: init, image: busybox}]
      containers:
      - name: web
        image: nginx:1.27
        args: ["--flag"]
        readinessProbe: {httpGet: {port: 80}}
        ports: [{containerPort: 80, name: http}]
`

func isolated(t *testing.T, text string) *isolate.Isolated {
	t.Helper()
	sc, err := scenario.Parse("sample.yaml", []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	iso, err := isolate.Isolate(sc, isolate.Options{Run: "r1", Image: "curlimages/curl:8.11.1"})
	if err != nil {
		t.Fatal(err)
	}
	return iso
}

func manifest(t *testing.T, iso *isolate.Isolated, kind, name string) string {
	t.Helper()
	for _, m := range iso.Manifests {
		if m.Kind == kind && m.Name == name {
			return string(m.YAML)
		}
	}
	t.Fatalf("no %s %s among %d manifests", kind, name, len(iso.Manifests))
	return ""
}

func TestIsolateRenamesEveryNamespaceReference(t *testing.T) {
	iso := isolated(t, sample)
	p := iso.Prefix
	if !strings.HasPrefix(p, "ll") || iso.Namespaces["default"] != p+"default" || iso.Namespaces["other"] != p+"other" {
		t.Fatalf("namespaces %v with prefix %q", iso.Namespaces, p)
	}
	if iso.Prefix != isolate.Prefix("r1", "sample") {
		t.Errorf("prefix is not stable")
	}
	ns := manifest(t, iso, "Namespace", p+"other")
	for _, want := range []string{"istio-injection: enabled", "team: a", "listenerlab.io/run: r1", "listenerlab.io/scenario: sample"} {
		if !strings.Contains(ns, want) {
			t.Errorf("Namespace lacks %q:\n%s", want, ns)
		}
	}
	svc := manifest(t, iso, "Service", "web")
	if !strings.Contains(svc, "networking.istio.io/exportTo: .,"+p+"other") || !strings.Contains(svc, "namespace: "+p+"default") {
		t.Errorf("Service not renamed:\n%s", svc)
	}
	se := manifest(t, iso, "ServiceEntry", "late")
	for _, want := range []string{"web." + p + "default.svc.cluster.local", "- db.example.com", "- " + p + "default\n", "- .\n"} {
		if !strings.Contains(se, want) {
			t.Errorf("ServiceEntry lacks %q:\n%s", want, se)
		}
	}
	sc := manifest(t, iso, "Sidecar", "default")
	for _, want := range []string{"- ./*", "- default/*", "- " + p + "other/db.example.com", "- ~" + p + "default/x.example.com", "- ~default/x.example.com", "- istio-system/*"} {
		if !strings.Contains(sc, want+"\n") {
			t.Errorf("Sidecar lacks %q:\n%s", want, sc)
		}
	}
	if got := iso.Live.Header.CreationOrder; len(got) != 1 || got[0] != "ServiceEntry/"+p+"other/late" {
		t.Errorf("creationOrder = %v", got)
	}
	if iso.Exclusive != "" {
		t.Errorf("exclusive: %s", iso.Exclusive)
	}
	for live, want := range map[string]string{
		"outbound|80||web." + p + "default.svc.cluster.local": "outbound|80||web.default.svc.cluster.local",
		"web." + p + "default.svc.cluster.local.":             "web.default.svc.cluster.local.",
		// The short forms an ExternalName alias adds to an SNI chain.
		"web." + p + "default":     "web.default",
		"web." + p + "default.svc": "web.default.svc",
		"web":                      "web",
		// Not a short form: more than a name before the namespace.
		"a.web." + p + "default": "a.web." + p + "default",
	} {
		if got := iso.Unrename(live); got != want {
			t.Errorf("Unrename(%q) = %q, want %q", live, got, want)
		}
	}
}

func TestIsolateAddsSidecarsClientAndMarker(t *testing.T) {
	iso := isolated(t, sample)
	p := iso.Prefix
	var kinds []string
	for _, m := range iso.Manifests {
		kinds = append(kinds, m.Kind+"/"+m.Namespace+"/"+m.Name)
	}
	got := strings.Join(kinds, " ")
	want := "Namespace//" + p + "default Namespace//" + p + "other Service/" + p + "default/web ServiceEntry/" + p + "other/late Sidecar/" + p + "default/default Deployment/" + p + "default/web Deployment/" + p + "default/client Sidecar/" + p + "other/listenerlab-isolation EnvoyFilter/" + p + "default/listenerlab-sync"
	if got != want {
		t.Errorf("manifests:\n got %s\nwant %s", got, want)
	}
	iso1 := manifest(t, iso, "Sidecar", isolate.IsolationSidecar)
	for _, h := range []string{p + "default/*", p + "other/*", "default/*", "istio-system/*", "kube-system/*"} {
		if !strings.Contains(iso1, "- "+h+"\n") {
			t.Errorf("isolation Sidecar lacks %s:\n%s", h, iso1)
		}
	}
	client := manifest(t, iso, "Deployment", "client")
	for _, want := range []string{"ISTIO_META_DNS_CAPTURE", "sidecar.istio.io/interceptionMode: NONE", "app: client"} {
		if !strings.Contains(client, want) {
			t.Errorf("client lacks %q:\n%s", want, client)
		}
	}
	web := manifest(t, iso, "Deployment", "web")
	for _, gone := range []string{"initContainers", "readinessProbe", "nginx", "--flag"} {
		if strings.Contains(web, gone) {
			t.Errorf("workload keeps %q:\n%s", gone, web)
		}
	}
	for _, kept := range []string{"sidecar.istio.io/inject: \"false\"", "containerPort: 80", "name: http", "curlimages/curl:8.11.1", "sleep", "terminationGracePeriodSeconds: 0"} {
		if !strings.Contains(web, kept) {
			t.Errorf("workload lacks %q:\n%s", kept, web)
		}
	}
	for _, m := range iso.Manifests {
		if m.Support != (m.Kind == "EnvoyFilter") {
			t.Errorf("%s: Support = %t", m.Ref(), m.Support)
		}
	}
}

func TestIsolateWildcardImportRunsAlone(t *testing.T) {
	iso := isolated(t, `kind: Scenario
name: wild
---
apiVersion: networking.istio.io/v1
kind: Sidecar
metadata: {name: default, namespace: default}
spec:
  egress:
  - hosts: ["*/db.example.com"]
`)
	if !strings.Contains(iso.Exclusive, `"*/db.example.com"`) {
		t.Errorf("Exclusive = %q", iso.Exclusive)
	}
	for _, m := range iso.Manifests {
		if m.Name == isolate.IsolationSidecar {
			t.Errorf("an isolation Sidecar beside the scenario's namespace-wide one: %s", m.Ref())
		}
	}
}

func TestIsolateRefusesSharedNamespaces(t *testing.T) {
	sc, err := scenario.Parse("x.yaml", []byte(`kind: Scenario
name: root
---
apiVersion: networking.istio.io/v1
kind: Sidecar
metadata: {name: default, namespace: istio-system}
spec:
  egress:
  - hosts: ["./*"]
`))
	if err != nil {
		t.Fatal(err)
	}
	_, err = isolate.Isolate(sc, isolate.Options{Run: "r"})
	var ue *isolate.UnsupportedError
	if err == nil || !strings.Contains(err.Error(), "istio-system") {
		t.Fatalf("err = %v", err)
	}
	_ = ue
}

// A Sidecar without egress imports "*/*" (Istio's default egress), so its
// scenario must run alone too (found by e2e-local: the client of
// sidecar-outbound-traffic-policy-registry-only saw other scenarios'
// services when they ran beside it).
func TestIsolateSidecarWithoutEgressRunsAlone(t *testing.T) {
	iso := isolated(t, `kind: Scenario
name: noegress
client: {labels: {app: sleep}}
---
apiVersion: networking.istio.io/v1
kind: Sidecar
metadata: {name: sleep}
spec:
  workloadSelector: {labels: {app: sleep}}
  outboundTrafficPolicy: {mode: REGISTRY_ONLY}
`)
	if !strings.Contains(iso.Exclusive, "has no egress") {
		t.Errorf("Exclusive = %q", iso.Exclusive)
	}
	other := isolated(t, `kind: Scenario
name: othersel
client: {labels: {app: sleep}}
---
apiVersion: networking.istio.io/v1
kind: Sidecar
metadata: {name: web}
spec:
  workloadSelector: {labels: {app: web}}
`)
	if other.Exclusive != "" {
		t.Errorf("a Sidecar of another workload made the scenario exclusive: %q", other.Exclusive)
	}
}

// pgCluster has a StatefulSet and a Deployment whose pods carry the same
// labels; client.pod names the client.
const pgCluster = `
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: pg}
spec:
  replicas: 3
  serviceName: pg
  selector: {matchLabels: {app: pg}}
  template:
    metadata: {labels: {app: pg}}
    spec: {containers: [{name: pg, image: postgres}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: pooler}
spec:
  selector: {matchLabels: {app: pg}}
  template:
    metadata: {labels: {app: pg, role: pooler}}
    spec: {containers: [{name: pgbouncer, image: pgbouncer}]}
`

// TestIsolateClientPod checks that client.pod makes its workload the one
// with the sidecar, keeps a StatefulSet pod's name for the live suite,
// and marks a Deployment (whose pod names a cluster makes up) so that
// the live client is one of its pods.
func TestIsolateClientPod(t *testing.T) {
	pooler := scenario.PodNames(scenario.Manifest{Kind: "Deployment", Namespace: "default", Name: "pooler", Object: deployment()})[0]
	tests := []struct {
		name, pod, clientKind, otherKind string
		livePod                          string
		marked                           bool
	}{
		{"statefulset ordinal", "pg-1", "StatefulSet", "Deployment", "pg-1", false},
		{"deployment pod", pooler, "Deployment", "StatefulSet", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			iso := isolated(t, "kind: Scenario\nname: pgc\nclient: {pod: "+tt.pod+", ips: [10.1.2.3]}"+pgCluster)
			names := map[string]string{"StatefulSet": "pg", "Deployment": "pooler"}
			client, other := manifest(t, iso, tt.clientKind, names[tt.clientKind]), manifest(t, iso, tt.otherKind, names[tt.otherKind])
			if strings.Contains(client, isolate.InjectAnnotation) || !strings.Contains(other, isolate.InjectAnnotation+`: "false"`) {
				t.Errorf("the sidecar is not on %s only:\n%s\n%s", tt.clientKind, client, other)
			}
			if got := strings.Contains(client, isolate.LabelClient); got != tt.marked {
				t.Errorf("%s carries %s: %v, want %v:\n%s", tt.clientKind, isolate.LabelClient, got, tt.marked, client)
			}
			h := iso.Live.Header.Client
			if h.Pod != tt.livePod || (h.Labels[isolate.LabelClient] == "true") != tt.marked || h.Labels["app"] != "pg" {
				t.Errorf("live client %+v, want pod %q, marked %v", h, tt.livePod, tt.marked)
			}
			if !strings.Contains(strings.Join(iso.Warnings, "\n"), "client addresses 10.1.2.3 cannot be pinned in a cluster") {
				t.Errorf("no warning about the pinned address: %v", iso.Warnings)
			}
		})
	}
}

func deployment() *appsv1.Deployment { return &appsv1.Deployment{} }

// TestExternalNameOfASharedHostRunsAlone: istiod adds an ExternalName
// alias's names to the SNI chain of every service of the host it names,
// whatever their namespace, so an alias of a host isolation does not rename
// would change other scenarios' listeners (seen in make e2e-local, where
// three scenarios' aliases of api.payments.example.com met on each
// other's chains); an alias of a Service of the scenario's own namespaces
// is renamed with them and shares the cluster.
func TestExternalNameOfASharedHostRunsAlone(t *testing.T) {
	tests := []struct {
		name, externalName string
		alone              bool
	}{
		{"external host", "api.payments.example.com", true},
		{"another cluster's service", "db.istio-system.svc.cluster.local", true},
		{"a Service of the scenario", "db.default.svc.cluster.local", false},
		{"a Service of the scenario, absolute", "db.default.svc.cluster.local.", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			iso := isolated(t, `kind: Scenario
name: alias
---
apiVersion: v1
kind: Service
metadata: {name: pay}
spec: {type: ExternalName, externalName: "`+tt.externalName+`"}
`)
			if alone := iso.Exclusive != ""; alone != tt.alone || alone && !strings.Contains(iso.Exclusive, "ExternalName Service default/pay names "+tt.externalName) {
				t.Errorf("Exclusive = %q, want alone %t", iso.Exclusive, tt.alone)
			}
		})
	}
}
