package predictor_test

import (
	"strings"
	"testing"

	"github.com/listenerlab/listenerlab/internal/offline/compare"
	"github.com/listenerlab/listenerlab/internal/offline/resolve"
	"github.com/listenerlab/listenerlab/predictor"
	"github.com/listenerlab/listenerlab/predictor/versions"
	"github.com/listenerlab/listenerlab/scenario"
)

// TestExternalNameAliasSNI checks the server names an ExternalName alias
// adds to the SNI chain of the host it names. The expected names follow
// Istio's source: resolveServiceAliases (pilot/pkg/model/push_context.go)
// for which services get which aliases, buildSidecarOutboundTLSFilterChainOpts
// (pilot/pkg/networking/core/tls.go) for when, and GenerateAltVirtualHosts
// (pilot/pkg/networking/core/httproute.go) for the names of a Kubernetes
// hostname seen from a proxy of domain NS.svc.cluster.local; the corpus
// scenarios kubernetes/externalname-alias-sni-* check the same against
// real pilot.
func TestExternalNameAliasSNI(t *testing.T) {
	const (
		target = se + `metadata: {name: db, namespace: ns1}
spec: {hosts: [db.ns1.svc.cluster.local], ports: [{number: 27017, name: https, protocol: HTTPS}], resolution: DNS}
`
		alias = svc + `metadata: {name: db}
spec: {type: ExternalName, externalName: db.ns1.svc.cluster.local}
`
		cluster = " -> cluster outbound|27017||db.ns1.svc.cluster.local"
	)
	// sidecar is the proxy's Sidecar importing hosts, after
	// matchingAliasService (pilot/pkg/model/sidecar.go): an imported
	// service keeps the aliases the imports that took it match, those of
	// its namespace, else those of "*".
	sidecar := func(hosts ...string) string {
		return "apiVersion: networking.istio.io/v1\nkind: Sidecar\nmetadata: {name: default}\nspec: {egress: [{hosts: [\"" +
			strings.Join(hosts, `", "`) + "\"]}]}\n"
	}
	v126, err := versions.Lookup("1.26")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		version versions.Version
		header  string
		objects []string
		want    []string // chains of 0.0.0.0_27017
	}{{
		name:    "alias in the proxy's namespace: short name, NAME.NS, NAME.NS.svc, trailing dot",
		objects: []string{target, alias},
		want: []string{"sni=db,db.default,db.default.svc,db.default.svc.cluster.local,db.default.svc.cluster.local.,db.ns1.svc.cluster.local" + cluster,
			"default -> passthrough"},
	}, {
		name:    "1.26 has no trailing-dot name",
		version: v126,
		objects: []string{target, alias},
		want:    []string{"sni=db,db.default,db.default.svc,db.default.svc.cluster.local,db.ns1.svc.cluster.local" + cluster, "default -> passthrough"},
	}, {
		name:    "PILOT_ENABLE_ABSOLUTE_FQDN_VHOST_DOMAIN=false drops the trailing-dot name",
		header:  `istiod: {env: {PILOT_ENABLE_ABSOLUTE_FQDN_VHOST_DOMAIN: "false"}}`,
		objects: []string{target, alias},
		want:    []string{"sni=db,db.default,db.default.svc,db.default.svc.cluster.local,db.ns1.svc.cluster.local" + cluster, "default -> passthrough"},
	}, {
		name:    "an unreadable PILOT_ENABLE_ABSOLUTE_FQDN_VHOST_DOMAIN keeps the default",
		header:  `istiod: {env: {PILOT_ENABLE_ABSOLUTE_FQDN_VHOST_DOMAIN: "no"}}`,
		objects: []string{target, alias},
		want: []string{"sni=db,db.default,db.default.svc,db.default.svc.cluster.local,db.default.svc.cluster.local.,db.ns1.svc.cluster.local" + cluster,
			"default -> passthrough"},
	}, {
		name:    "alias in another namespace: no short name",
		objects: []string{target, strings.Replace(alias, "{name: db}", "{name: db, namespace: apps}", 1)},
		want: []string{"sni=db.apps,db.apps.svc,db.apps.svc.cluster.local,db.apps.svc.cluster.local.,db.ns1.svc.cluster.local" + cluster,
			"default -> passthrough"},
	}, {
		name: "two hops: the target gets both aliases",
		objects: []string{target, strings.Replace(alias, "{name: db}", "{name: db, namespace: zz}", 1),
			svc + `metadata: {name: mongo, namespace: apps}
spec: {type: ExternalName, externalName: db.zz.svc.cluster.local}
`},
		want: []string{"sni=db.ns1.svc.cluster.local,db.zz,db.zz.svc,db.zz.svc.cluster.local,db.zz.svc.cluster.local.,mongo.apps,mongo.apps.svc,mongo.apps.svc.cluster.local,mongo.apps.svc.cluster.local." + cluster,
			"default -> passthrough"},
	}, {
		name: "a loop of aliases adds nothing",
		objects: []string{target,
			svc + "metadata: {name: a}\nspec: {type: ExternalName, externalName: b.default.svc.cluster.local}\n",
			svc + "metadata: {name: b}\nspec: {type: ExternalName, externalName: a.default.svc.cluster.local}\n"},
		want: []string{"sni=db.ns1.svc.cluster.local" + cluster, "default -> passthrough"},
	}, {
		name:    "an alias hidden by exportTo still adds its names",
		objects: []string{target, strings.Replace(alias, "{name: db}", "{name: db, namespace: apps, annotations: {networking.istio.io/exportTo: apps}}", 1)},
		want: []string{"sni=db.apps,db.apps.svc,db.apps.svc.cluster.local,db.apps.svc.cluster.local.,db.ns1.svc.cluster.local" + cluster,
			"default -> passthrough"},
	}, {
		name:    "a target with an address of its own has no SNI chain",
		objects: []string{strings.Replace(target, "resolution: DNS", "addresses: [192.0.2.7], resolution: DNS", 1), alias},
		want:    nil,
	}, {
		name: "a tls route's SNI match replaces the service's chain: no alias names",
		objects: []string{target, alias, `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: db, namespace: ns1}
spec: {hosts: [db.ns1.svc.cluster.local], tls: [{match: [{sniHosts: [db.ns1.svc.cluster.local]}], route: [{destination: {host: db.ns1.svc.cluster.local}}]}]}
`},
		want: []string{"sni=db.ns1.svc.cluster.local" + cluster, "default -> passthrough"},
	}, {
		name:    "a Sidecar importing only the target drops the alias",
		objects: []string{target, alias, sidecar("ns1/db.ns1.svc.cluster.local")},
		want:    []string{"sni=db.ns1.svc.cluster.local" + cluster, "default -> passthrough"},
	}, {
		name:    "the target's namespace's imports keep an alias of another namespace",
		objects: []string{target, alias, sidecar("ns1/db.ns1.svc.cluster.local", "ns1/db.default.svc.cluster.local")},
		want: []string{"sni=db,db.default,db.default.svc,db.default.svc.cluster.local,db.default.svc.cluster.local.,db.ns1.svc.cluster.local" + cluster,
			"default -> passthrough"},
	}, {
		name:    "the alias's own namespace's imports do not keep it",
		objects: []string{target, alias, sidecar("ns1/db.ns1.svc.cluster.local", "default/db.default.svc.cluster.local")},
		want:    []string{"sni=db.ns1.svc.cluster.local" + cluster, "default -> passthrough"},
	}, {
		name:    "*'s imports do not keep it once the target's namespace imported the target",
		objects: []string{target, alias, sidecar("ns1/db.ns1.svc.cluster.local", "*/db.default.svc.cluster.local")},
		want:    []string{"sni=db.ns1.svc.cluster.local" + cluster, "default -> passthrough"},
	}, {
		name:    "a target imported through * keeps the aliases * matches, wildcard hosts included",
		objects: []string{target, alias, sidecar("*/db.ns1.svc.cluster.local", "*/*.default.svc.cluster.local")},
		want: []string{"sni=db,db.default,db.default.svc,db.default.svc.cluster.local,db.default.svc.cluster.local.,db.ns1.svc.cluster.local" + cluster,
			"default -> passthrough"},
	}, {
		name:    "an exclusion (1.31) drops services, not aliases",
		objects: []string{target, alias, sidecar("ns1/*", "~ns1/db.default.svc.cluster.local")},
		want: []string{"sni=db,db.default,db.default.svc,db.default.svc.cluster.local,db.default.svc.cluster.local.,db.ns1.svc.cluster.local" + cluster,
			"default -> passthrough"},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := tt.version
			if v.Label == "" {
				v = versions.Newest()
			}
			doc := "kind: Scenario\nname: alias\n" + tt.header + "\n---\n" + strings.Join(tt.objects, "---\n")
			sc, err := scenario.Parse("inline.yaml", []byte(doc))
			if err != nil {
				t.Fatal(err)
			}
			_, p, err := resolve.Predict(sc, v)
			if err != nil {
				t.Fatal(err)
			}
			exp := scenario.Expectation{Listeners: map[string][]string{"0.0.0.0_27017": tt.want}}
			if tt.want == nil {
				exp = scenario.Expectation{Absent: []string{"0.0.0.0_27017"}}
			}
			for _, d := range compare.Expectations([]scenario.Expectation{exp}, v, p.Listeners, p.Conflicts) {
				t.Errorf("(-want +predicted)\n%s", d)
			}
			for _, l := range p.Listeners {
				for _, c := range l.FilterChains {
					if len(c.Match.ServerNames) > 1 && !strings.Contains(c.Reason, "an ExternalName alias of it") {
						t.Errorf("chain %s of %s: the reason does not name the aliases: %s", c.Match, l.Name, c.Reason)
					}
				}
			}
		})
	}
}

