package isolate_test

import (
	"strings"
	"testing"
)

const routingSample = `kind: Scenario
name: routing
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: echo, namespace: team}
spec:
  hosts: [echo, web.default.svc.cluster.local, api.example.com]
  exportTo: [".", default]
  gateways: [mesh, team/gw, istio-system/ingress, local-gw]
  tcp:
  - match: [{sourceNamespace: default, gateways: [team/gw]}]
    route:
    - {destination: {host: web.default.svc.cluster.local, subset: v1}, weight: 90}
    - {destination: {host: echo, subset: v2}, weight: 10}
  tls:
  - match: [{sniHosts: [web.default.svc.cluster.local, api.example.com]}]
    route: [{destination: {host: api.example.com}}]
  http:
  - route: [{destination: {host: web.default.svc.cluster.local}}]
    mirror: {host: web.team.svc.cluster.local}
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: web, namespace: team}
spec:
  host: web.default.svc.cluster.local
  exportTo: [default]
  subsets: [{name: v1, labels: {version: v1}}]
`

func TestIsolateRenamesVirtualServicesAndDestinationRules(t *testing.T) {
	iso := isolated(t, routingSample)
	p := iso.Prefix
	vs := manifest(t, iso, "VirtualService", "echo")
	for _, want := range []string{
		"namespace: " + p + "team\n",
		"- echo\n", // a short name resolves in the (renamed) namespace of the VirtualService
		"- web." + p + "default.svc.cluster.local\n",
		"- api.example.com\n",
		"- .\n", "- " + p + "default\n",
		"- mesh\n", "- " + p + "team/gw\n", "- istio-system/ingress\n", "- local-gw\n",
		"sourceNamespace: " + p + "default\n",
		"host: web." + p + "default.svc.cluster.local\n",
		"host: web." + p + "team.svc.cluster.local\n",
	} {
		if !strings.Contains(vs, want) {
			t.Errorf("VirtualService lacks %q:\n%s", want, vs)
		}
	}
	if strings.Contains(vs, "web.default.svc") || strings.Contains(vs, "web.team.svc") {
		t.Errorf("VirtualService keeps an original namespace:\n%s", vs)
	}
	dr := manifest(t, iso, "DestinationRule", "web")
	for _, want := range []string{"host: web." + p + "default.svc.cluster.local\n", "- " + p + "default\n", "namespace: " + p + "team\n"} {
		if !strings.Contains(dr, want) {
			t.Errorf("DestinationRule lacks %q:\n%s", want, dr)
		}
	}
}
