package resolve

import (
	"strings"
	"testing"

	"github.com/listenerlab/listenerlab/predictor/versions"
	"github.com/listenerlab/listenerlab/scenario"
)

var v31 = versions.Version{Label: "1.31-dev", Minor: 31}

func TestMirrorEndpoints(t *testing.T) {
	doc := `kind: Scenario
name: mirror
---
apiVersion: v1
kind: Service
metadata: {name: db}
spec: {ports: [{name: pg, port: 5432}]}
---
apiVersion: v1
kind: Endpoints
metadata: {name: db, labels: {team: data}}
subsets:
- addresses: [{ip: 10.1.0.1}, {ip: "fd00::1"}]
  notReadyAddresses: [{ip: 10.1.0.2}]
  ports: [{name: pg, port: 5432}]
- addresses: [{ip: 10.1.0.3}]
  ports: [{name: pg, port: 5432}]
---
apiVersion: v1
kind: Service
metadata: {name: selected}
spec: {selector: {app: x}, ports: [{port: 80}]}
---
apiVersion: v1
kind: Endpoints
metadata: {name: selected}
subsets: [{addresses: [{ip: 10.1.0.9}], ports: [{port: 80}]}]
---
apiVersion: v1
kind: Service
metadata: {name: skipped}
spec: {ports: [{port: 81}]}
---
apiVersion: v1
kind: Endpoints
metadata: {name: skipped, labels: {endpointslice.kubernetes.io/skip-mirror: "true"}}
subsets: [{addresses: [{ip: 10.1.0.8}], ports: [{port: 81}]}]
---
apiVersion: v1
kind: Endpoints
metadata: {name: orphan}
subsets: [{addresses: [{ip: 10.1.0.7}], ports: [{port: 82}]}]
`
	sc, err := scenario.Parse("inline.yaml", []byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	w, err := Simulate(sc, v31)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, es := range w.EndpointSlices {
		if es.Labels["endpointslice.kubernetes.io/managed-by"] != "endpointslicemirroring-controller.k8s.io" {
			continue
		}
		var eps []string
		for _, e := range es.Endpoints {
			eps = append(eps, e.Addresses[0]+map[bool]string{true: "", false: "(not ready)"}[*e.Conditions.Ready])
		}
		got = append(got, es.Labels["kubernetes.io/service-name"]+" "+string(es.AddressType)+" "+es.Labels["team"]+" "+string(*es.Ports[0].Protocol)+" "+strings.Join(eps, ","))
	}
	want := []string{"db IPv4 data TCP 10.1.0.1,10.1.0.2(not ready),10.1.0.3", "db IPv6 data TCP fd00::1"}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("mirrored slices:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestWorkloadKindsAndProxySettings(t *testing.T) {
	doc := `kind: Scenario
name: kinds
client: {labels: {app: agent}}
meshConfig:
  defaultConfig: {proxyMetadata: {ISTIO_META_DNS_AUTO_ALLOCATE: "true"}}
---
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent}
spec:
  selector: {matchLabels: {app: agent}}
  template:
    metadata:
      labels: {app: agent}
      annotations:
        proxy.istio.io/config: '{"proxyMetadata": {"ISTIO_META_DNS_CAPTURE": "true"}}'
        sidecar.istio.io/interceptionMode: TPROXY
---
apiVersion: batch/v1
kind: Job
metadata: {name: migrate}
spec: {parallelism: 2, template: {metadata: {labels: {app: migrate}}}}
---
apiVersion: batch/v1
kind: CronJob
metadata: {name: report}
spec: {schedule: "0 * * * *", jobTemplate: {spec: {template: {metadata: {labels: {app: report}}}}}}
---
apiVersion: apps/v1
kind: ReplicaSet
metadata: {name: rs}
spec: {replicas: 3, selector: {matchLabels: {app: rs}}, template: {metadata: {labels: {app: rs}}}}
`
	sc, err := scenario.Parse("inline.yaml", []byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	w, err := Simulate(sc, v31)
	if err != nil {
		t.Fatal(err)
	}
	count := map[string]int{}
	for _, p := range w.Pods {
		count[p.Labels["app"]]++
	}
	if count["agent"] != 1 || count["migrate"] != 2 || count["report"] != 1 || count["rs"] != 3 || count["client"] != 0 {
		t.Errorf("pods per app %v", count)
	}
	c := w.Client
	if !strings.HasPrefix(c.Name, "agent-") || !c.DNSCapture || !c.DNSAutoAllocate || c.InterceptionMode != "TPROXY" {
		t.Errorf("client %+v: want the DaemonSet's pod, DNS capture from the annotation, auto-allocation from the mesh config, TPROXY", c)
	}
	bad := strings.Replace(doc, "TPROXY", "BOGUS", 1)
	sc, err = scenario.Parse("inline.yaml", []byte(bad))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Simulate(sc, v31); err == nil || !strings.Contains(err.Error(), "spec.template.metadata.annotations") {
		t.Errorf("bad interception mode: %v", err)
	}
}
