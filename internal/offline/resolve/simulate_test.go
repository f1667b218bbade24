package resolve

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/listenerlab/listenerlab/predictor/versions"
	"github.com/listenerlab/listenerlab/scenario"
	"github.com/listenerlab/listenerlab/world"
)

const doc = `kind: Scenario
name: resolve
creationOrder: [ServiceEntry/late]
---
apiVersion: v1
kind: Service
metadata: {name: pinned}
spec: {clusterIP: 10.96.1.1, selector: {app: db}, ports: [{name: tcp, port: 5432, targetPort: pg}]}
---
apiVersion: v1
kind: Service
metadata: {name: auto}
spec: {selector: {app: db}, ports: [{name: tcp, port: 5433}]}
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db}
spec:
  replicas: 2
  serviceName: pinned
  selector: {matchLabels: {app: db}}
  template:
    metadata: {labels: {app: db}}
    spec: {containers: [{name: pg, image: postgres, ports: [{name: pg, containerPort: 15432}]}]}
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: late}
spec: {hosts: [late.example.com], ports: [{number: 1, name: tcp, protocol: TCP}], resolution: DNS}
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: optout, labels: {networking.istio.io/enable-autoallocate-ip: "False"}}
spec: {hosts: [optout.example.com], ports: [{number: 2, name: tcp, protocol: TCP}], resolution: DNS}
`

func TestSimulate(t *testing.T) {
	sc, err := scenario.Parse("inline.yaml", []byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	v31 := versions.Version{Label: "1.31-dev", Minor: 31}
	w, err := Simulate(sc, v31)
	if err != nil {
		t.Fatal(err)
	}
	ips := map[string]string{}
	for _, s := range w.Services {
		ips[s.Name] = s.Spec.ClusterIP
	}
	if ips["pinned"] != "10.96.1.1" || ips["auto"] != "10.96.1.2" || ips["kubernetes"] != "10.96.0.1" {
		t.Errorf("ClusterIPs %v: want the pinned one kept and the next free one allocated", ips)
	}
	var pods []string
	for _, p := range w.Pods {
		pods = append(pods, p.Name+"="+p.Status.PodIP)
	}
	if len(pods) != 3 || pods[0] != "db-0=10.244.0.10" || pods[1] != "db-1=10.244.0.11" {
		t.Errorf("pods %v: want db-0 and db-1 in order, then the standard client", pods)
	}
	if w.Client.Namespace != "default" || w.Client.IPs[0] != "10.244.0.12" {
		t.Errorf("client %+v", w.Client)
	}
	for _, es := range w.EndpointSlices {
		if es.Labels["kubernetes.io/service-name"] == "pinned" && (len(es.Endpoints) != 2 || *es.Ports[0].Port != 15432) {
			t.Errorf("pinned's slice: %d endpoints, port %d; want 2 and the named targetPort 15432", len(es.Endpoints), *es.Ports[0].Port)
		}
	}
	for _, se := range w.ServiceEntries {
		switch se.Name {
		case "late":
			if got := se.CreationTimestamp.Time; !got.Equal(Epoch.Add(time.Second)) {
				t.Errorf("late created at %v, want a second after the others", got)
			}
			if a := se.Status.GetAddresses(); len(a) != 2 || a[0].Value != "240.240.0.1" {
				t.Errorf("late's addresses %v, want 240.240.0.1 and a v6 one", a)
			}
		case "optout":
			if len(se.Status.GetAddresses()) != 0 {
				t.Error("the opt-out label (any case) must stop allocation")
			}
		}
	}
	w24, err := Simulate(sc, versions.Version{Label: "1.24", Minor: 24})
	if err != nil {
		t.Fatal(err)
	}
	for _, se := range w24.ServiceEntries {
		if len(se.Status.GetAddresses()) != 0 {
			t.Errorf("1.24 runs no allocation controller, but %s got addresses", se.Name)
		}
	}
}

func TestSimulateIsDeterministic(t *testing.T) {
	sc, _ := scenario.Parse("inline.yaml", []byte(doc))
	a, _ := Simulate(sc, versions.Newest())
	b, _ := Simulate(sc, versions.Newest())
	if a.Client.Name != b.Client.Name || a.Pods[0].Name != b.Pods[0].Name || a.Services[4].Spec.ClusterIP != b.Services[4].Spec.ClusterIP {
		t.Error("two resolutions of one scenario differ")
	}
}

// clientDoc holds a StatefulSet and a Deployment whose pods carry the same
// labels: only client.pod can name the client.
const clientDoc = `
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
  replicas: 2
  selector: {matchLabels: {app: pg}}
  template:
    metadata: {labels: {app: pg, role: pooler}}
    spec: {containers: [{name: pgbouncer, image: pgbouncer}]}
`

// TestSimulateClient checks which pod the client is and which addresses it
// gets: client.pod by StatefulSet ordinal and by a Deployment pod's
// simulated name, and pinned addresses of one or both families (the
// other family of a dual-stack client keeps its simulated address).
func TestSimulateClient(t *testing.T) {
	pooler1 := scenario.PodNames(scenario.Manifest{Kind: "Deployment", Namespace: "default", Name: "pooler",
		Object: mustDeployment(2)})[1]
	tests := []struct {
		name, client string
		wantPod      string
		wantIPs      []string
		wantLabels   string
	}{
		{"ordinal", "{pod: pg-1}", "pg-1", []string{"10.244.0.11"}, "app=pg"},
		{"ordinal with labels", "{pod: pg-2, labels: {app: pg}}", "pg-2", []string{"10.244.0.12"}, "app=pg"},
		{"deployment pod", "{pod: " + pooler1 + "}", pooler1, []string{"10.244.0.14"}, "app=pg,role=pooler"},
		{"labels pick the deployment", "{labels: {role: pooler}}", "", []string{"10.244.0.13"}, "app=pg,role=pooler"},
		{"ip", "{pod: pg-1, ip: 10.1.2.3}", "pg-1", []string{"10.1.2.3"}, "app=pg"},
		{"dual stack, both pinned, IPv6 written first", `{pod: pg-0, ipFamily: DualStack, ips: ["fd00:1::5", 10.1.2.3]}`, "pg-0",
			[]string{"10.1.2.3", "fd00:1::5"}, "app=pg"},
		{"dual stack, IPv4 pinned", "{pod: pg-0, ipFamily: DualStack, ips: [10.1.2.3]}", "pg-0",
			[]string{"10.1.2.3", "fd00:10:244::a"}, "app=pg"},
		{"dual stack, IPv6 pinned", `{pod: pg-1, ipFamily: DualStack, ips: ["fd00:1::5"]}`, "pg-1",
			[]string{"10.244.0.11", "fd00:1::5"}, "app=pg"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := simulateText(t, "kind: Scenario\nname: c\nclient: "+tt.client+clientDoc)
			if tt.wantPod != "" && w.Client.Name != tt.wantPod {
				t.Errorf("client pod %s, want %s", w.Client.Name, tt.wantPod)
			}
			if !slices.Equal(w.Client.IPs, tt.wantIPs) {
				t.Errorf("client IPs %v, want %v", w.Client.IPs, tt.wantIPs)
			}
			if got := labels.Set(w.Client.Labels).String(); got != tt.wantLabels {
				t.Errorf("client labels %s, want %s", got, tt.wantLabels)
			}
			for _, p := range w.Pods {
				if p.Name == w.Client.Name {
					var ips []string
					for _, ip := range p.Status.PodIPs {
						ips = append(ips, ip.IP)
					}
					if !slices.Equal(ips, w.Client.IPs) || p.Status.PodIP != ips[0] {
						t.Errorf("client pod's status has %v (podIP %s), the World's client %v", ips, p.Status.PodIP, w.Client.IPs)
					}
				}
			}
		})
	}
}

