package analyze

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"gotest.tools/v3/golden"

	"github.com/listenerlab/listenerlab/predictor"
)

// TestCodes runs each code's minimal manifests: bad.yaml raises the code,
// fixed.yaml does not.
func TestCodes(t *testing.T) {
	tests := []struct {
		code string
		opts []Option
		want int // findings of the code in bad.yaml
	}{
		{code: "Shadowed", want: 2}, // two TCP ServiceEntries, two headless Services on an egress port
		{code: "Hijack", want: 1},
		{code: "CIDROverlap", want: 1},
		{code: "ClusterIPOverlap", want: 1},
		{code: "ServerFirstConflict", want: 2}, // MySQL and Mongo
		{code: "ServerFirstSniffed", want: 1},
		{code: "PortSkipped", want: 1},
		{code: "ManyEndpointListeners", opts: []Option{WithMaxEndpointListeners(2)}, want: 2}, // 3 listeners for the pg pods, 4 for api
		{code: "AutoAddressUnused", want: 1},
		{code: "SniffedListenerTaken", want: 1},
		{code: "NoEndpoints", want: 1},
		{code: "EndpointSkipped", want: 1},
		{code: "AliasNoListener", want: 1},
		{code: "UDPNoListener", want: 1},
		{code: "EnvoyFilterNotModelled", want: 1},
		// One on the listener 0.0.0.0_9042, one on the virtual host of
		// route 9042 (its auto-detected port is routed by Host too).
		{code: "OrderUndetermined", want: 2},
		// The route codes, one finding each (for both standard clients,
		// bookinfo's and default's).
		{code: "VirtualServiceShadowed", want: 1},
		{code: "DuplicateDomain", want: 1},
		{code: "UnreachableRoute", want: 1},
		{code: "UndefinedSubset", want: 1},
		{code: "VirtualServiceNoService", want: 1},
	}
	// Every code of the predictor's table has a pair.
	for _, ft := range predictor.FindingTypes() {
		if !slices.ContainsFunc(tests, func(tt struct {
			code string
			opts []Option
			want int
		}) bool {
			return tt.code == string(ft.Code)
		}) {
			t.Errorf("%s has no bad.yaml and fixed.yaml under testdata/%s", ft.Code, ft.Code)
		}
	}
	for _, tt := range tests {
		t.Run(tt.code, func(t *testing.T) {
			for _, file := range []string{"bad.yaml", "fixed.yaml"} {
				r, err := Run([]string{filepath.Join("testdata", tt.code, file)}, tt.opts...)
				if err != nil {
					t.Fatal(err)
				}
				var got []Finding
				for _, f := range r.Findings {
					if f.Code == predictor.Code(tt.code) {
						got = append(got, f)
					}
				}
				want := tt.want
				if file == "fixed.yaml" {
					want = 0
				}
				if len(got) != want {
					t.Errorf("%s: %d %s findings, want %d: %+v", file, len(got), tt.code, want, got)
				}
				for _, f := range got {
					if len(f.Objects) == 0 || f.Objects[0].File == "" || f.Objects[0].Line == 0 || f.Fix == "" || len(f.Clients) == 0 {
						t.Errorf("%s: finding lacks objects, location, fix or clients: %+v", file, f)
					}
				}
			}
		})
	}
}

// TestDedupAcrossClients checks that a finding two workloads share is
// reported once with both, and that a client whose Sidecar hides the
// services does not appear on it.
func TestDedupAcrossClients(t *testing.T) {
	r, err := Run([]string{"testdata/gitops"})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"Deployment ops/backup", "Deployment shop/web", "Deployment shop/worker"}; strings.Join(r.Clients, "|") != strings.Join(want, "|") {
		t.Errorf("clients %v, want %v", r.Clients, want)
	}
	byCode := map[predictor.Code][]Finding{}
	for _, f := range r.Findings {
		byCode[f.Code] = append(byCode[f.Code], f)
	}
	shadowed := byCode["Shadowed"]
	if len(shadowed) != 1 {
		t.Fatalf("%d Shadowed findings, want 1 for both shop clients: %+v", len(shadowed), shadowed)
	}
	if got := strings.Join(shadowed[0].Clients, "|"); got != "Deployment shop/web|Deployment shop/worker" {
		t.Errorf("Shadowed clients %s", got)
	}
	if got := locations(shadowed[0].Objects); got != "testdata/gitops/external.yaml#2 testdata/gitops/external.yaml#1" {
		t.Errorf("Shadowed objects %s, want the shadowed entry then the winner", got)
	}
	overlap := byCode["ClusterIPOverlap"]
	if len(overlap) != 1 || strings.Join(overlap[0].Clients, "|") != "Deployment ops/backup" {
		t.Errorf("ClusterIPOverlap: %+v", overlap)
	}
}

func locations(objs []Object) string {
	var out []string
	for _, o := range objs {
		out = append(out, o.Location())
	}
	return strings.Join(out, " ")
}

