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

const vs = `apiVersion: networking.istio.io/v1
kind: VirtualService
`

// echo is a TCP Service on 9000 with a fixed ClusterIP.
const echo = svc + `metadata: {name: echo}
spec: {clusterIP: 10.96.7.1, selector: {app: echo}, ports: [{name: tcp, port: 9000}]}
---
`

// TestVirtualServiceRules checks how tcp and tls routes shape listeners.
// Expected chains follow buildSidecarOutboundTCPFilterChainOpts,
// buildSidecarOutboundTLSFilterChainOpts, matchTCP and matchTLS
// (pilot/pkg/networking/core/tls.go), buildOutboundNetworkFilters
// (networkfilter.go) and the VirtualService index of the push context
// (pilot/pkg/model/push_context.go initVirtualServices,
// virtualservice.go SelectVirtualServices).
func TestVirtualServiceRules(t *testing.T) {
	const echoCluster = "outbound|9000||echo.default.svc.cluster.local"
	tests := []struct {
		rule    string
		header  string
		objects string
		want    map[string][]string
		reason  string
	}{{
		rule: "a tcp route without match replaces the service's chain (short names resolved in the VirtualService's namespace)",
		objects: echo + vs + `metadata: {name: echo}
spec: {hosts: [echo], tcp: [{route: [{destination: {host: echo, subset: v1}}]}]}`,
		want:   map[string][]string{"10.96.7.1_9000": {"all -> cluster outbound|9000|v1|echo.default.svc.cluster.local"}},
		reason: "VirtualService default/echo tcp[0] has no match",
	}, {
		rule: "several destinations are weighted clusters, weight 0 left out",
		objects: echo + vs + `metadata: {name: echo}
spec: {hosts: [echo.default.svc.cluster.local], tcp: [{route: [{destination: {host: echo, subset: a}, weight: 70}, {destination: {host: echo, subset: b}, weight: 30}, {destination: {host: echo, subset: c}, weight: 0}]}]}`,
		want: map[string][]string{"10.96.7.1_9000": {"all -> clusters outbound|9000|a|echo.default.svc.cluster.local=70,outbound|9000|b|echo.default.svc.cluster.local=30"}},
	}, {
		// networkfilter.go buildOutboundNetworkFiltersWithWeightedClusters
		// hands buildRedisFilter Clusters[0]: the first with a weight.
		rule:   "PILOT_ENABLE_REDIS_FILTER on a Redis port: one redis_proxy cluster, the route's first destination with a weight",
		header: redisOn,
		objects: svc + `metadata: {name: cache}
spec: {clusterIP: 10.96.7.2, selector: {app: cache}, ports: [{name: redis, port: 6379}]}
---
` + vs + `metadata: {name: cache}
spec: {hosts: [cache], tcp: [{match: [{port: 6379}], route: [{destination: {host: cache, subset: a}, weight: 0}, {destination: {host: cache, subset: c}, weight: 60}, {destination: {host: cache, subset: b}, weight: 40}]}]}`,
		want:   map[string][]string{"10.96.7.2_6379": {"all -> redis cluster outbound|6379|c|cache.default.svc.cluster.local"}},
		reason: "TCP to outbound|6379|c|cache.default.svc.cluster.local through redis_proxy (PILOT_ENABLE_REDIS_FILTER): VirtualService default/cache tcp[0].match[0] matches this sidecar on port 6379 (buildSidecarOutboundTCPFilterChainOpts); redis_proxy has one cluster, not weights: the route's first destination with a weight",
	}, {
		rule: "a destination port names the cluster's port",
		objects: echo + vs + `metadata: {name: echo}
spec: {hosts: [echo], tcp: [{route: [{destination: {host: other.example.com, port: {number: 7000}}}]}]}`,
		want: map[string][]string{"10.96.7.1_9000": {"all -> cluster outbound|7000||other.example.com"}},
	}, {
		rule: "an unknown destination host without port takes the listener's port",
		objects: echo + vs + `metadata: {name: echo}
spec: {hosts: [echo], tcp: [{route: [{destination: {host: other.example.com}}]}]}`,
		want: map[string][]string{"10.96.7.1_9000": {"all -> cluster outbound|9000||other.example.com"}},
	}, {
		rule: "sourceLabels of another workload: the match is skipped, the service's chain stays",
		objects: echo + vs + `metadata: {name: echo}
spec: {hosts: [echo], tcp: [{match: [{sourceLabels: {app: other}}], route: [{destination: {host: echo, subset: v1}}]}]}`,
		want: map[string][]string{"10.96.7.1_9000": {"all -> " + "cluster " + echoCluster}},
	}, {
		rule: "sourceLabels and port of this client: the match applies",
		objects: echo + vs + `metadata: {name: echo}
spec: {hosts: [echo], tcp: [{match: [{port: 9000, sourceLabels: {app: client}, sourceNamespace: default}], route: [{destination: {host: echo, subset: v1}}]}]}`,
		want: map[string][]string{"10.96.7.1_9000": {"all -> cluster outbound|9000|v1|echo.default.svc.cluster.local"}},
	}, {
		rule: "a match bound to a gateway does not apply to the sidecar",
		objects: echo + vs + `metadata: {name: echo}
spec: {hosts: [echo], tcp: [{match: [{gateways: [gw]}], route: [{destination: {host: echo, subset: v1}}]}]}`,
		want: map[string][]string{"10.96.7.1_9000": {"all -> cluster " + echoCluster}},
	}, {
		rule: "a VirtualService bound to a gateway only does not apply to sidecars",
		objects: echo + vs + `metadata: {name: echo}
spec: {hosts: [echo], gateways: [istio-system/gw], tcp: [{route: [{destination: {host: echo, subset: v1}}]}]}`,
		want: map[string][]string{"10.96.7.1_9000": {"all -> cluster " + echoCluster}},
	}, {
		rule: "gateways listing mesh apply to sidecars",
		objects: echo + vs + `metadata: {name: echo}
spec: {hosts: [echo], gateways: [istio-system/gw, mesh], tcp: [{route: [{destination: {host: echo, subset: v1}}]}]}`,
		want: map[string][]string{"10.96.7.1_9000": {"all -> cluster outbound|9000|v1|echo.default.svc.cluster.local"}},
	}, {
		rule: "exported to another namespace only: not visible to the client",
		objects: echo + vs + `metadata: {name: echo, namespace: team}
spec: {hosts: [echo.default.svc.cluster.local], exportTo: [other], tcp: [{route: [{destination: {host: echo.default.svc.cluster.local, subset: v1}}]}]}`,
		want: map[string][]string{"10.96.7.1_9000": {"all -> cluster " + echoCluster}},
	}, {
		rule: "exported to the client's namespace by name",
		objects: echo + vs + `metadata: {name: echo, namespace: team}
spec: {hosts: [echo.default.svc.cluster.local], exportTo: [default], tcp: [{route: [{destination: {host: echo.default.svc.cluster.local, subset: v1}}]}]}`,
		want: map[string][]string{"10.96.7.1_9000": {"all -> cluster outbound|9000|v1|echo.default.svc.cluster.local"}},
	}, {
		rule: "a short host resolves in the VirtualService's namespace, so another namespace's short name misses",
		objects: echo + vs + `metadata: {name: echo, namespace: team}
spec: {hosts: [echo], tcp: [{route: [{destination: {host: echo, subset: v1}}]}]}`,
		want: map[string][]string{"10.96.7.1_9000": {"all -> cluster " + echoCluster}},
	}, {
		rule: "a wildcard host matches the service",
		objects: se + `metadata: {name: db}
spec: {hosts: [db.example.com], addresses: [192.0.2.10], ports: [{number: 5432, name: tcp, protocol: TCP}], resolution: DNS}
---
` + vs + `metadata: {name: db}
spec: {hosts: ["*.example.com"], tcp: [{route: [{destination: {host: db.example.com, subset: primary}}]}]}`,
		want: map[string][]string{"192.0.2.10_5432": {"all -> cluster outbound|5432|primary|db.example.com"}},
	}, {
		rule:   "the oldest VirtualService for a host is read first and ends the search",
		header: "creationOrder: [VirtualService/first, VirtualService/second]",
		objects: echo + vs + `metadata: {name: second}
spec: {hosts: [echo], tcp: [{route: [{destination: {host: echo, subset: v2}}]}]}
---
` + vs + `metadata: {name: first}
spec: {hosts: [echo], tcp: [{route: [{destination: {host: echo, subset: v1}}]}]}`,
		want: map[string][]string{"10.96.7.1_9000": {"all -> cluster outbound|9000|v1|echo.default.svc.cluster.local"}},
	}, {
		rule:   "destinationSubnets build a prefix chain; the service's chain follows",
		header: "client: {dnsCapture: false}",
		objects: se + `metadata: {name: db}
spec: {hosts: [db.example.com], ports: [{number: 5432, name: tcp, protocol: TCP}], resolution: DNS}
---
` + vs + `metadata: {name: db}
spec: {hosts: [db.example.com], tcp: [{match: [{destinationSubnets: [10.1.0.0/16]}, {destinationSubnets: [10.2.0.0/16]}], route: [{destination: {host: db.example.com, subset: near}}]}]}`,
		want: map[string][]string{"0.0.0.0_5432": {"ip=10.1.0.0/16,10.2.0.0/16 -> cluster outbound|5432|near|db.example.com", "default -> cluster outbound|5432||db.example.com"}},
	}, {
		rule: "destinationSubnets equal to the service's CIDR: no second chain with the same match",
		objects: se + `metadata: {name: net}
spec: {hosts: [net.example.com], addresses: [192.0.2.0/24], ports: [{number: 5432, name: tcp, protocol: TCP}], resolution: STATIC, endpoints: [{address: 192.0.2.1}]}
---
` + vs + `metadata: {name: net}
spec: {hosts: [net.example.com], tcp: [{match: [{destinationSubnets: [192.0.2.0/24]}], route: [{destination: {host: net.example.com, subset: s}}]}]}`,
		want: map[string][]string{"0.0.0.0_5432": {"ip=192.0.2.0/24 -> cluster outbound|5432|s|net.example.com", "default -> passthrough"}},
	}, {
		rule:   "tls routes build SNI chains on a TLS port without VIP",
		header: "client: {dnsCapture: false}",
		objects: se + `metadata: {name: api}
spec: {hosts: [api.example.com, www.example.com], ports: [{number: 443, name: tls, protocol: TLS}], resolution: DNS}
---
` + vs + `metadata: {name: api}
spec: {hosts: [api.example.com, www.example.com], tls: [{match: [{sniHosts: [api.example.com]}, {sniHosts: [api.example.com], port: 443}], route: [{destination: {host: api.example.com, subset: a}}]}, {match: [{sniHosts: [www.example.com]}], route: [{destination: {host: www.example.com, subset: w}}]}]}`,
		want: map[string][]string{"0.0.0.0_443": {"sni=api.example.com -> cluster outbound|443|a|api.example.com", "sni=www.example.com -> cluster outbound|443|w|www.example.com", "default -> passthrough"}},
	}, {
		rule:   "tls routes on a TCP port and tcp routes on a TLS port are not read",
		header: "client: {dnsCapture: false}",
		objects: se + `metadata: {name: api}
spec: {hosts: [api.example.com], ports: [{number: 443, name: tls, protocol: TLS}, {number: 5000, name: tcp, protocol: TCP}], resolution: DNS}
---
` + vs + `metadata: {name: api}
spec: {hosts: [api.example.com], tls: [{match: [{sniHosts: [api.example.com], port: 5000}], route: [{destination: {host: api.example.com, subset: a}}]}], tcp: [{match: [{port: 443}], route: [{destination: {host: api.example.com, subset: b}}]}]}`,
		want: map[string][]string{
			"0.0.0.0_443":  {"sni=api.example.com -> cluster outbound|443||api.example.com", "default -> passthrough"},
			"0.0.0.0_5000": {"all -> cluster outbound|5000||api.example.com"},
		},
	}, {
		rule: "a Sidecar that imports neither the VirtualService's namespace nor */ does not select it",
		objects: echo + `apiVersion: networking.istio.io/v1
kind: Sidecar
metadata: {name: default}
spec: {egress: [{hosts: ["./*", "istio-system/*"]}]}
---
` + vs + `metadata: {name: echo, namespace: team}
spec: {hosts: [echo.default.svc.cluster.local], tcp: [{route: [{destination: {host: echo.default.svc.cluster.local, subset: v1}}]}]}`,
		want: map[string][]string{"10.96.7.1_9000": {"all -> cluster " + echoCluster}},
	}, {
		rule: "http routes change no listener, and the HTTP chain says where they apply",
		objects: svc + `metadata: {name: web}
spec: {selector: {app: web}, ports: [{name: http, port: 8080}]}
---
` + vs + `metadata: {name: web}
spec: {hosts: [web], http: [{route: [{destination: {host: web, subset: v1}}]}]}`,
		want:   map[string][]string{"0.0.0.0_8080": {"transport=raw_buffer alpn=h2c,http/1.1 -> route 8080", "default -> passthrough"}},
		reason: "the http routes of VirtualService default/web apply in route 8080 (RDS), not in the listener",
	}, {
		rule: "a sniffed port's TCP chain follows the tcp route",
		objects: svc + `metadata: {name: api}
spec: {clusterIP: 10.96.7.2, selector: {app: api}, ports: [{port: 9100}]}
---
` + vs + `metadata: {name: api}
spec: {hosts: [api], tcp: [{route: [{destination: {host: api, subset: v2}}]}]}`,
		want: map[string][]string{"10.96.7.2_9100": {"transport=raw_buffer alpn=h2c,http/1.1 -> route api.default.svc.cluster.local:9100", "default -> cluster outbound|9100|v2|api.default.svc.cluster.local"}},
	}}
	for _, tt := range tests {
		t.Run(tt.rule, func(t *testing.T) {
			doc := "kind: Scenario\nname: rule\n" + tt.header + "\n---\n" + tt.objects + "\n"
			p := predict(t, doc)
			exp := []scenario.Expectation{{Listeners: tt.want}}
			for _, d := range compare.Expectations(exp, versions.Newest(), p.Listeners, p.Conflicts) {
				t.Errorf("(-want +predicted)\n%s", d)
			}
			if tt.reason == "" {
				return
			}
			var reasons []string
			for _, l := range p.Listeners {
				for _, c := range l.FilterChains {
					reasons = append(reasons, c.Reason)
				}
				if l.DefaultChain != nil {
					reasons = append(reasons, l.DefaultChain.Reason)
				}
			}
			if !strings.Contains(strings.Join(reasons, "\n"), tt.reason) {
				t.Errorf("no chain reason says %q; reasons:\n%s", tt.reason, strings.Join(reasons, "\n"))
			}
		})
	}
}

