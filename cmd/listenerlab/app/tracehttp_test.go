package app

import (
	"bytes"
	"encoding/json"
	"net/netip"
	"strings"
	"testing"

	"github.com/listenerlab/listenerlab/listener"
	"github.com/listenerlab/listenerlab/route"
	"github.com/listenerlab/listenerlab/trace"
)

// TestWriteRouted prints the request routing part of a trace: the virtual
// host, each skipped route and why, the route taken and its action.
func TestWriteRouted(t *testing.T) {
	ls := []listener.Listener{{Name: "0.0.0.0_9080", Address: "0.0.0.0", Port: 9080,
		FilterChains: []listener.FilterChain{{Destination: listener.Destination{Kind: listener.HTTP, Route: "9080"}}}}}
	rc := []route.Config{{Name: "9080", VirtualHosts: []route.VirtualHost{{Name: "reviews.bookinfo.svc.cluster.local:9080",
		Domains: []string{"reviews.bookinfo:9080"}, Routes: []route.Route{
			{Name: "jason", Match: route.Match{PathKind: route.Prefix, Path: "/", Headers: []route.HeaderMatch{{Name: "end-user", Kind: route.ValueExact, Value: "jason"}}},
				Action: route.Action{Kind: route.Forward, Cluster: "outbound|9080|v2|reviews.bookinfo.svc.cluster.local"}},
			{Match: route.Match{PathKind: route.Prefix, Path: "/"}, Action: route.Action{Kind: route.Forward, Cluster: "outbound|9080|v1|reviews.bookinfo.svc.cluster.local", Mirrors: []string{"outbound|9080|v3|reviews.bookinfo.svc.cluster.local"}}},
		}}}}}
	to := netip.MustParseAddrPort("10.96.90.80:9080")
	tests := []struct {
		call trace.Call
		want []string
	}{
		{trace.Call{To: to, Host: "reviews.bookinfo:9080", Headers: map[string]string{"end-user": "jason"}}, []string{
			"  host:        reviews.bookinfo:9080 (from --host)\n",
			"request GET reviews.bookinfo:9080/ end-user=jason, route configuration 9080:\n",
			"  virtual host: reviews.bookinfo.svc.cluster.local:9080 (domain reviews.bookinfo:9080 equals the Host)\n",
			"  route 1 \"jason\" prefix / header end-user=jason: taken\n",
			"answer: route 9080: cluster outbound|9080|v2|reviews.bookinfo.svc.cluster.local\n"}},
		{trace.Call{To: to, Host: "reviews.bookinfo:9080", Method: "POST", Path: "/r"}, []string{
			"request POST reviews.bookinfo:9080/r, route configuration 9080:\n",
			"  route 1 \"jason\" prefix / header end-user=jason: skipped, header end-user=jason does not hold\n",
			"  route 2 prefix /: taken\n",
			"    mirrored to: outbound|9080|v3|reviews.bookinfo.svc.cluster.local\n",
			"  action: cluster outbound|9080|v1|reviews.bookinfo.svc.cluster.local\n"}},
		{trace.Call{To: to, Host: "details.bookinfo:9080"}, []string{
			"  virtual host: none: no virtual host has a domain matching the Host; Envoy answers 404\n",
			"answer: route 9080: 404 no virtual host\n"}},
	}
	for _, tt := range tests {
		var buf bytes.Buffer
		writeTrace(&buf, trace.Trace(ls, tt.call, trace.Options{Routes: rc}))
		for _, w := range tt.want {
			if !strings.Contains(buf.String(), w) {
				t.Errorf("%+v: output lacks %q:\n%s", tt.call, w, buf.String())
			}
		}
	}
}

func TestTraceRequestFlagsBad(t *testing.T) {
	for _, args := range [][]string{
		{"trace", "--to", "1.2.3.4:80", "--header", "end-user", shadow},
		{"trace", "--to", "1.2.3.4:80", "--header", "=jason", shadow},
		{"trace", "--to", "1.2.3.4:80", "--header", ":method=POST", shadow},
		{"trace", "--to", "1.2.3.4:80", "--header", "Host=a", shadow},
		{"trace", "--to", "1.2.3.4:80", "--path", "api", shadow},
		{"trace", "--to", "1.2.3.4:80", "--method", "get", shadow},
	} {
		code, out, errOut := run(args...)
		if code != exitBadInput || out != "" || errOut == "" {
			t.Errorf("%v: exit %d, want %d; stdout %q; stderr %q", args, code, exitBadInput, out, errOut)
		}
	}
}

// TestTraceJSONCarriesRouting: -o json holds the followed request.
func TestTraceJSONCarriesRouting(t *testing.T) {
	code, out, errOut := run("trace", "-o", "json", "--to", "10.96.90.80:9080", "--host", "reviews.bookinfo:9080", "--header", "end-user=jason", "--dump", jasonDump)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var got []traced
	if err := json.Unmarshal([]byte(out), &got); err != nil || len(got) != 1 {
		t.Fatalf("json: %v, %d results:\n%s", err, len(got), out)
	}
	h := got[0].Result.HTTP
	if h == nil || h.Routed == nil || h.Routed.Route == nil || h.Routed.Route.Index != 0 ||
		h.Routed.Outcome != "cluster outbound|9080|v2|reviews.bookinfo.svc.cluster.local" || h.Routed.Request.Headers["end-user"] != "jason" {
		t.Errorf("http %+v", h)
	}
}
