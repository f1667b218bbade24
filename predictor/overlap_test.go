package predictor_test

import (
	"strings"
	"testing"

	"github.com/listenerlab/listenerlab/predictor"
)

// TestOverlapAndSniffFindings checks the findings that read the built
// listeners (overlap.go, sniff.go): each case raises its code with the
// severity and related manifest named, and the fixed variant does not.
func TestOverlapAndSniffFindings(t *testing.T) {
	tests := []struct {
		name, objects, code, severity, related, message string
	}{{
		name: "a broader CIDR loses the narrower one's addresses",
		objects: se + `metadata: {name: wide}
spec: {hosts: [wide.example.com], addresses: [10.10.0.0/16], ports: [{number: 5432, name: tcp, protocol: TCP}], resolution: NONE}
---
` + se + `metadata: {name: narrow}
spec: {hosts: [narrow.example.com], addresses: [10.10.1.0/24], ports: [{number: 5432, name: tcp, protocol: TCP}], resolution: NONE}`,
		code: "CIDROverlap", severity: "warning", related: "ServiceEntry default/narrow",
		message: "connections to 10.10.1.0/24, in wide.example.com's range 10.10.0.0/16, go to narrow.example.com",
	}, {
		name: "a CIDR chain takes an HTTP Service's ClusterIP on the shared wildcard listener",
		objects: se + `metadata: {name: corp}
spec: {hosts: [corp.example.com], addresses: [10.96.0.0/16], ports: [{number: 8080, name: tcp, protocol: TCP}], resolution: NONE}
---
` + svc + `metadata: {name: web}
spec: {clusterIP: 10.96.7.7, ports: [{name: http, port: 8080}]}`,
		code: "ClusterIPOverlap", severity: "error", related: "Service default/web",
		message: "connections to 10.96.7.7:8080 (web.default.svc.cluster.local) go to corp.example.com (outbound|8080||corp.example.com on 0.0.0.0_8080)",
	}, {
		name: "a ServiceEntry IP equal to a TCP ClusterIP clashes on the listener name",
		objects: se + `metadata: {name: alias}
spec: {hosts: [alias.example.com], addresses: [10.96.7.8], ports: [{number: 6000, name: tcp, protocol: TCP}], resolution: STATIC, endpoints: [{address: 192.0.2.1}]}
---
` + svc + `metadata: {name: db}
spec: {clusterIP: 10.96.7.8, ports: [{name: tcp, port: 6000}]}`,
		code: "ClusterIPOverlap", severity: "error", related: "Service default/db",
		message: "connections to 10.96.7.8:6000 (db.default.svc.cluster.local) go to alias.example.com (outbound|6000||alias.example.com on 10.96.7.8_6000)",
	}, {
		name: "the Service wins the clash when it is processed first",
		objects: se + `metadata: {name: zz}
spec: {hosts: [zz.example.com], addresses: [10.96.7.8], ports: [{number: 6000, name: tcp, protocol: TCP}], resolution: STATIC, endpoints: [{address: 192.0.2.1}]}
---
` + svc + `metadata: {name: db}
spec: {clusterIP: 10.96.7.8, ports: [{name: tcp, port: 6000}]}`,
		code: "ClusterIPOverlap", severity: "warning", related: "Service default/db",
		message: "both claim 10.96.7.8:6000 and connections go to db.default.svc.cluster.local",
	}, {
		name: "a TCP port on 3306 merged with HTTP gets the http_inspector",
		objects: se + `metadata: {name: sql}
spec: {hosts: [sql.example.com], ports: [{number: 3306, name: tcp, protocol: TCP}], resolution: DNS}
---
` + svc + `metadata: {name: web}
spec: {ports: [{name: http, port: 3306}]}`,
		code: "ServerFirstSniffed", severity: "error", related: "Service default/web",
		message: "shares the listener with HTTP for web.default.svc.cluster.local",
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := predict(t, "kind: Scenario\nname: rule\nclient: {dnsCapture: false}\n---\n"+tt.objects+"\n")
			var got []predictor.Finding
			for _, f := range p.Findings {
				if f.Code == predictor.Code(tt.code) {
					got = append(got, f)
				}
			}
			if len(got) != 1 {
				t.Fatalf("%d %s findings, want 1: %+v", len(got), tt.code, p.Findings)
			}
			f := got[0]
			if string(f.Severity) != tt.severity || !strings.Contains(f.Message+" (why: "+f.Why+")", tt.message) || len(f.Related) != 1 || f.Related[0] != tt.related {
				t.Errorf("got %s %v %q, want %s [%s] %q", f.Severity, f.Related, f.Message, tt.severity, tt.related, tt.message)
			}
		})
	}
}