// TestSharedKeepsRoutingApart checks that Shared does not hand one
// client's prediction to another when a VirtualService's sourceLabels or an
// EnvoyFilter's workloadSelector tells them apart.
func TestSharedKeepsRoutingApart(t *testing.T) {
	doc := "kind: Scenario\nname: shared\n---\n" + echo + vs + `metadata: {name: echo}
spec: {hosts: [echo], tcp: [{match: [{sourceLabels: {app: client}}], route: [{destination: {host: echo, subset: v1}}]}]}
---
` + ef + `metadata: {name: f}
spec: {workloadSelector: {labels: {app: client}}, configPatches: [{applyTo: LISTENER, match: {context: SIDECAR_OUTBOUND, listener: {portNumber: 9000}}, patch: {operation: MERGE, value: {}}}]}
`
	sc, err := scenario.Parse("inline.yaml", []byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	w, err := resolve.Simulate(sc, versions.Newest())
	if err != nil {
		t.Fatal(err)
	}
	s, err := predictor.NewShared(w, versions.Newest())
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]struct {
		dest     string
		findings int
	}{
		"client": {"cluster outbound|9000|v1|echo.default.svc.cluster.local", 1},
		"other":  {"cluster outbound|9000||echo.default.svc.cluster.local", 0},
	}
	for _, app := range []string{"client", "other", "client"} {
		c := w.Client
		c.Labels = map[string]string{"app": app}
		p, err := s.Predict(c)
		if err != nil {
			t.Fatal(err)
		}
		dest, findings := "", 0
		for _, l := range p.Listeners {
			if l.Name == "10.96.7.1_9000" && len(l.FilterChains) == 1 {
				dest = l.FilterChains[0].Destination.String()
			}
		}
		for _, f := range p.Findings {
			if f.Code == "EnvoyFilterNotModelled" {
				findings++
			}
		}
		if dest != want[app].dest || findings != want[app].findings {
			t.Errorf("app=%s: 10.96.7.1_9000 -> %q with %d EnvoyFilter findings, want %q with %d", app, dest, findings, want[app].dest, want[app].findings)
		}
	}
}
