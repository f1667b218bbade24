package scenario

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLoadFileErrors(t *testing.T) {
	tests := []struct {
		file string
		// want lists substrings the one error line must contain: the
		// document, kind and name, and the field.
		want []string
	}{
		{"invalid-not-yaml.yaml", []string{"document 1", "not YAML"}},
		{"invalid-no-header.yaml", []string{"no Scenario header"}},
		{"invalid-two-headers.yaml", []string{"document 2 (Scenario)", "a second Scenario header"}},
		{"invalid-header-unknown-field.yaml", []string{"document 1 (Scenario t)", ": bogus:", "unknown field"}},
		{"invalid-service-port-without-number.yaml", []string{"document 2 (Service db)", "spec.ports[0].port", "port number missing"}},
		{"invalid-duplicate-port.yaml", []string{"document 2 (Service db)", "spec.ports[1].port", "duplicate port 3306/TCP"}},
		{"invalid-cidr.yaml", []string{"document 2 (ServiceEntry ext)", "spec.addresses[0]", `"10.0.0.0/33"`}},
		{"invalid-serviceentry-dns-without-hosts.yaml", []string{"document 2 (ServiceEntry ext)", "spec.hosts", "resolution DNS"}},
		{"invalid-unknown-kind.yaml", []string{"document 2 (Deploymnt web)", ": kind:", "apps/v1 Deploymnt does not exist"}},
		{"invalid-removed-api.yaml", []string{"document 2 (Deployment web)", ": apiVersion:", "no longer served (removed in Kubernetes 1.16)", "use apps/v1"}},
		{"invalid-unknown-field.yaml", []string{"document 2 (Service db)", "portz"}},
		{"invalid-serviceentry-unknown-field.yaml", []string{"document 2 (ServiceEntry ext)", "spec", "resolutoin"}},
		{"invalid-client-matches-two-workloads.yaml", []string{"document 3 (Pod two)", "metadata.labels", "match two workloads", "Pod one in document 2"}},
		{"invalid-client-ip.yaml", []string{"client.ip", "10.0.0.300"}},
		{"invalid-client-pod-ordinal.yaml", []string{"document 1 (Scenario t)", "client.pod: pg-3: StatefulSet pg has 3 replicas (pg-0..pg-2)"}},
		{"invalid-client-pod-unknown.yaml", []string{"client.pod: postgres-0: no such pod in namespace default", "StatefulSet pg: pg-0..pg-2",
			"Deployment pgbouncer: pgbouncer-wzx6n8j576-sxxcl (simulated names)"}},
		{"invalid-client-pod-labels.yaml", []string{"client.labels: client.pod pg-0 (StatefulSet pg, document 2) has labels app=pg, not the client labels role=pooler"}},
		{"invalid-client-pod-namespace.yaml", []string{"client.pod: pg-0: a pod of StatefulSet pg in namespace default, but the client namespace is db"}},
		{"invalid-client-pod-name.yaml", []string{"client.pod", `"pg_0": not a valid pod name`}},
		{"invalid-client-labels-match-statefulset-and-deployment.yaml", []string{"document 3 (Deployment pgbouncer)", "metadata.labels",
			"the client labels app=pg match two workloads (StatefulSet pg in document 2, and this one)", "name its pod with client.pod (StatefulSet pg: pg-0..pg-2;"}},
		{"invalid-client-ips-two-ipv4.yaml", []string{"client.ips[1]", "10.244.0.50 and 10.244.0.51 are both IPv4: a pod has one address per family"}},
		{"invalid-client-ips-ipv6-on-ipv4.yaml", []string{"client.ips[1]", "fd00:10:244::50 is an IPv6 address but client.ipFamily is IPv4", "DualStack"}},
		{"invalid-client-ips-loopback.yaml", []string{"client.ips[1]", "::1 cannot be a pod address"}},
		{"invalid-client-ip-and-ips.yaml", []string{"client.ips", "set client.ip or client.ips, not both"}},
		{"invalid-pod-ips-two-ipv4.yaml", []string{"document 2 (Pod db-0)", "status.podIPs[1].ip", "10.244.0.11: a pod has at most one address of each family"}},
		{"invalid-pod-ips-address.yaml", []string{"document 2 (Pod db-0)", "status.podIPs[1].ip", `invalid IP "fd00:10:244::zz"`}},
		{"invalid-pod-ip-not-first.yaml", []string{"document 2 (Pod db-0)", "status.podIP", "fd00:10:244::a is not status.podIPs[0] (10.244.0.10)"}},
		{"invalid-request-to-and-routeconfig.yaml", []string{"expect[0].requests[0]", "give exactly one of to (IP:PORT) and routeConfig"}},
		{"invalid-request-want.yaml", []string{"expect[0].requests[0]", `want "outbound|9080||reviews.default.svc.cluster.local": not one of`}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			path := filepath.Join("testdata", tt.file)
			_, err := LoadFile(path)
			if err == nil {
				t.Fatal("loaded without error")
			}
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("error %T is not a *scenario.Error: %v", err, err)
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, path+":") {
				t.Errorf("error does not start with the file name: %s", msg)
			}
			if strings.Contains(msg, "\n") {
				t.Errorf("error spans lines: %q", msg)
			}
			for _, w := range tt.want {
				if !strings.Contains(msg, w) {
					t.Errorf("error %q lacks %q", msg, w)
				}
			}
		})
	}
}

