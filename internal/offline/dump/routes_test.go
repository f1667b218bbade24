package dump

import (
	"os"
	"strings"
	"testing"

	"github.com/listenerlab/listenerlab/route"
)

// TestRealPilotRoutes reads the route configurations the real pilot of
// Istio 1.26 sent for testdata/pilot-1.26-routes.yaml (its dump, written by
// listenerlab verify --keep) and checks what Istio's source decides:
// httproute.go sets ignore_port_in_host_matching and gives the service's
// virtual host its FQDN, the namespace-relative names and its VIP (no
// short name: the client is in another namespace), route/route.go keeps
// the VirtualService's http routes in order, turns withoutHeaders into an
// inverted condition with treat_missing_header_as_empty, a method into a
// :method header, ignoreUriCase into case_sensitive false, and redirect
// code 308 into PERMANENT_REDIRECT; the catch-all virtual host of
// ALLOW_ANY goes to PassthroughCluster.
func TestRealPilotRoutes(t *testing.T) {
	data, err := os.ReadFile("testdata/pilot-1.26-routes.json")
	if err != nil {
		t.Fatal(err)
	}
	d, err := Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	if len(d.UnreadableRoutes) > 0 {
		t.Fatalf("unreadable routes: %v", d.UnreadableRoutes)
	}
	var names []string
	var rc *route.Config
	for i := range d.Routes {
		names = append(names, d.Routes[i].Name)
		if d.Routes[i].Name == "9080" {
			rc = &d.Routes[i]
		}
	}
	if got, want := strings.Join(names, " "), "15010 15014 9080 kube-dns.kube-system.svc.cluster.local:9153"; got != want {
		t.Errorf("route configurations %s, want %s", got, want)
	}
	if rc == nil {
		t.Fatal("no route configuration 9080")
	}
	if !rc.IgnorePortInHostMatching {
		t.Error("9080 does not ignore the port in Host matching")
	}
	vhs := map[string]route.VirtualHost{}
	for _, vh := range rc.VirtualHosts {
		vhs[vh.Name] = vh
	}
	reviews, ok := vhs["reviews.bookinfo.svc.cluster.local:9080"]
	if !ok {
		t.Fatalf("no reviews virtual host in %v", rc.VirtualHosts)
	}
	if got, want := strings.Join(reviews.Domains, " "), "10.96.1.1 reviews.bookinfo reviews.bookinfo.svc reviews.bookinfo.svc.cluster.local"; got != want {
		t.Errorf("reviews domains %q, want %q", got, want)
	}
	want := []string{
		"jason: prefix / header end-user=jason -> cluster outbound|9080|v2|reviews.bookinfo.svc.cluster.local",
		"api: regex /api/v[0-9]+/.* (any case) header !x-canary=no* query debug=1 -> cluster outbound|9080|v3|reviews.bookinfo.svc.cluster.local" +
			" (rewrite uri /v2/, authority reviews-v2) (mirror outbound|9080||ratings.bookinfo.svc.cluster.local)",
		"old: exact /old header :method=POST -> redirect 308 ://reviews.example.com/new",
		"teapot: prefix /tea -> direct response 418",
		"split: prefix / -> clusters outbound|9080|v1|reviews.bookinfo.svc.cluster.local=90,outbound|9080|v3|reviews.bookinfo.svc.cluster.local=10",
	}
	var got []string
	for _, r := range reviews.Routes {
		got = append(got, r.String())
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("reviews routes:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if h := reviews.Routes[1].Match.Headers; len(h) != 1 || !h[0].MissingAsEmpty {
		t.Errorf("withoutHeaders x-canary: %+v, want treat_missing_header_as_empty", h)
	}
	anyVH := vhs["allow_any"]
	if len(anyVH.Routes) != 1 || strings.Join(anyVH.Domains, " ") != "*" || anyVH.Routes[0].Action.String() != "cluster PassthroughCluster" {
		t.Errorf("allow_any virtual host %+v, want * -> PassthroughCluster", anyVH)
	}
}

// TestConvertRoute reads one route of each form an Envoy dump may hold;
// what the route model cannot hold makes the configuration unreadable.
func TestConvertRoute(t *testing.T) {
	tests := []struct {
		name  string
		route string // one route's JSON
		want  string // route.Route.String(), or the error's text
	}{
		{"no header specifier is presence", `{"match":{"prefix":"/","headers":[{"name":"x"}]},"route":{"cluster":"c"}}`,
			"-: prefix / header x present -> cluster c"},
		{"present_match false is absence", `{"match":{"prefix":"/","headers":[{"name":"x","present_match":false}]},"route":{"cluster":"c"}}`,
			"-: prefix / header !x present -> cluster c"},
		{"inverted presence", `{"match":{"prefix":"/","headers":[{"name":"x","present_match":true,"invert_match":true}]},"route":{"cluster":"c"}}`,
			"-: prefix / header !x present -> cluster c"},
		{"deprecated exact_match", `{"match":{"path":"/a","headers":[{"name":"x","exact_match":"1"}]},"route":{"cluster":"c"}}`,
			"-: exact /a header x=1 -> cluster c"},
		{"suffix and regex", `{"match":{"prefix":"/","headers":[{"name":"x","string_match":{"suffix":".com"}},{"name":"y","string_match":{"safe_regex":{"regex":"a.*"}}}]},"route":{"cluster":"c"}}`,
			"-: prefix / header x=*.com header y~a.* -> cluster c"},
		{"query presence", `{"match":{"prefix":"/","query_parameters":[{"name":"q","present_match":true}]},"route":{"cluster":"c"}}`,
			"-: prefix / query q present -> cluster c"},
		{"separated prefix", `{"match":{"path_separated_prefix":"/api"},"route":{"cluster":"c"}}`,
			"-: separated_prefix /api -> cluster c"},
		{"https redirect with prefix", `{"match":{"prefix":"/"},"redirect":{"https_redirect":true,"prefix_rewrite":"/v2"}}`,
			"-: prefix / -> redirect 301 https:///v2*"},
		{"port redirect", `{"match":{"prefix":"/"},"redirect":{"port_redirect":8443,"response_code":"FOUND"}}`,
			"-: prefix / -> redirect 302 ://:8443"},
		{"regex rewrite", `{"match":{"prefix":"/"},"route":{"cluster":"c","regex_rewrite":{"pattern":{"regex":"^/a(.*)"},"substitution":"/b\\1"}}}`,
			`-: prefix / -> cluster c (rewrite uri regex ^/a(.*) /b\1)`},
		{"jwt claim", `{"match":{"prefix":"/","dynamic_metadata":[{"filter":"envoy.filters.http.jwt_authn","path":[{"key":"c"}],"value":{"string_match":{"exact":"x"}}}]},"route":{"cluster":"c"}}`,
			"dynamic_metadata (JWT claim) conditions: not modelled"},
		{"header ignore_case", `{"match":{"prefix":"/","headers":[{"name":"x","string_match":{"exact":"a","ignore_case":true}}]},"route":{"cluster":"c"}}`,
			"ignore_case: not modelled"},
		{"cluster header", `{"match":{"prefix":"/"},"route":{"cluster_header":"x-cluster"}}`,
			"cluster specifier *routev3.RouteAction_ClusterHeader: not modelled"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			js := `{"@type":"type.googleapis.com/envoy.config.route.v3.RouteConfiguration","name":"80",` +
				`"virtual_hosts":[{"name":"vh","domains":["*"],"routes":[` + tt.route + `]}]}`
			c, err := readRoute(rawRoute{where: "test", json: []byte(js)})
			var got string
			switch {
			case err != nil:
				got = err.Error()
				if !strings.HasSuffix(got, tt.want) || !strings.Contains(got, `route configuration "80"`) {
					t.Errorf("error %q, want it to name the configuration and end in %q", got, tt.want)
				}
				return
			case len(c.VirtualHosts) != 1 || len(c.VirtualHosts[0].Routes) != 1:
				t.Fatalf("read %+v, want one virtual host with one route", c)
			}
			if got = c.VirtualHosts[0].Routes[0].String(); got != tt.want {
				t.Errorf("read %q, want %q", got, tt.want)
			}
		})
	}
}

