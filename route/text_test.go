package route

import (
	"strings"
	"testing"

	"github.com/listenerlab/listenerlab/listener"
)

func TestWrite(t *testing.T) {
	cs := []Config{{Name: "9080", IgnorePortInHostMatching: true, VirtualHosts: []VirtualHost{
		{Name: "r:9080", Domains: []string{"r.ns", "r.ns.svc.cluster.local"}, Routes: []Route{
			{Name: "jason", Match: Match{PathKind: Prefix, Path: "/", Headers: []HeaderMatch{{Name: "end-user", Kind: ValueExact, Value: "jason"}}},
				Action: Action{Kind: Forward, Cluster: "v2", Rewrite: "uri /x", Mirrors: []string{"m"}}},
			{Match: Match{PathKind: Prefix, Path: "/"}, Action: Action{Kind: Forward, Weighted: []listener.WeightedCluster{{Name: "a", Weight: 90}, {Name: "b", Weight: 10}}}},
		}},
	}}}
	var b strings.Builder
	if err := Write(&b, cs, "> "); err != nil {
		t.Fatal(err)
	}
	want := `> route 9080 (port ignored in Host)
>   vhost r:9080: r.ns r.ns.svc.cluster.local
>     1 jason: prefix / header end-user=jason -> cluster v2 (rewrite uri /x) (mirror m)
>     2 -: prefix / -> clusters a=90,b=10
`
	if b.String() != want {
		t.Errorf("Write:\n%s\nwant:\n%s", b.String(), want)
	}
}
