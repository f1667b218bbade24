package app

import (
	"encoding/json"
	"strings"
	"testing"
)

const (
	tlsDump    = "../../../internal/offline/dump/testdata/pilot-1.31-dev-tls-sni.json"
	shadowDump = "../../../internal/offline/dump/testdata/pilot-1.31-dev-tcp-shadow.json"
	jasonDump  = "../../../internal/offline/dump/testdata/pilot-1.26-bookinfo-jason.json"
	jason      = "../../../scenarios/routes/bookinfo-request-routing-jason.yaml"
	tlsSNI     = "../../../scenarios/serviceentry/tls-443-sni-chains-no-conflict.yaml"
	blackhole  = "../../../scenarios/proxy/registry-only-blackhole-default-chain.yaml"
)

func TestTraceAnswers(t *testing.T) {
	tests := []struct {
		args []string
		want []string
	}{
		{[]string{"trace", "--to", "1.2.3.4:443", "--sni", "api.github.com", "--dump", tlsDump},
			[]string{"listener:    0.0.0.0_443", "chain:       sni=api.github.com", "answer: cluster outbound|443||api.github.com"}},
		{[]string{"trace", "--to", "5.6.7.8:3306", "--dump", shadowDump},
			[]string{"listener:    0.0.0.0_3306", "answer: cluster outbound|3306||sql-a.example.com"}},
		{[]string{"trace", shadow, "--to", "5.6.7.8:3306", "--sni", "sql-b.example.com"},
			[]string{"Istio 1.31-dev rules", "answer: cluster outbound|3306||sql-a.example.com"}},
		{[]string{"trace", "--to", "5.6.7.8:8443", shadow},
			[]string{"answer: no listener on this port: passthrough (virtualOutbound)"}},
		{[]string{"trace", "--to", "5.6.7.8:8443", blackhole},
			[]string{"answer: no listener on this port: blackhole (virtualOutbound)"}},
		{[]string{"trace", "--to", "5.6.7.8:443", "--tls", blackhole},
			[]string{"chain:       default", "destination: cluster BlackHoleCluster"}},
		{[]string{"trace", "--to", "5.6.7.8:8443", "--dump", shadowDump},
			[]string{"answer: no listener on this port: stays on virtualOutbound, passthrough"}},
		{[]string{"trace", "--to", "10.96.0.10:9153", "--host", "kube-dns.kube-system:9153", tlsSNI},
			// A sniffed VIP listener's route: one virtual host, domain *.
			[]string{"host:        kube-dns.kube-system:9153 (from --host)", "virtual host: kube-dns.kube-system.svc.cluster.local:9153 (no domain names the Host: the catch-all domain *;",
				"answer: route kube-dns.kube-system.svc.cluster.local:9153: cluster outbound|9153||kube-dns.kube-system.svc.cluster.local"}},
		{[]string{"trace", "--to", "10.96.0.10:9153", tlsSNI},
			[]string{"chain:       default", "answer: cluster outbound|9153||kube-dns.kube-system.svc.cluster.local"}},
		// Issue 24's request on real pilot's routes (a 1.26 dump of
		// scenarios/routes/bookinfo-request-routing-jason.yaml).
		{[]string{"trace", "--to", "10.96.90.80:9080", "--host", "reviews.bookinfo:9080", "--header", "end-user=jason", "--dump", jasonDump},
			[]string{"virtual host: reviews.bookinfo.svc.cluster.local:9080", "answer: route 9080: cluster outbound|9080|v2|reviews.bookinfo.svc.cluster.local"}},
		{[]string{"trace", "--to", "10.96.90.80:9080", "--host", "reviews.bookinfo:9080", "--dump", jasonDump},
			[]string{"skipped, header end-user=jason does not hold", "answer: route 9080: cluster outbound|9080|v1|reviews.bookinfo.svc.cluster.local"}},
		// The same request on the prediction, every catalogued version.
		{[]string{"trace", "--to", "10.96.90.80:9080", "--host", "reviews.bookinfo:9080", "--header", "end-user=jason", "--istio", "1.24", jason},
			[]string{"answer: route 9080: cluster outbound|9080|v2|reviews.bookinfo.svc.cluster.local"}},
		{[]string{"trace", "--to", "10.96.90.80:9080", "--host", "reviews.bookinfo:9080", jason},
			[]string{"why: VirtualService bookinfo/reviews http[1]", "answer: route 9080: cluster outbound|9080|v1|reviews.bookinfo.svc.cluster.local"}},
		{[]string{"trace", "--to", "10.96.90.80:9080", "--host", "details.bookinfo:9080", "--path", "/x", "--method", "POST", jason},
			[]string{"request POST details.bookinfo:9080/x", "answer: route 9080: cluster PassthroughCluster"}},
		{[]string{"trace", "--to", "10.0.0.1:15014", "--alpn", "h2", tlsSNI},
			// No --host: the Host is the address, which no service has.
			[]string{"ALPN h2c", "host:        10.0.0.1:15014 (no --host given", "answer: route 15014: cluster PassthroughCluster"}},
	}
	for _, tt := range tests {
		code, out, errOut := run(tt.args...)
		if code != exitOK {
			t.Errorf("%v: exit %d: %s", tt.args, code, errOut)
			continue
		}
		for _, w := range tt.want {
			if !strings.Contains(out, w) {
				t.Errorf("%v: output lacks %q:\n%s", tt.args, w, out)
			}
		}
	}
}

