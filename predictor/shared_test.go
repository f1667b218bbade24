package predictor_test

import (
	"encoding/json"
	"slices"
	"testing"

	"github.com/listenerlab/listenerlab/internal/offline/resolve"
	"github.com/listenerlab/listenerlab/predictor"
	"github.com/listenerlab/listenerlab/predictor/versions"
	"github.com/listenerlab/listenerlab/scenario"
)

// TestSharedRouteFindingsByNamespace checks that Shared under
// WithRouteFindingsOnly gives each client the findings Predict gives it
// alone, where a namespace's short names meet another virtual host's
// domains: a ServiceEntry host that is the Service's short name, and one
// that is its NAME.NAMESPACE form. Where the short name is the host, the
// Service's own namespace must see route findings the others do not (else
// the case shows nothing); the two others must share one prediction.
func TestSharedRouteFindingsByNamespace(t *testing.T) {
	for _, host := range []string{"web", "web.shop"} {
		t.Run(host, func(t *testing.T) {
			doc := "kind: Scenario\nname: shared-short-names\n---\n" + svc + `metadata: {name: web, namespace: shop}
spec: {clusterIP: 10.96.0.80, ports: [{name: http, port: 80}]}
---
` + se + `metadata: {name: web, namespace: legacy}
spec: {hosts: [` + host + `], addresses: [192.0.2.20], ports: [{number: 80, name: http, protocol: HTTP}], resolution: STATIC, endpoints: [{address: 192.0.2.21}]}
`
			sc, err := scenario.Parse("inline.yaml", []byte(doc))
			if err != nil {
				t.Fatal(err)
			}
			v := versions.Newest()
			w, err := resolve.Simulate(sc, v)
			if err != nil {
				t.Fatal(err)
			}
			s, err := predictor.NewShared(w, v, predictor.WithRouteFindingsOnly())
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]*predictor.Prediction{}
			for _, ns := range []string{"other", "shop", "third"} {
				c := w.Client
				c.Namespace = ns
				shared, err := s.Predict(c)
				if err != nil {
					t.Fatal(err)
				}
				alone := *w
				alone.Client = c
				single, err := predictor.Predict(&alone, v)
				if err != nil {
					t.Fatal(err)
				}
				if len(single.Routes) == 0 || len(shared.Routes) != 0 {
					t.Fatalf("namespace %s: %d routes alone and %d shared, want some and none", ns, len(single.Routes), len(shared.Routes))
				}
				want, _ := json.Marshal(single.Findings)
				have, _ := json.Marshal(shared.Findings)
				if string(want) != string(have) {
					t.Errorf("namespace %s: Shared findings differ from Predict's:\n%s\nwant\n%s", ns, have, want)
				}
				got[ns] = shared
			}
			codes := func(p *predictor.Prediction) []predictor.Code {
				var out []predictor.Code
				for _, f := range p.Findings {
					out = append(out, f.Code)
				}
				return out
			}
			if host == "web" && slices.Equal(codes(got["shop"]), codes(got["other"])) {
				t.Errorf("shop's findings %v are other's: the case does not show a namespace's own domains", codes(got["shop"]))
			}
			if got["other"] != got["third"] {
				t.Error("the clients of two namespaces without services do not share a prediction")
			}
		})
	}
}