// TestParseRoutesCamel reads a dump written with protojson's default
// lowerCamelCase names, one with a configuration that fails, and the
// per-resource form of config_dump?resource=dynamic_route_configs.
func TestParseRoutesCamel(t *testing.T) {
	listeners := `{"@type":"type.googleapis.com/envoy.admin.v3.ListenersConfigDump","dynamicListeners":[{"name":"l","activeState":{"listener":{"@type":"type.googleapis.com/envoy.config.listener.v3.Listener","name":"l"}}}]}`
	routes := `{"@type":"type.googleapis.com/envoy.admin.v3.RoutesConfigDump","dynamicRouteConfigs":[` +
		`{"routeConfig":{"@type":"type.googleapis.com/envoy.config.route.v3.RouteConfiguration","name":"b","ignorePortInHostMatching":true,"virtualHosts":[{"name":"v","domains":["*"],"routes":[{"match":{"prefix":"/"},"directResponse":{"status":503}}]}]}},` +
		`{"routeConfig":{"@type":"type.googleapis.com/envoy.config.route.v3.RouteConfiguration","name":"bad","virtualHosts":[{"name":"v","routes":[{"match":{"prefix":"/"}}]}]}}]}`
	one := `{"@type":"type.googleapis.com/envoy.admin.v3.RoutesConfigDump.DynamicRouteConfig","route_config":{"@type":"type.googleapis.com/envoy.config.route.v3.RouteConfiguration","name":"a"}}`
	d, err := Parse([]byte(`{"configs":[` + listeners + `,` + routes + `,` + one + `]}`))
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Routes) != 2 || d.Routes[0].Name != "a" || d.Routes[1].Name != "b" || !d.Routes[1].IgnorePortInHostMatching {
		t.Errorf("routes %+v, want a, then b ignoring the port", d.Routes)
	}
	if len(d.UnreadableRoutes) != 1 || d.UnreadableRoutes[0].Name != "bad" || !strings.Contains(d.UnreadableRoutes[0].Message, "no action") {
		t.Errorf("unreadable routes %+v, want bad: no action", d.UnreadableRoutes)
	}
}