func TestTraceJSON(t *testing.T) {
	code, out, errOut := run("trace", "-o", "json", "--to", "1.2.3.4:443", "--sni", "api.github.com", "--dump", tlsDump)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var got []traced
	if err := json.Unmarshal([]byte(out), &got); err != nil || len(got) != 1 {
		t.Fatalf("json: %v, %d results:\n%s", err, len(got), out)
	}
	r := got[0].Result
	if r.Listener != "0.0.0.0_443" || r.Destination == nil || r.Destination.Cluster != "outbound|443||api.github.com" || len(r.Steps) != 6 {
		t.Errorf("result %+v", r)
	}
	_, again, _ := run("trace", "--dump", tlsDump, "--sni", "api.github.com", "--to", "1.2.3.4:443", "-o", "json")
	if again != out {
		t.Error("two runs on the same input print different bytes")
	}
}

func TestTraceBadInput(t *testing.T) {
	for _, args := range [][]string{
		{"trace", shadow},
		{"trace", "--to", "1.2.3.4", shadow},
		{"trace", "--to", "1.2.3.4:0", shadow},
		{"trace", "--to", "[::1]:70000", shadow},
		{"trace", "--to", "::1:80", shadow},
		{"trace", "--to", "db.example.com:3306", shadow},
		{"trace", "--to", "1.2.3.4:80"},
		{"trace", "--to", "1.2.3.4:80", "--dump", tlsDump, shadow},
		{"trace", "--to", "1.2.3.4:80", "--dump", tlsDump, "--istio", "1.31-dev"},
		{"trace", "--to", "1.2.3.4:80", "--dump", "no-such-dump.json"},
		{"trace", "--to", "1.2.3.4:80", "--dump", shadow},
		{"trace", "--to", "1.2.3.4:80", "-o", "xml", shadow},
		{"trace", "--to", "1.2.3.4:80", "--alpn", "h2,", shadow},
		{"trace", "--to", "1.2.3.4:80", "--istio", "0.9", shadow},
		{"trace", "--to", "1.2.3.4:80", "--bogus", shadow},
		// --client reads plain manifests, as analyze does.
		{"trace", "--to", "1.2.3.4:80", "--client", "app=web", analyzeData + "gitops"},
		{"trace", "--to", "1.2.3.4:80", "--client", "default/app=client", "--dump", tlsDump},
		{"trace", "--to", "1.2.3.4:80", "--namespace", "shop", shadow},
		{"trace", "--to", "1.2.3.4:80", "--client", "default/app=client", shadow}, // a scenario file, no plain manifests
		{"trace", "--to", "1.2.3.4:80", "--client", "nowhere/app=ghost", analyzeData + "gitops"},
	} {
		code, out, errOut := run(args...)
		if code != exitBadInput || out != "" || errOut == "" {
			t.Errorf("%v: exit %d, want %d; stdout %q; stderr %q", args, code, exitBadInput, out, errOut)
		}
	}
}