func TestLoadValidMinimal(t *testing.T) {
	sc, err := LoadFile("testdata/valid-minimal.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if sc.Header.Name != "t" || len(sc.Manifests) != 0 {
		t.Errorf("got header %+v and %d manifests", sc.Header, len(sc.Manifests))
	}
	if sc.Header.ClientNamespace() != "default" || sc.Header.ClientLabels()["app"] != "client" {
		t.Errorf("client defaults: namespace %q labels %v", sc.Header.ClientNamespace(), sc.Header.ClientLabels())
	}
}

func TestLoadAllKeepsGoodScenarios(t *testing.T) {
	good, bad := LoadAll([]string{"testdata"})
	if len(good) != 1 || good[0].Header.Name != "t" {
		t.Errorf("got %d good scenarios, want valid-minimal only", len(good))
	}
	entries, _ := os.ReadDir("testdata")
	invalid := 0
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), "invalid-") {
			invalid++
		}
	}
	if len(bad) != invalid {
		t.Errorf("got %d errors, want one per invalid file (%d)", len(bad), invalid)
	}
}

func TestCreationOrderAndDefaults(t *testing.T) {
	data := []byte(`kind: Scenario
name: order
creationOrder: [ServiceEntry/b]
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: b}
spec:
  hosts: [b.example.com]
  ports: [{number: 1, name: tcp, protocol: TCP}]
`)
	sc, err := Parse("inline.yaml", data)
	if err != nil {
		t.Fatal(err)
	}
	m, ok := sc.Find("ServiceEntry/b")
	if !ok || m.Namespace != "default" || m.Index != 2 {
		t.Errorf("Find: %+v %v", m, ok)
	}
	_, err = Parse("inline.yaml", []byte("kind: Scenario\nname: x\ncreationOrder: [ServiceEntry/missing]\n"))
	if err == nil || !strings.Contains(err.Error(), "creationOrder[0]") {
		t.Errorf("missing creationOrder target: %v", err)
	}
}

// FuzzParse feeds arbitrary bytes to the loader: it must return a scenario
// or an error, never panic.
func FuzzParse(f *testing.F) {
	entries, _ := os.ReadDir("testdata")
	for _, e := range entries {
		if data, err := os.ReadFile(filepath.Join("testdata", e.Name())); err == nil && !e.IsDir() {
			f.Add(data)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		sc, err := Parse("fuzz.yaml", data)
		if err == nil && sc == nil {
			t.Fatal("nil scenario without error")
		}
	})
}

// TestPinnedIPs: client.ip and client.ips give the pod's addresses IPv4
// first, whatever their order and form (an IPv6 address written with an
// embedded IPv4 one is IPv6).
func TestPinnedIPs(t *testing.T) {
	tests := []struct {
		client Client
		want   []string
	}{
		{Client{IP: "10.1.2.3"}, []string{"10.1.2.3"}},
		{Client{IPs: []string{"fd00::1", "10.1.2.3"}}, []string{"10.1.2.3", "fd00::1"}},
		{Client{IPs: []string{"64:ff9b::10.1.2.3", "10.1.2.4"}}, []string{"10.1.2.4", "64:ff9b::10.1.2.3"}},
		{Client{IPs: []string{"10.1.2.4", "64:ff9b::10.1.2.3"}}, []string{"10.1.2.4", "64:ff9b::10.1.2.3"}},
		{Client{}, nil},
	}
	for _, tt := range tests {
		h := Header{Client: tt.client}
		if got := h.PinnedIPs(); strings.Join(got, " ") != strings.Join(tt.want, " ") {
			t.Errorf("PinnedIPs(%+v) = %v, want %v", tt.client, got, tt.want)
		}
	}
}

// TestClientPodHugeStatefulSet: naming a pod of a StatefulSet with two
// billion replicas reads the ordinal from the name instead of listing
// the pods, and the error says the range.
func TestClientPodHugeStatefulSet(t *testing.T) {
	const sts = `
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: pg}
spec:
  serviceName: pg
  replicas: 2000000000
  selector: {matchLabels: {app: pg}}
  template:
    metadata: {labels: {app: pg}}
    spec: {containers: [{name: c, image: x}]}
`
	sc, err := Parse("huge.yaml", []byte("kind: Scenario\nname: t\nclient: {pod: pg-1999999999}"+sts))
	if err != nil {
		t.Fatal(err)
	}
	if m, i, ok := sc.ClientPod(); !ok || m.Name != "pg" || i != 1999999999 {
		t.Errorf("ClientPod = %s, %d, %v", m.Name, i, ok)
	}
	for pod, want := range map[string]string{
		"pg-2000000000": "client.pod: pg-2000000000: StatefulSet pg has 2000000000 replicas (pg-0..pg-1999999999)",
		"pg-01":         "client.pod: pg-01: StatefulSet pg has 2000000000 replicas",
	} {
		_, err := Parse("huge.yaml", []byte("kind: Scenario\nname: t\nclient: {pod: "+pod+"}"+sts))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("client.pod %s: %v, want %q", pod, err, want)
		}
	}
}