// simulateText parses a scenario written inline and resolves it under
// the newest version's rules.
func simulateText(t *testing.T, text string) *world.World {
	t.Helper()
	sc, err := scenario.Parse("inline.yaml", []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	w, err := Simulate(sc, versions.Newest())
	if err != nil {
		t.Fatal(err)
	}
	return w
}

func mustDeployment(replicas int32) *appsv1.Deployment {
	return &appsv1.Deployment{Spec: appsv1.DeploymentSpec{Replicas: &replicas}}
}

// TestSimulateClientLastWorkload: a header set after loading (analyze's
// clients) may select two workloads; the last one with pods gives the
// client, as analyze's shared Worlds assume.
func TestSimulateClientLastWorkload(t *testing.T) {
	sc, err := scenario.Parse("inline.yaml", []byte("kind: Scenario\nname: c\nclient: {labels: {role: pooler}}"+clientDoc))
	if err != nil {
		t.Fatal(err)
	}
	sc.Header.Client.Labels = map[string]string{"app": "pg"}
	w, err := Simulate(sc, versions.Newest())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(w.Client.Name, "pooler-") {
		t.Errorf("client %s, want the pooler Deployment's first pod", w.Client.Name)
	}
}

// TestSimulateKeepsAPodsOwnAddresses: a Pod manifest's status is kept as
// written, every address of status.podIPs (a captured dual-stack pod's
// both), else status.podIP; the addresses are not handed out again, and
// a pod without either gets one of each cluster family.
func TestSimulateKeepsAPodsOwnAddresses(t *testing.T) {
	for _, tc := range []struct {
		name, status string
		want         []string
	}{
		{"podIPs, dual stack", `{podIP: 10.244.0.10, podIPs: [{ip: 10.244.0.10}, {ip: "fd00:10:244::a"}]}`, []string{"10.244.0.10", "fd00:10:244::a"}},
		{"podIPs only", `{podIPs: [{ip: 10.244.0.10}, {ip: "fd00:10:244::a"}]}`, []string{"10.244.0.10", "fd00:10:244::a"}},
		{"podIP only", `{podIP: 10.244.0.10}`, []string{"10.244.0.10"}},
		{"neither", `{}`, []string{"10.244.0.10", "fd00:10:244::a"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			text := "kind: Scenario\nname: own\nclient: {namespace: app, ipFamily: DualStack}\n---\n" +
				"apiVersion: v1\nkind: Pod\nmetadata: {name: db-0, namespace: db, labels: {app: db}}\n" +
				"spec: {containers: [{name: db, image: postgres}]}\nstatus: " + tc.status + "\n"
			w := simulateText(t, text)
			taken := map[string]string{}
			for _, p := range w.Pods {
				var ips []string
				for _, ip := range p.Status.PodIPs {
					ips = append(ips, ip.IP)
					if other, ok := taken[ip.IP]; ok {
						t.Errorf("%s has %s of %s", p.Name, ip.IP, other)
					}
					taken[ip.IP] = p.Name
				}
				if p.Name != "db-0" {
					continue
				}
				if !slices.Equal(ips, tc.want) || p.Status.PodIP != tc.want[0] {
					t.Errorf("db-0 has %v (podIP %s), want %v", ips, p.Status.PodIP, tc.want)
				}
			}
		})
	}
}

// TestSimulateHeadlessFamilies: a headless Service gets the address
// families the API server defaults, and the EndpointSlice controller makes
// slices of those families only: with a selector and neither ipFamilies
// nor ipFamilyPolicy it is single stack, so a dual-stack pod is one IPv4
// endpoint (found by e2e-local: a dual-stack cluster's headless Service
// had no IPv6 slice, where the simulation made one).
func TestSimulateHeadlessFamilies(t *testing.T) {
	for _, tc := range []struct {
		name, family, spec string
		wantFamilies       string
		wantSlices         []string // address types of the slices made
	}{
		{"dual stack, defaults", "DualStack", "", "IPv4", []string{"IPv4"}},
		{"dual stack, PreferDualStack", "DualStack", "ipFamilyPolicy: PreferDualStack", "IPv4 IPv6", []string{"IPv4", "IPv6"}},
		{"dual stack, RequireDualStack", "DualStack", "ipFamilyPolicy: RequireDualStack", "IPv4 IPv6", []string{"IPv4", "IPv6"}},
		{"dual stack, two families", "DualStack", "ipFamilies: [IPv6, IPv4]", "IPv6 IPv4", []string{"IPv4", "IPv6"}},
		{"dual stack, IPv6 only", "DualStack", "ipFamilies: [IPv6]", "IPv6", []string{"IPv6"}},
		{"IPv6 cluster, defaults", "IPv6", "", "IPv6", []string{"IPv6"}},
		{"IPv4 cluster, PreferDualStack", "IPv4", "ipFamilyPolicy: PreferDualStack", "IPv4", []string{"IPv4"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			text := fmt.Sprintf(`kind: Scenario
name: headless
client: {ipFamily: %q}
---
apiVersion: v1
kind: Service
metadata: {name: db}
spec: {clusterIP: None, selector: {app: db}, ports: [{name: tcp, port: 5432}], %s}
---
apiVersion: v1
kind: Pod
metadata: {name: db-0, labels: {app: db}}
spec: {containers: [{name: db, image: postgres}]}
`, tc.family, tc.spec)
			w := simulateText(t, text)
			for _, svc := range w.Services {
				if svc.Name != "db" {
					continue
				}
				var got []string
				for _, f := range svc.Spec.IPFamilies {
					got = append(got, string(f))
				}
				if strings.Join(got, " ") != tc.wantFamilies {
					t.Errorf("ipFamilies %v, want %s", got, tc.wantFamilies)
				}
			}
			var types []string
			for _, es := range w.EndpointSlices {
				if es.Labels["kubernetes.io/service-name"] == "db" {
					types = append(types, string(es.AddressType))
				}
			}
			if !slices.Equal(types, tc.wantSlices) {
				t.Errorf("slices of %v, want %v", types, tc.wantSlices)
			}
		})
	}
}