// TestSharedAliasNamespaces checks that Shared, which shares predictions
// between plain namespaces, tells apart a client in an alias's namespace
// (whose SNI chain holds the alias's short name) from clients elsewhere:
// each gets exactly what Predict gives it alone.
func TestSharedAliasNamespaces(t *testing.T) {
	doc := "kind: Scenario\nname: shared-alias\n---\n" + se + `metadata: {name: db, namespace: ns1}
spec: {hosts: [db.example.com], ports: [{number: 443, name: tls, protocol: TLS}], resolution: DNS}
---
` + svc + `metadata: {name: db, namespace: apps}
spec: {type: ExternalName, externalName: db.example.com}
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
	s, err := predictor.NewShared(w, v)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"apps":  "sni=db,db.apps,db.apps.svc,db.apps.svc.cluster.local,db.apps.svc.cluster.local.,db.example.com",
		"other": "sni=db.apps,db.apps.svc,db.apps.svc.cluster.local,db.apps.svc.cluster.local.,db.example.com",
		"third": "sni=db.apps,db.apps.svc,db.apps.svc.cluster.local,db.apps.svc.cluster.local.,db.example.com",
	}
	for _, ns := range []string{"other", "apps", "third", "apps"} {
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
		if d := compare.Listeners(single.Listeners, shared.Listeners); d != nil {
			t.Errorf("namespace %s: Shared differs from Predict: %v", ns, d)
		}
		got := ""
		for _, l := range shared.Listeners {
			if l.Name == "0.0.0.0_443" && len(l.FilterChains) > 0 {
				got = l.FilterChains[0].Match.String()
			}
		}
		if got != want[ns] {
			t.Errorf("namespace %s: 0.0.0.0_443 matches %q, want %q", ns, got, want[ns])
		}
	}
}
