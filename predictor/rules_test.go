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

const se = `apiVersion: networking.istio.io/v1
kind: ServiceEntry
`

const svc = `apiVersion: v1
kind: Service
`

// predict runs the predictor on a scenario written inline.
func predict(t *testing.T, doc string) *predictor.Prediction {
	t.Helper()
	sc, err := scenario.Parse("inline.yaml", []byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	_, p, err := resolve.Predict(sc, versions.Newest())
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// redisOn is the scenario header line that turns istiod's Redis filter on.
const redisOn = "istiod: {env: {PILOT_ENABLE_REDIS_FILTER: \"true\"}}"

// TestRules checks each rule on a minimal case. Expected chains follow
// Istio's source (pilot/pkg/networking/core/listener.go and friends); the
// corpus checks the same rules against the real pilot backend.
func TestRules(t *testing.T) {
	tests := []struct {
		rule    string
		header  string
		objects string
		want    map[string][]string
		absent  []string
		finding string
	}{{
		rule: "HTTP service port shares the wildcard listener behind the http inspector",
		objects: svc + `metadata: {name: web}
spec: {selector: {app: web}, ports: [{name: http, port: 8080}]}`,
		want: map[string][]string{"0.0.0.0_8080": {"transport=raw_buffer alpn=h2c,http/1.1 -> route 8080", "default -> passthrough"}},
	}, {
		// networkfilter.go buildNetworkFiltersStack: a Redis listener port
		// with PILOT_ENABLE_REDIS_FILTER ends with redis_proxy alone, its
		// catch-all route to the cluster tcp_proxy would have used.
		rule:   "PILOT_ENABLE_REDIS_FILTER: a Redis port's chain is a redis_proxy to the service's cluster",
		header: redisOn,
		objects: svc + `metadata: {name: cache}
spec: {clusterIP: 10.96.5.7, selector: {app: cache}, ports: [{name: redis, port: 6379}]}`,
		want: map[string][]string{"10.96.5.7_6379": {"all -> redis cluster outbound|6379||cache.default.svc.cluster.local"}},
	}, {
		rule: "without PILOT_ENABLE_REDIS_FILTER a Redis port's chain is a tcp_proxy",
		objects: svc + `metadata: {name: cache}
spec: {clusterIP: 10.96.5.7, selector: {app: cache}, ports: [{name: redis, port: 6379}]}`,
		want: map[string][]string{"10.96.5.7_6379": {"all -> cluster outbound|6379||cache.default.svc.cluster.local"}},
	}, {
		rule:   "PILOT_ENABLE_REDIS_FILTER: appProtocol redis on an address-less ServiceEntry's wildcard listener",
		header: redisOn + "\nclient: {dnsCapture: false}",
		objects: se + `metadata: {name: cache}
spec: {hosts: [cache.example.com], ports: [{number: 6379, name: cache, protocol: REDIS}], resolution: DNS}`,
		want: map[string][]string{"0.0.0.0_6379": {"all -> redis cluster outbound|6379||cache.example.com"}},
	}, {
		rule:   "PILOT_ENABLE_REDIS_FILTER: a headless Redis service's per-endpoint listeners",
		header: redisOn,
		objects: svc + `metadata: {name: cache}
spec: {clusterIP: None, selector: {app: cache}, ports: [{name: tcp, appProtocol: redis, port: 6379}]}
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: cache}
spec:
  replicas: 2
  serviceName: cache
  selector: {matchLabels: {app: cache}}
  template:
    metadata: {labels: {app: cache}}
    spec: {containers: [{name: c, image: redis}]}`,
		want: map[string][]string{
			"10.244.0.10_6379": {"all -> redis cluster outbound|6379||cache.default.svc.cluster.local"},
			"10.244.0.11_6379": {"all -> redis cluster outbound|6379||cache.default.svc.cluster.local"},
		},
	}, {
		// The chain's protocol is the listener port's (listener.go builds
		// the egress listener's port from the Sidecar).
		rule:   "PILOT_ENABLE_REDIS_FILTER: a Sidecar egress port declared REDIS makes a TCP service's chain redis_proxy",
		header: redisOn,
		objects: `apiVersion: networking.istio.io/v1
kind: Sidecar
metadata: {name: default}
spec: {egress: [{port: {number: 6379, protocol: REDIS, name: redis}, hosts: [./*]}]}
---
` + svc + `metadata: {name: db}
spec: {clusterIP: 10.96.5.9, selector: {app: db}, ports: [{name: tcp, port: 6379}]}`,
		want: map[string][]string{"10.96.5.9_6379": {"all -> redis cluster outbound|6379||db.default.svc.cluster.local"}},
	}, {
		rule:   "PILOT_ENABLE_REDIS_FILTER: a Sidecar egress port declared TCP keeps a Redis service's tcp_proxy",
		header: redisOn,
		objects: `apiVersion: networking.istio.io/v1
kind: Sidecar
metadata: {name: default}
spec: {egress: [{port: {number: 6379, protocol: TCP, name: tcp}, hosts: [./*]}]}
---
` + svc + `metadata: {name: cache}
spec: {clusterIP: 10.96.5.7, selector: {app: cache}, ports: [{name: redis, port: 6379}]}`,
		want: map[string][]string{"10.96.5.7_6379": {"all -> cluster outbound|6379||cache.default.svc.cluster.local"}},
	}, {
		// buildOutboundNetworkFiltersWithWeightedClusters: the first
		// weighted cluster in the route's order, not by name.
		rule:   "PILOT_ENABLE_REDIS_FILTER: weighted tcp routes on a Redis port go to the first destination with a weight",
		header: redisOn,
		objects: svc + `metadata: {name: cache}
spec: {clusterIP: 10.96.5.7, selector: {app: cache}, ports: [{name: redis, port: 6379}]}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: cache}
spec: {hosts: [cache], tcp: [{route: [{destination: {host: cache, subset: z}, weight: 0}, {destination: {host: cache, subset: b}, weight: 30}, {destination: {host: cache, subset: a}, weight: 70}]}]}`,
		want: map[string][]string{"10.96.5.7_6379": {"all -> redis cluster outbound|6379|b|cache.default.svc.cluster.local"}},
	}, {
		rule: "TCP service port listens on the ClusterIP",
		objects: svc + `metadata: {name: db}
spec: {clusterIP: 10.96.5.5, selector: {app: db}, ports: [{name: tcp-db, port: 5432}]}`,
		want: map[string][]string{"10.96.5.5_5432": {"all -> cluster outbound|5432||db.default.svc.cluster.local"}},
	}, {
		rule: "auto-detect port on a VIP: TCP default chain and an HTTP chain with a per-service route",
		objects: svc + `metadata: {name: api}
spec: {clusterIP: 10.96.5.6, selector: {app: api}, ports: [{port: 9000}]}`,
		want: map[string][]string{"10.96.5.6_9000": {"transport=raw_buffer alpn=h2c,http/1.1 -> route api.default.svc.cluster.local:9000", "default -> cluster outbound|9000||api.default.svc.cluster.local"}},
	}, {
		rule: "appProtocol wins over the port name",
		objects: svc + `metadata: {name: api}
spec: {clusterIP: 10.96.5.7, selector: {app: api}, ports: [{name: http-api, appProtocol: tcp, port: 9001}]}`,
		want: map[string][]string{"10.96.5.7_9001": {"all -> cluster outbound|9001||api.default.svc.cluster.local"}},
	}, {
		rule: "an unknown name on well-known port 3306 is TCP",
		objects: svc + `metadata: {name: db}
spec: {clusterIP: 10.96.5.8, selector: {app: db}, ports: [{name: db, port: 3306}]}`,
		want: map[string][]string{"10.96.5.8_3306": {"all -> cluster outbound|3306||db.default.svc.cluster.local"}},
	}, {
		rule: "CIDR address: wildcard listener with a prefix-range chain",
		objects: se + `metadata: {name: net}
spec: {hosts: [net.example.com], addresses: [192.0.2.0/24], ports: [{number: 5432, name: tcp, protocol: TCP}], resolution: STATIC, endpoints: [{address: 192.0.2.1}]}`,
		want: map[string][]string{"0.0.0.0_5432": {"ip=192.0.2.0/24 -> cluster outbound|5432||net.example.com", "default -> passthrough"}},
	}, {
		rule: "a /32 is a dedicated listener",
		objects: se + `metadata: {name: one}
spec: {hosts: [one.example.com], addresses: [192.0.2.9/32], ports: [{number: 5432, name: tcp, protocol: TCP}], resolution: STATIC, endpoints: [{address: 192.0.2.9}]}`,
		want: map[string][]string{"192.0.2.9_5432": {"all -> cluster outbound|5432||one.example.com"}},
	}, {
		rule:   "two address-less TCP ServiceEntries: the first by name wins, the listener has no passthrough",
		header: "client: {dnsCapture: false}",
		objects: se + `metadata: {name: b}
spec: {hosts: [b.example.com], ports: [{number: 3306, name: tcp, protocol: TCP}], resolution: DNS}
---
` + se + `metadata: {name: a}
spec: {hosts: [a.example.com], ports: [{number: 3306, name: tcp, protocol: TCP}], resolution: DNS}`,
		want:    map[string][]string{"0.0.0.0_3306": {"all -> cluster outbound|3306||a.example.com"}},
		finding: "connections to b.example.com:3306 go to cluster outbound|3306||a.example.com (why: its chain on 0.0.0.0_3306 (match all) equals the one a.example.com",
	}, {
		rule:   "creationOrder makes the older ServiceEntry win",
		header: "client: {dnsCapture: false}\ncreationOrder: [ServiceEntry/a]",
		objects: se + `metadata: {name: b}
spec: {hosts: [b.example.com], ports: [{number: 3306, name: tcp, protocol: TCP}], resolution: DNS}
---
` + se + `metadata: {name: a}
spec: {hosts: [a.example.com], ports: [{number: 3306, name: tcp, protocol: TCP}], resolution: DNS}`,
		want:    map[string][]string{"0.0.0.0_3306": {"all -> cluster outbound|3306||b.example.com"}},
		finding: "equals the one b.example.com (ServiceEntry default/b) built first (it is older",
	}, {
		rule:   "DNS capture uses auto-allocated VIPs",
		header: "client: {dnsCapture: true}",
		objects: se + `metadata: {name: a}
spec: {hosts: [a.example.com], ports: [{number: 3306, name: tcp, protocol: TCP}], resolution: DNS}`,
		want:   map[string][]string{"240.240.0.1_3306": {"all -> cluster outbound|3306||a.example.com"}},
		absent: []string{"0.0.0.0_3306"},
	}, {
		rule: "TLS without addresses is matched by SNI",
		objects: se + `metadata: {name: g}
spec: {hosts: [g.example.com], ports: [{number: 443, name: tls, protocol: TLS}], resolution: DNS}`,
		want: map[string][]string{"0.0.0.0_443": {"sni=g.example.com -> cluster outbound|443||g.example.com", "default -> passthrough"}},
	}, {
		rule: "headless TCP service: one listener per endpoint",
		objects: svc + `metadata: {name: kafka}
spec: {clusterIP: None, selector: {app: kafka}, ports: [{name: tcp, port: 9092}]}
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: kafka}
spec:
  replicas: 2
  serviceName: kafka
  selector: {matchLabels: {app: kafka}}
  template:
    metadata: {labels: {app: kafka}}
    spec: {containers: [{name: k, image: kafka}]}`,
		want: map[string][]string{"10.244.0.10_9092": {"all -> cluster outbound|9092||kafka.default.svc.cluster.local"}, "10.244.0.11_9092": nil},
	}, {
		rule: "headless service without endpoints gets no listener",
		objects: svc + `metadata: {name: empty}
spec: {clusterIP: None, selector: {app: none}, ports: [{name: tcp, port: 9093}]}`,
		absent:  []string{"0.0.0.0_9093"},
		finding: "gets one listener per endpoint (it has no VIP to listen on), and it has none",
	}, {
		rule: "resolution NONE without endpoints or selector falls back to the wildcard",
		objects: se + `metadata: {name: any}
spec: {hosts: [any.example.com], ports: [{number: 7000, name: tcp, protocol: TCP}], resolution: NONE}`,
		want: map[string][]string{"0.0.0.0_7000": {"all -> cluster outbound|7000||any.example.com"}},
	}, {
		rule: "ExternalName is an alias: no listener",
		objects: svc + `metadata: {name: ext}
spec: {type: ExternalName, externalName: example.com, ports: [{name: tcp, port: 7001}]}`,
		absent:  []string{"0.0.0.0_7001"},
		finding: "is a DNS alias",
	}, {
		rule: "HTTP service and address-less TCP ServiceEntry merge into a sniffed listener",
		objects: svc + `metadata: {name: web}
spec: {selector: {app: web}, ports: [{name: http, port: 9080}]}
---
` + se + `metadata: {name: raw}
spec: {hosts: [raw.example.com], ports: [{number: 9080, name: tcp, protocol: TCP}], resolution: DNS}`,
		header: "client: {dnsCapture: false}",
		want:   map[string][]string{"0.0.0.0_9080": {"transport=raw_buffer alpn=h2c,http/1.1 -> route 9080", "default -> cluster outbound|9080||raw.example.com"}},
	}, {
		rule: "MySQL never shares a port with HTTP",
		objects: se + `metadata: {name: mysql}
spec: {hosts: [mysql.example.com], ports: [{number: 3306, name: mysql, protocol: MYSQL}], resolution: DNS}
---
` + svc + `metadata: {name: web}
spec: {selector: {app: web}, ports: [{name: http, port: 3306}]}`,
		header:  "client: {dnsCapture: false}\ncreationOrder: [Service/web]",
		want:    map[string][]string{"0.0.0.0_3306": {"all -> cluster outbound|3306||mysql.example.com"}},
		finding: "server-first protocol",
	}, {
		rule: "HTTP on a reserved proxy port gets no listener",
		objects: svc + `metadata: {name: web}
spec: {selector: {app: web}, ports: [{name: http, port: 15021}]}`,
		absent:  []string{"0.0.0.0_15021"},
		finding: "status port",
	}, {
		rule:   "interception NONE binds to the port on the service address",
		header: "client: {interceptionMode: NONE}",
		objects: svc + `metadata: {name: web}
spec: {selector: {app: web}, ports: [{name: http, port: 8081}]}`,
		want: map[string][]string{"127.0.0.1_8081": {"all -> route 8081"}},
	}, {
		rule: "Sidecar egress hosts limit what the proxy sees",
		objects: `apiVersion: networking.istio.io/v1
kind: Sidecar
metadata: {name: default}
spec: {egress: [{hosts: [./*]}]}
---
` + svc + `metadata: {name: other, namespace: elsewhere}
spec: {clusterIP: 10.96.6.1, selector: {app: x}, ports: [{name: tcp, port: 6000}]}`,
		absent: []string{"10.96.6.1_6000", "10.96.0.11_15012"},
		want:   map[string][]string{"10.96.0.1_443": nil},
	}, {
		rule: "exportTo . hides a ServiceEntry from other namespaces",
		objects: se + `metadata: {name: hidden, namespace: team}
spec: {hosts: [hidden.example.com], addresses: [192.0.2.50], exportTo: ["."], ports: [{number: 6001, name: tcp, protocol: TCP}], resolution: STATIC, endpoints: [{address: 192.0.2.50}]}`,
		absent: []string{"192.0.2.50_6001"},
	}, {
		rule:   "REGISTRY_ONLY makes the default chain a blackhole",
		header: "meshConfig: {outboundTrafficPolicy: {mode: REGISTRY_ONLY}}",
		objects: svc + `metadata: {name: web}
spec: {selector: {app: web}, ports: [{name: http, port: 8082}]}`,
		want: map[string][]string{"0.0.0.0_8082": {"transport=raw_buffer alpn=h2c,http/1.1 -> route 8082", "default -> cluster BlackHoleCluster"}},
	}}
	for _, tt := range tests {
		t.Run(tt.rule, func(t *testing.T) {
			doc := "kind: Scenario\nname: rule\n" + tt.header + "\n---\n" + tt.objects + "\n"
			p := predict(t, doc)
			exp := []scenario.Expectation{{Listeners: tt.want, Absent: tt.absent}}
			for _, d := range compare.Expectations(exp, versions.Newest(), p.Listeners, p.Conflicts) {
				t.Errorf("(-want +predicted)\n%s", d)
			}
			for _, l := range p.Listeners {
				if l.Reason == "" {
					t.Errorf("listener %s has no reason", l.Name)
				}
				for _, c := range l.FilterChains {
					if c.Reason == "" {
						t.Errorf("a chain of %s has no reason", l.Name)
					}
				}
			}
			if tt.finding != "" {
				var msgs []string
				for _, f := range p.Findings {
					msgs = append(msgs, f.Message+" (why: "+f.Why+")")
				}
				if !strings.Contains(strings.Join(msgs, "\n"), tt.finding) {
					t.Errorf("no finding says %q; findings:\n%s", tt.finding, strings.Join(msgs, "\n"))
				}
			}
		})
	}
}

func TestPredictIsDeterministic(t *testing.T) {
	doc := "kind: Scenario\nname: det\n---\n" + se + `metadata: {name: b}
spec: {hosts: [b.example.com], ports: [{number: 3306, name: tcp, protocol: TCP}, {number: 80, name: http, protocol: HTTP}], resolution: DNS}
`
	first := predict(t, doc)
	for i := 0; i < 5; i++ {
		again := predict(t, doc)
		if compare.Listeners(first.Listeners, again.Listeners) != nil {
			t.Fatal("two runs on the same input differ")
		}
	}
}

func TestFindingsAreRaisedOnce(t *testing.T) {
	p := predict(t, "kind: Scenario\nname: once\n---\n"+se+`metadata: {name: a}
spec: {hosts: [a.example.com], ports: [{number: 3306, name: tcp, protocol: TCP}, {number: 3307, name: tcp2, protocol: TCP}], resolution: DNS}
`)
	n := 0
	for _, f := range p.Findings {
		if f.Code == "AutoAddressUnused" {
			n++
		}
	}
	if n != 1 {
		t.Errorf("AutoAddressUnused raised %d times for one ServiceEntry with two TCP ports, want once", n)
	}
}

// TestHTTPProxyOrderUndetermined checks that an HTTP_PROXY port and another
// port of two ServiceEntries istiod cannot order (same host, namespace and
// second) on one listener raise OrderUndetermined: real pilot replaced or
// merged by the order it took them in (fuzz seed 100001937). A creation
// order, or two ports that are both HTTP_PROXY, decide the listener.
func TestHTTPProxyOrderUndetermined(t *testing.T) {
	entry := func(name, port string) string {
		return se + "metadata: {name: " + name + "}\nspec: {hosts: [a.example.com], ports: [" + port + "]}\n"
	}
	tls := entry("se-tls", "{number: 3306, name: p3306-tls, protocol: TLS}")
	auto := entry("se-tls", "{number: 3306, name: p3306-tls}")
	proxy := entry("se-proxy", "{number: 3306, name: p3306-http-proxy, protocol: HTTP_PROXY}")
	proxy2 := entry("se-tls", "{number: 3306, name: p3306-proxy, protocol: HTTP_PROXY}")
	tests := []struct {
		name   string
		header string
		docs   []string
		want   int
	}{
		{name: "TLS then HTTP_PROXY, same second", docs: []string{tls, proxy}, want: 1},
		{name: "HTTP_PROXY then TLS, same second", docs: []string{proxy, tls}, want: 1},
		{name: "auto-detect and HTTP_PROXY, same second", docs: []string{auto, proxy}, want: 1},
		{name: "creation order pinned", header: "creationOrder: [ServiceEntry/default/se-tls, ServiceEntry/default/se-proxy]\n", docs: []string{tls, proxy}, want: 0},
		{name: "both HTTP_PROXY", docs: []string{proxy2, proxy}, want: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := predict(t, "kind: Scenario\nname: proxy-order\n"+tt.header+"---\n"+strings.Join(tt.docs, "---\n"))
			n := 0
			for _, f := range p.Findings {
				if f.Code == predictor.OrderUndetermined && f.Listener == "0.0.0.0_3306" {
					n++
				}
			}
			if n != tt.want {
				t.Errorf("%d OrderUndetermined findings on 0.0.0.0_3306, want %d: %+v", n, tt.want, p.Findings)
			}
		})
	}
}

// TestExactImportOrderUndetermined checks that a Sidecar egress listener
// importing only exact hosts, whose host index entry holds one of tied
// ServiceEntry services, raises OrderUndetermined on the listener the other
// service builds otherwise (fuzz seed 777001537 on 1.31-dev: real pilot
// built 0.0.0.0_5432 with an SNI chain and passthrough in some runs, a
// match-all chain in others). It checks the versions too: before 1.31 the
// egress listener imports every service of the host and merges their
// chains, one outcome.
func TestExactImportOrderUndetermined(t *testing.T) {
	const sidecar = `apiVersion: networking.istio.io/v1
kind: Sidecar
metadata: {name: sidecar}
spec:
  egress:
  - {bind: 0.0.0.0, port: {number: 5432, name: tls, protocol: HTTPS}, hosts: [HOSTS]}
  - {hosts: [./*]}
`
	entry := func(name, addrs string) string {
		return se + "metadata: {name: " + name + "}\nspec: {hosts: [a.example.com], addresses: [" + addrs + "], resolution: NONE, ports: [{number: 5432, name: tls, protocol: TLS}]}\n"
	}
	tests := []struct {
		name    string
		version string
		header  string
		hosts   string
		docs    []string
		want    int
	}{
		{name: "one entry, a CIDR and an IP", version: "1.31-dev", hosts: "default/a.example.com", docs: []string{entry("se", "10.60.0.0/16, 10.70.0.5")}, want: 1},
		{name: "two entries, same second", version: "1.31-dev", hosts: "default/a.example.com", docs: []string{entry("se-cidr", "10.60.0.0/16"), entry("se-ip", "10.70.0.5")}, want: 1},
		{name: "two entries, creation order pinned", version: "1.31-dev", header: "creationOrder: [ServiceEntry/default/se-ip, ServiceEntry/default/se-cidr]\n",
			hosts: "default/a.example.com", docs: []string{entry("se-cidr", "10.60.0.0/16"), entry("se-ip", "10.70.0.5")}},
		{name: "tied services that build the same listener", version: "1.31-dev", hosts: "default/a.example.com", docs: []string{entry("se", "10.70.0.5, 10.70.0.6")}},
		{name: "a wildcard import takes every service", version: "1.31-dev", hosts: "default/*", docs: []string{entry("se", "10.60.0.0/16, 10.70.0.5")}},
		{name: "before 1.31 every service is imported", version: "1.30", hosts: "default/a.example.com", docs: []string{entry("se", "10.60.0.0/16, 10.70.0.5")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := versions.Lookup(tt.version)
			if err != nil {
				t.Fatal(err)
			}
			doc := "kind: Scenario\nname: exact-order\n" + tt.header + "---\n" + strings.ReplaceAll(sidecar, "HOSTS", tt.hosts) + "---\n" + strings.Join(tt.docs, "---\n")
			sc, err := scenario.Parse("inline.yaml", []byte(doc))
			if err != nil {
				t.Fatal(err)
			}
			_, p, err := resolve.Predict(sc, v)
			if err != nil {
				t.Fatal(err)
			}
			n := 0
			for _, f := range p.Findings {
				if f.Code == predictor.OrderUndetermined {
					if f.Listener != "0.0.0.0_5432" || f.Witness == nil {
						t.Errorf("OrderUndetermined on %s (witness %v), want 0.0.0.0_5432 with a witness", f.Listener, f.Witness)
					}
					n++
				}
			}
			if n != tt.want {
				t.Errorf("%d OrderUndetermined findings, want %d: %+v", n, tt.want, p.Findings)
			}
		})
	}
}