// TestRealPilotRoutesMore reads what the real pilot of Istio 1.31-dev
// sent for testdata/pilot-1.31-dev-routes-more.yaml and checks what
// Istio's source decides: sourceLabels are applied when the routes are
// built (sourceMatchHTTP: the client's app=client keeps from-client and
// drops not-client), an authority match is a :authority header
// condition (TranslateRouteMatch), ApplyRedirect keeps port 8443 with
// scheme https and writes 302 as FOUND, no default route follows routes
// that do not match every request, and from 1.27 on the FQDN is also a
// domain with a trailing dot (features.EnableAbsoluteFqdnVhostDomain in
// GenerateAltVirtualHosts). Fault, CORS, retries and the mirror's
// percentage do not change where a request goes and are not read.
func TestRealPilotRoutesMore(t *testing.T) {
	data, err := os.ReadFile("testdata/pilot-1.31-dev-routes-more.json")
	if err != nil {
		t.Fatal(err)
	}
	d, err := Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	if len(d.UnreadableRoutes) > 0 {
		t.Fatalf("unreadable routes: %v", d.UnreadableRoutes)
	}
	var web *route.VirtualHost
	for i := range d.Routes {
		for j := range d.Routes[i].VirtualHosts {
			if d.Routes[i].Name == "8080" && d.Routes[i].VirtualHosts[j].Name == "web.shop.svc.cluster.local:8080" {
				web = &d.Routes[i].VirtualHosts[j]
			}
		}
	}
	if web == nil {
		t.Fatal("no web virtual host in route 8080")
	}
	if got, want := strings.Join(web.Domains, " "), "10.96.1.1 web.shop web.shop.svc web.shop.svc.cluster.local web.shop.svc.cluster.local."; got != want {
		t.Errorf("web domains %q, want %q", got, want)
	}
	want := []string{
		"from-client: prefix /src -> cluster outbound|8080||web.shop.svc.cluster.local",
		"authority: prefix / header :authority=web.shop* header x-version~v[12] query tag=beta* -> cluster outbound|8080||web.shop.svc.cluster.local (mirror outbound|8080||api.shop.svc.cluster.local)",
		"tls: prefix /secure -> redirect 302 https://:8443/s",
	}
	var got []string
	for _, r := range web.Routes {
		got = append(got, r.String())
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("web routes:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestRoutesRead: a dump with a route part, even an empty one, says its
// routes were read; a listeners-only dump does not.
func TestRoutesRead(t *testing.T) {
	listeners := `{"@type":"type.googleapis.com/envoy.admin.v3.ListenersConfigDump","dynamic_listeners":[{"name":"l","active_state":{"listener":{"@type":"type.googleapis.com/envoy.config.listener.v3.Listener","name":"l"}}}]}`
	for _, tt := range []struct {
		name, dump string
		want       bool
	}{
		{"listeners only", `{"configs":[` + listeners + `]}`, false},
		{"empty routes part", `{"configs":[` + listeners + `,{"@type":"type.googleapis.com/envoy.admin.v3.RoutesConfigDump"}]}`, true},
	} {
		d, err := Parse([]byte(tt.dump))
		if err != nil {
			t.Fatal(err)
		}
		if d.RoutesRead != tt.want {
			t.Errorf("%s: RoutesRead %v, want %v", tt.name, d.RoutesRead, tt.want)
		}
	}
}
