package dump

import (
	"net/netip"
	"os"
	"path/filepath"
	"testing"

	"github.com/listenerlab/listenerlab/listener"
	"github.com/listenerlab/listenerlab/trace"
)

// TestHandoffTrace traces on config dumps written by the real pilot of
// Istio 1.31-dev (listenerlab verify --keep).
func TestHandoffTrace(t *testing.T) {
	tests := []struct {
		file, to, sni         string
		listener, chain, dest string
		virtual               bool
	}{
		{file: "pilot-1.31-dev-tls-sni.json", to: "1.2.3.4:443", sni: "api.github.com",
			listener: "0.0.0.0_443", chain: "sni=api.github.com", dest: "cluster outbound|443||api.github.com"},
		{file: "pilot-1.31-dev-tls-sni.json", to: "1.2.3.4:443", sni: "example.org",
			listener: "0.0.0.0_443", chain: "default", dest: "passthrough"},
		{file: "pilot-1.31-dev-tls-sni.json", to: "10.96.0.1:443", sni: "kubernetes.default.svc",
			listener: "10.96.0.1_443", chain: "all", dest: "cluster outbound|443||kubernetes.default.svc.cluster.local"},
		{file: "pilot-1.31-dev-tcp-shadow.json", to: "5.6.7.8:3306",
			listener: "0.0.0.0_3306", chain: "all", dest: "cluster outbound|3306||sql-a.example.com"},
		{file: "pilot-1.31-dev-tcp-shadow.json", to: "5.6.7.8:3306", sni: "sql-b.example.com",
			listener: "0.0.0.0_3306", chain: "all", dest: "cluster outbound|3306||sql-a.example.com"},
		{file: "pilot-1.31-dev-tcp-shadow.json", to: "5.6.7.8:8443",
			listener: "virtualOutbound", chain: "all", dest: "passthrough", virtual: true},
		{file: "pilot-1.31-dev-tcp-shadow.json", to: "5.6.7.8:15001",
			listener: "virtualOutbound", chain: "port=15001", dest: "cluster BlackHoleCluster", virtual: true},
		{file: "pilot-1.31-dev-tcp-shadow.json", to: "5.6.7.8:15006",
			listener: "virtualInbound", chain: "port=15006", dest: "cluster BlackHoleCluster"},
	}
	for _, tt := range tests {
		t.Run(tt.file+" "+tt.to+" "+tt.sni, func(t *testing.T) {
			data, err := os.ReadFile("testdata/" + tt.file)
			if err != nil {
				t.Fatal(err)
			}
			d, err := Parse(data)
			if err != nil {
				t.Fatal(err)
			}
			ls, opts := d.Handoff()
			if opts.VirtualOutbound == nil {
				t.Fatal("no virtualOutbound in the dump")
			}
			r := trace.Trace(ls, trace.Call{To: netip.MustParseAddrPort(tt.to), SNI: tt.sni}, opts)
			dest := ""
			if r.Destination != nil {
				dest = r.Destination.String()
			}
			if r.Listener != tt.listener || r.Chain != tt.chain || dest != tt.dest || r.Virtual != tt.virtual {
				t.Errorf("got %s / %s -> %s (virtual %t), want %s / %s -> %s (virtual %t)\n%s",
					r.Listener, r.Chain, dest, r.Virtual, tt.listener, tt.chain, tt.dest, tt.virtual, r.Summary)
			}
		})
	}
}

// TestHandoffFollowsRequests traces HTTP requests on the config dump real
// pilot 1.26 wrote for scenarios/routes/bookinfo-request-routing-jason.yaml
// (listenerlab verify --keep): Handoff carries the dump's route
// configurations, so the request goes on from route 9080 to a cluster.
func TestHandoffFollowsRequests(t *testing.T) {
	ls, opts := handoffOf(t, "pilot-1.26-bookinfo-jason.json")
	if opts.Routes == nil {
		t.Fatal("Handoff carries no route configurations")
	}
	to := netip.MustParseAddrPort("10.96.90.80:9080")
	for _, tt := range []struct {
		headers map[string]string
		host    string
		want    string
	}{
		{map[string]string{"end-user": "jason"}, "reviews.bookinfo:9080", "route 9080: cluster outbound|9080|v2|reviews.bookinfo.svc.cluster.local"},
		{nil, "reviews.bookinfo:9080", "route 9080: cluster outbound|9080|v1|reviews.bookinfo.svc.cluster.local"},
		{nil, "reviews:9080", "route 9080: cluster PassthroughCluster"},
	} {
		r := trace.Trace(ls, trace.Call{To: to, Host: tt.host, Headers: tt.headers}, opts)
		if r.Summary != tt.want {
			t.Errorf("%s %v: %q, want %q", tt.host, tt.headers, r.Summary, tt.want)
		}
	}
}

// TestHandoffInlineRoutes traces plaintext HTTP on the config dump real
// pilot 1.31-dev wrote for scenarios/mesh/allow-any-dynamic-dns-passthrough.yaml
// (listenerlab verify --keep): under ALLOW_ANY_DYNAMIC_DNS virtualOutbound
// has an HTTP chain whose connection manager carries its route
// configuration inline, which Handoff hands to the trace, so a request
// for an unknown host on a port without a listener reaches
// AllowAnyDynamicDNSCluster; a raw TCP connection still passes through.
func TestHandoffInlineRoutes(t *testing.T) {
	ls, opts := handoffOf(t, "pilot-1.31-dev-dynamic-dns.json")
	if len(opts.Inline) != 1 || opts.Inline[0].Name != "inline:allow_any_dynamic_dns" {
		t.Fatalf("inline route configurations %v, want inline:allow_any_dynamic_dns", opts.Inline)
	}
	to := netip.MustParseAddrPort("203.0.113.10:8080")
	for _, tt := range []struct {
		call trace.Call
		want string
	}{
		{trace.Call{To: to, Host: "example.org:8080", Path: "/"}, "no listener on this port: stays on virtualOutbound, route inline:allow_any_dynamic_dns: cluster AllowAnyDynamicDNSCluster"},
		{trace.Call{To: to}, "no listener on this port: stays on virtualOutbound, passthrough"},
	} {
		if r := trace.Trace(ls, tt.call, opts); r.Summary != tt.want {
			t.Errorf("%+v: %q, want %q", tt.call, r.Summary, tt.want)
		}
	}
}

// handoffOf parses the dump testdata/file and returns its Handoff.
func handoffOf(t *testing.T, file string) ([]listener.Listener, trace.Options) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", file))
	if err != nil {
		t.Fatal(err)
	}
	d, err := Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	return d.Handoff()
}
