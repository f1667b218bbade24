package attribute

import (
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/listenerlab/listenerlab/internal/offline/dump"
	"github.com/listenerlab/listenerlab/internal/offline/resolve"
	"github.com/listenerlab/listenerlab/listener"
	"github.com/listenerlab/listenerlab/predictor/versions"
	"github.com/listenerlab/listenerlab/scenario"
)

func TestChain(t *testing.T) {
	hosts := map[string][]string{
		"sql-a.example.com":             {"ServiceEntry default/sql-a"},
		"web.default.svc.cluster.local": {"Service default/web"},
	}
	tcp := func(cluster string) listener.FilterChain {
		return listener.FilterChain{Destination: listener.Destination{Kind: listener.TCP, Cluster: cluster}}
	}
	http := func(route string) listener.FilterChain {
		return listener.FilterChain{Destination: listener.Destination{Kind: listener.HTTP, Route: route}}
	}
	pred := &listener.FilterChain{Reason: "the oldest service wins"}
	for _, tc := range []struct {
		name       string
		chain      listener.FilterChain
		predicted  *listener.FilterChain
		service    string
		text       string
		attributed bool
	}{
		{"cluster name", tcp("outbound|3306||sql-a.example.com"), nil, "sql-a.example.com",
			"sql-a.example.com:3306: ServiceEntry default/sql-a [by cluster name]", true},
		{"cluster name with subset and reason", tcp("outbound|3306|v1|sql-a.example.com"), pred, "sql-a.example.com",
			"sql-a.example.com:3306 subset v1: ServiceEntry default/sql-a [by cluster name]; predicted: the oldest service wins", true},
		{"redis_proxy cluster name", listener.FilterChain{Destination: listener.Destination{Kind: listener.Redis, Cluster: "outbound|6379||sql-a.example.com"}}, nil, "sql-a.example.com",
			"sql-a.example.com:6379: ServiceEntry default/sql-a [by cluster name]", true},
		{"host no manifest declares", tcp("outbound|80||other.example.com"), nil, "other.example.com",
			"other.example.com:80: declared by no manifest [by cluster name]", true},
		{"route name", http("web.default.svc.cluster.local:8080"), nil, "web.default.svc.cluster.local",
			"web.default.svc.cluster.local:8080: Service default/web [by route name]", true},
		{"passthrough", tcp(listener.PassthroughCluster), nil, "",
			"no service: the catch-all for connections no other chain matches (outboundTrafficPolicy) [by cluster name]", true},
		{"port-wide route with a predicted chain", http("8080"), pred, "",
			"route 8080 is port-wide: every HTTP service on port 8080 has a virtual host in it (RDS, not modelled) [by predicted chain]; predicted: the oldest service wins", true},
		{"port-wide route without prediction", http("8080"), nil, "",
			"not attributed: the destination names no service and the prediction has no such chain", false},
		{"cluster without host, predicted", tcp("outbound|80||"), pred, "",
			"[by predicted chain]; predicted: the oldest service wins", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := chain(tc.chain, tc.predicted, hosts)
			if got.Service != tc.service || got.Text != tc.text || got.Attributed != tc.attributed {
				t.Errorf("got %q %q %v\nwant %q %q %v", got.Service, got.Text, got.Attributed, tc.service, tc.text, tc.attributed)
			}
		})
	}
}

// TestDump attributes the real 1.31-dev pilot's dump of the TCP shadowing
// scenario: sql-a's ServiceEntry wins 0.0.0.0_3306 (the older one, as the
// scenario expects), the built-in kube-dns is marked built in, and every
// chain is attributed.
func TestDump(t *testing.T) {
	sc, err := scenario.LoadFile("../../../scenarios/serviceentry/tcp-without-addresses-shadow.yaml")
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile("../dump/testdata/pilot-1.31-dev-tcp-shadow.json")
	if err != nil {
		t.Fatal(err)
	}
	d, err := dump.Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	v, err := versions.Lookup("1.31-dev")
	if err != nil {
		t.Fatal(err)
	}
	w, p, err := resolve.Predict(sc, v)
	if err != nil {
		t.Fatal(err)
	}
	r := Dump(d.Outbound(), p.Listeners, w, sc)
	if r.Unattributed != 0 || r.Chains == 0 || len(r.Listeners) != len(d.Outbound()) {
		t.Fatalf("%d listeners, %d chains, %d unattributed: %+v", len(r.Listeners), r.Chains, r.Unattributed, r)
	}
	byName := map[string]Listener{}
	for _, l := range r.Listeners {
		byName[l.Name] = l
		if !l.Predicted || l.Reason == "" {
			t.Errorf("%s: predicted %v, reason %q", l.Name, l.Predicted, l.Reason)
		}
	}
	l := byName["0.0.0.0_3306"]
	if !slices.Equal(l.Services, []string{"sql-a.example.com"}) || len(l.Chains) != 1 ||
		!strings.HasPrefix(l.Chains[0].Text, "sql-a.example.com:3306: ServiceEntry default/sql-a [by cluster name]") {
		t.Errorf("0.0.0.0_3306: %+v", l)
	}
	if got := HostSources(w, sc)["kube-dns.kube-system.svc.cluster.local"]; !slices.Equal(got, []string{"Service kube-system/kube-dns (built in)"}) {
		t.Errorf("kube-dns sources: %v", got)
	}
	if got := HostSources(w, sc)["sql-b.example.com"]; !slices.Equal(got, []string{"ServiceEntry default/sql-b"}) {
		t.Errorf("sql-b sources: %v", got)
	}
}
