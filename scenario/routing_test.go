package scenario

import (
	"strings"
	"testing"

	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"
	networkingv1alpha3 "istio.io/client-go/pkg/apis/networking/v1alpha3"
)

const routingHeader = "kind: Scenario\nname: t\n---\n"

func TestRoutingKindsLoad(t *testing.T) {
	doc := routingHeader + `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: db, namespace: shop}
spec:
  hosts: [db]
  tcp:
  - match: [{port: 3306, destinationSubnets: [10.0.0.0/8]}]
    route:
    - {destination: {host: db, subset: v1}, weight: 80}
    - {destination: {host: db, subset: v2}, weight: 20}
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: db, namespace: shop}
spec:
  host: db
  subsets: [{name: v1, labels: {version: v1}}, {name: v2, labels: {version: v2}}]
---
apiVersion: networking.istio.io/v1alpha3
kind: EnvoyFilter
metadata: {name: buf}
spec:
  configPatches:
  - applyTo: LISTENER
    match: {context: SIDECAR_OUTBOUND, listener: {portNumber: 3306}}
    patch: {operation: MERGE, value: {per_connection_buffer_limit_bytes: 1024}}
`
	sc, err := parse("t.yaml", []byte(doc), false, ManifestOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(sc.Manifests) != 3 {
		t.Fatalf("got %d manifests, want 3", len(sc.Manifests))
	}
	vs, ok := sc.Manifests[0].Object.(*networkingv1.VirtualService)
	if !ok || vs.Spec.Tcp[0].Route[1].Destination.Subset != "v2" || vs.Spec.Tcp[0].Route[1].Weight != 20 || vs.Spec.Tcp[0].Match[0].Port != 3306 {
		t.Errorf("VirtualService decoded wrongly: %+v", sc.Manifests[0].Object)
	}
	if dr, ok := sc.Manifests[1].Object.(*networkingv1.DestinationRule); !ok || len(dr.Spec.Subsets) != 2 {
		t.Errorf("DestinationRule decoded wrongly: %+v", sc.Manifests[1].Object)
	}
	ef, ok := sc.Manifests[2].Object.(*networkingv1alpha3.EnvoyFilter)
	if !ok || ef.Spec.ConfigPatches[0].Match.GetListener().GetPortNumber() != 3306 || sc.Manifests[2].Namespace != "default" {
		t.Errorf("EnvoyFilter decoded wrongly: %+v", sc.Manifests[2])
	}
}

func TestRoutingKindsErrors(t *testing.T) {
	tests := []struct {
		name, doc string
		want      []string
	}{
		{"vs unknown field", "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: a}\nspec: {hosts: [a], tcpp: []}\n",
			[]string{"document 2 (VirtualService a)", "spec", "tcpp"}},
		{"delegate with tcp routes", "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: a}\nspec: {tcp: [{route: [{destination: {host: a}}]}]}\n",
			[]string{"spec.tcp", "delegate"}},
		{"delegate with gateways", "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: a}\nspec: {gateways: [mesh], http: [{route: [{destination: {host: a}}]}]}\n",
			[]string{"spec.gateways", "delegate"}},
		{"tcp route without host", "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: a}\nspec: {hosts: [a], tcp: [{route: [{destination: {subset: v1}}]}]}\n",
			[]string{"spec.tcp[0].route[0].destination.host"}},
		{"bad subnet", "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: a}\nspec: {hosts: [a], tcp: [{match: [{destinationSubnets: [10.0.0.0/40]}], route: [{destination: {host: a}}]}]}\n",
			[]string{"spec.tcp[0].match[0].destinationSubnets[0]", "10.0.0.0/40"}},
		{"tls match without sni", "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: a}\nspec: {hosts: [a], tls: [{match: [{port: 443}], route: [{destination: {host: a}}]}]}\n",
			[]string{"spec.tls[0].match[0].sniHosts"}},
		{"weights all zero", "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: a}\nspec: {hosts: [a], tcp: [{route: [{destination: {host: a, subset: v1}}, {destination: {host: a, subset: v2}}]}]}\n",
			[]string{"spec.tcp[0].route", "weights"}},
		{"dr without host", "apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: {name: a}\nspec: {subsets: [{name: v1}]}\n",
			[]string{"document 2 (DestinationRule a)", "spec.host"}},
		{"dr subset without name", "apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: {name: a}\nspec: {host: a, subsets: [{labels: {v: a}}]}\n",
			[]string{"spec.subsets[0].name"}},
		{"envoyfilter bad applyTo", "apiVersion: networking.istio.io/v1alpha3\nkind: EnvoyFilter\nmetadata: {name: a}\nspec: {configPatches: [{applyTo: LISTENERZ}]}\n",
			[]string{"document 2 (EnvoyFilter a)", "spec", "LISTENERZ"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parse("t.yaml", []byte(routingHeader+tt.doc), false, ManifestOptions{})
			if err == nil {
				t.Fatal("loaded without error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
}