// TestSARIF compares the SARIF of the gitops folder with its golden file
// (rewrite with go test ./analyze -update).
func TestSARIF(t *testing.T) {
	r, err := Run([]string{"testdata/gitops"})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := WriteSARIF(&buf, r); err != nil {
		t.Fatal(err)
	}
	golden.Assert(t, buf.String(), "gitops.sarif.golden")
	var log struct {
		Version string `json:"version"`
		Runs    []struct {
			Tool struct {
				Driver struct {
					Rules []struct {
						ID   string                `json:"id"`
						Help struct{ Text string } `json:"help"`
					} `json:"rules"`
				} `json:"driver"`
			} `json:"tool"`
			Results []struct {
				RuleID    string `json:"ruleId"`
				Level     string `json:"level"`
				Locations []struct {
					PhysicalLocation struct {
						ArtifactLocation struct{ URI string }    `json:"artifactLocation"`
						Region           struct{ StartLine int } `json:"region"`
					} `json:"physicalLocation"`
				} `json:"locations"`
			} `json:"results"`
		} `json:"runs"`
	}
	if err := json.Unmarshal(buf.Bytes(), &log); err != nil || log.Version != "2.1.0" || len(log.Runs) != 1 {
		t.Fatalf("not SARIF 2.1.0: %v", err)
	}
	rules := map[string]bool{}
	for _, rule := range log.Runs[0].Tool.Driver.Rules {
		if rule.Help.Text == "" || rules[rule.ID] {
			t.Errorf("rule %s: no help text, or listed twice", rule.ID)
		}
		rules[rule.ID] = true
	}
	// external.yaml's second document starts after the first one's 12 lines
	// and its separator.
	lines := documentLines(mustRead(t, "testdata/gitops/external.yaml"))
	for _, res := range log.Runs[0].Results {
		if !rules[res.RuleID] || res.Level == "" || len(res.Locations) == 0 {
			t.Errorf("result %s: unknown rule, no level or no location", res.RuleID)
		}
		for _, l := range res.Locations {
			if l.PhysicalLocation.ArtifactLocation.URI == "testdata/gitops/external.yaml" && !containsInt(lines, l.PhysicalLocation.Region.StartLine) {
				t.Errorf("result %s: line %d starts no document of external.yaml (%v)", res.RuleID, l.PhysicalLocation.Region.StartLine, lines)
			}
		}
	}
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func containsInt(xs []int, x int) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

func TestDocumentLines(t *testing.T) {
	data := "# header comment\napiVersion: v1\nkind: Service\n---\n# only a comment\n---\n\napiVersion: v1\nkind: Pod\n--- # trailing\nkind: X\n"
	if got := documentLines([]byte(data)); len(got) != 3 || got[0] != 1 || got[1] != 7 || got[2] != 11 {
		t.Errorf("documentLines = %v, want [1 7 11]", got)
	}
}

func TestParseClient(t *testing.T) {
	c, err := ParseClient("shop/app=web,version=v2")
	if err != nil || c.Namespace != "shop" || c.Labels["app"] != "web" || c.Name != "shop/app=web,version=v2" {
		t.Errorf("ParseClient: %+v %v", c, err)
	}
	for _, bad := range []string{"", "shop", "shop/", "/app=web", "shop/app", "Shop/app=web", "shop/app=web,app=api", "shop/=web"} {
		if _, err := ParseClient(bad); err == nil {
			t.Errorf("ParseClient(%q) accepted", bad)
		}
	}
}

func TestInputErrors(t *testing.T) {
	dir := t.TempDir()
	se := "apiVersion: networking.istio.io/v1\nkind: ServiceEntry\nmetadata: {name: db}\nspec: {hosts: [db.example.com], ports: [{number: 3306, name: tcp, protocol: TCP}]}\n"
	for name, data := range map[string]string{"a.yaml": se, "b.yaml": se} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// Defined twice: as kubectl apply -f would, the later file's
	// definition is used.
	r, err := Run([]string{dir})
	if err != nil || len(r.Replaced) != 1 || !strings.HasSuffix(r.Replaced[0].Was, "a.yaml#1") || !strings.HasSuffix(r.Replaced[0].By, "b.yaml#1") {
		t.Errorf("a duplicate across files: %v %+v", err, r)
	}
	var ie *InputError
	if _, err := Run([]string{t.TempDir()}); !errors.As(err, &ie) {
		t.Errorf("an empty folder: %v", err)
	}
}

func TestExplicitClient(t *testing.T) {
	c, _ := ParseClient("shop/app=web")
	r, err := Run([]string{"testdata/gitops"}, WithClients(c))
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Clients) != 1 || r.Clients[0] != "shop/app=web" || r.Sidecars != 1 {
		t.Errorf("clients %v, sidecars %d", r.Clients, r.Sidecars)
	}
}

// TestIstioAnalyzerShapes runs the inputs a user compares with istioctl
// analyze: the shape of its IST0134 test data (seven ServiceEntries of one
// host on 443) gives one error, the address-less entry without a protocol
// that takes 0.0.0.0_443, with a witness TLS connection to another host
// going to istio.io's cluster; the same-host duplicates are warnings. The
// HTTPS egress entry of Istio's guides gives nothing.
func TestIstioAnalyzerShapes(t *testing.T) {
	r, err := Run([]string{"../../../scenarios/serviceentry/same-host-entries-auto-443-captures-https.yaml"})
	if err != nil {
		t.Fatal(err)
	}
	var errs []Finding
	for _, f := range r.Findings {
		switch {
		case f.Severity == "error":
			errs = append(errs, f)
		case f.Code == "Shadowed" && f.Severity != "warning":
			t.Errorf("a same-host duplicate at %s: %s", f.Severity, f.Message)
		}
	}
	if len(errs) != 1 || errs[0].Code != "Hijack" || errs[0].Listener != "0.0.0.0_443" {
		t.Fatalf("errors %+v, want one Hijack on 0.0.0.0_443", errs)
	}
	w := errs[0].Witness
	if w == nil || !w.TLS || w.SNI == "" || w.SNI == "istio.io" || !strings.HasSuffix(w.To, ":443") || w.Destination != "cluster outbound|443||istio.io" {
		t.Errorf("witness %+v, want TLS to another host on 443 going to istio.io's cluster", w)
	}
	if !r.Fails("error") {
		t.Error("the capture must fail CI under the default --fail-on error")
	}

	r, err = Run([]string{"testdata/egress/googleapis.yaml"})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Findings) != 0 {
		t.Errorf("the HTTPS egress entry gives findings: %+v", r.Findings)
	}
}
