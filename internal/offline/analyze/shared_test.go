package analyze

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/listenerlab/listenerlab/internal/testkit/gitopsgen"
	"github.com/listenerlab/listenerlab/predictor/versions"
	"github.com/listenerlab/listenerlab/scenario"
)

// reportBytes renders a report as JSON and as text: what a user compares.
func reportBytes(t *testing.T, paths []string, opts ...Option) (string, *Report) {
	t.Helper()
	r, err := Run(paths, opts...)
	if err != nil {
		return "error: " + err.Error(), nil
	}
	var buf bytes.Buffer
	if err := WriteJSON(&buf, r); err != nil {
		t.Fatal(err)
	}
	if err := WriteText(&buf, r); err != nil {
		t.Fatal(err)
	}
	return buf.String(), r
}

// assertSame runs analyze shared and unshared and compares the bytes.
func assertSame(t *testing.T, paths []string, opts ...Option) *Report {
	t.Helper()
	shared, r := reportBytes(t, paths, opts...)
	each, _ := reportBytes(t, paths, append(append([]Option(nil), opts...), withoutSharing())...)
	if shared != each {
		t.Errorf("%v: shared and unshared analyze differ:\n%s", paths, firstDifference(each, shared))
	}
	return r
}

// assertSamePredictions compares each client's shared prediction with the
// one it gets resolved and predicted on its own: listeners, conflicts and
// findings, which the report shows only in part.
func assertSamePredictions(t *testing.T, file string, v versions.Version, clients []Client) {
	t.Helper()
	o := options{version: v, maxEndpointListeners: 100, clients: clients}
	folders, _, _, _, _, err := load([]string{file}, o)
	if err != nil {
		return // skipped for this version
	}
	for _, f := range folders {
		shared, err := f.predictShared(o, nil)
		if err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		for i, c := range f.clients {
			own, err := f.predictOne(c, o)
			if err != nil {
				t.Fatalf("%s: %v", file, err)
			}
			want, _ := json.MarshalIndent(own, "", " ")
			got, _ := json.MarshalIndent(shared[i], "", " ")
			if !bytes.Equal(want, got) {
				t.Errorf("%s, Istio %s, client %s: shared prediction differs:\n%s", file, v.Label, c.Name, firstDifference(string(want), string(got)))
			}
		}
	}
}

func firstDifference(want, got string) string {
	wl, gl := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < len(wl) || i < len(gl); i++ {
		var w, g string
		if i < len(wl) {
			w = wl[i]
		}
		if i < len(gl) {
			g = gl[i]
		}
		if w != g {
			return fmt.Sprintf("line %d:\n-unshared %s\n+shared   %s", i+1, w, g)
		}
	}
	return "(same lines)"
}

// TestSharedMatchesUnshared compares the shared computation with the
// unshared one, byte for byte, on every corpus scenario under every
// catalogued version: for the header's client, and for every workload of
// the file and the standard client of each namespace at once (so clients
// share a World and predictions, and differ by namespace, labels, Sidecar
// and exportTo); then on analyze's own test folders and on generated
// repositories, with and without workload-less namespaces.
func TestSharedMatchesUnshared(t *testing.T) {
	files, err := scenario.Expand([]string{"../../../scenarios"})
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 40 {
		t.Fatalf("found %d corpus scenarios, want the whole corpus", len(files))
	}
	multi := 0
	for _, v := range versions.Catalog {
		t.Run(v.Label, func(t *testing.T) {
			for _, file := range files {
				assertSame(t, []string{file}, WithVersion(v))
				scs, errs := scenario.LoadAll([]string{file})
				if len(errs) > 0 {
					t.Fatal(errs)
				}
				clients, _ := discoverClients(scs[0].Manifests)
				assertSamePredictions(t, file, v, clients)
				if r := assertSame(t, []string{file}, WithVersion(v), WithClients(clients...)); r != nil && r.Sidecars > 1 {
					multi++
				}
			}
		})
	}
	if multi == 0 {
		t.Error("no corpus scenario was analyzed for more than one client")
	}
	for name, manifests := range sharingEdges {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, name+".yaml"), []byte(manifests), 0o644); err != nil {
			t.Fatal(err)
		}
		assertSame(t, []string{dir})
		assertSamePredictions(t, dir, versions.Newest(), nil)
	}
	own, err := filepath.Glob("testdata/*/*.yaml")
	if err != nil || len(own) < 18 {
		t.Fatalf("analyze's test files: %v %v", own, err)
	}
	for _, path := range append(own, "testdata/gitops", "testdata/install-repo") {
		assertSame(t, []string{path})
	}
	for _, shape := range []gitopsgen.Shape{
		{Namespaces: 1, ServiceEntries: 2},
		gitopsgen.Standard(12),
		{Namespaces: 30, ServicesPerNamespace: 7, ServiceEntries: 25, WithoutWorkloadEvery: 3},
		gitopsgen.Standard(60),
	} {
		dir := t.TempDir()
		if err := gitopsgen.Write(dir, shape); err != nil {
			t.Fatal(err)
		}
		r := assertSame(t, []string{dir})
		_, _, workloads := shape.Counts()
		standard := shape.Namespaces - workloads
		if r == nil || r.Sidecars != shape.Namespaces || len(r.Findings) == 0 {
			t.Errorf("%+v: report %+v, want %d sidecars (%d standard clients) and findings", shape, r, shape.Namespaces, standard)
		}
	}
}

// sharingEdges are folders where clients that look alike must not share:
// a StatefulSet that is an endpoint of its headless Service (its own
// per-endpoint listener is skipped, not the other clients'), a headless
// Service that selects the standard client's pod in one namespace only,
// a hostname defined in two namespaces (each prefers its own), and two
// where a namespace's own route domains meet another virtual host's: a
// ServiceEntry host that is a Service's short name, and one that is its
// NAME.NAMESPACE form (a proxy of the Service's namespace gets that form
// in another order).
var sharingEdges = map[string]string{
	"short-name-is-a-host":     hostOfWeb("web"),
	"namespace-form-is-a-host": hostOfWeb("web.shop"),
	"own-endpoint": `apiVersion: v1
kind: Service
metadata: {name: db, namespace: data}
spec:
  clusterIP: None
  selector: {app: db}
  ports: [{name: tcp-db, port: 5432}]
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db, namespace: data}
spec:
  replicas: 2
  serviceName: db
  selector: {matchLabels: {app: db}}
  template:
    metadata: {labels: {app: db}}
    spec: {containers: [{name: db, image: postgres}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: web, image: web}]}
`,
	"standard-client-endpoint": `apiVersion: v1
kind: Service
metadata: {name: h, namespace: a}
spec:
  clusterIP: None
  selector: {app: client}
  ports: [{name: tcp, port: 5000}]
---
apiVersion: v1
kind: Service
metadata: {name: plain, namespace: b}
spec:
  ports: [{name: tcp, port: 5001}]
---
apiVersion: v1
kind: Service
metadata: {name: other, namespace: c}
spec:
  clusterIP: None
  ports: [{name: tcp, port: 5002}]
`,
	"same-host-two-namespaces": `apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: db, namespace: a}
spec:
  hosts: [db.example.com]
  ports: [{number: 3306, name: tcp, protocol: TCP}]
  resolution: DNS
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: db, namespace: b}
spec:
  hosts: [db.example.com]
  addresses: [192.0.2.10]
  ports: [{number: 3306, name: tcp, protocol: TCP}]
  resolution: DNS
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: other, namespace: c}
spec:
  hosts: [other.example.com]
  ports: [{number: 3306, name: tcp, protocol: TCP}]
  resolution: DNS
`,
}

// hostOfWeb is a sharing edge: Service shop/web with an HTTP port 80, a
// ServiceEntry of host on that port, and a workload in shop and in other.
func hostOfWeb(host string) string {
	return strings.ReplaceAll(`apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop}
spec:
  selector: {app: web}
  ports: [{name: http, port: 80}]
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: web, namespace: legacy}
spec:
  hosts: [HOST]
  addresses: [192.0.2.20]
  ports: [{number: 80, name: http, protocol: HTTP}]
  resolution: STATIC
  endpoints: [{address: 192.0.2.21}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: web, image: web}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: client, namespace: other}
spec:
  selector: {matchLabels: {app: client}}
  template:
    metadata: {labels: {app: client}}
    spec: {containers: [{name: client, image: client}]}
`, "HOST", host)
}

// TestSharedPredictsOncePerScope checks that the generated repository's
// clients, one per namespace with no Sidecar and nothing exported by
// name, share one scope, one listener build and one prediction: their
// route configurations differ only by their own services' short names,
// which take no other virtual host's domain.
func TestSharedPredictsOncePerScope(t *testing.T) {
	dir := t.TempDir()
	if err := gitopsgen.Write(dir, gitopsgen.Standard(20)); err != nil {
		t.Fatal(err)
	}
	folders, _, _, _, _, err := load([]string{dir}, options{version: versions.Newest(), maxEndpointListeners: 100})
	if err != nil {
		t.Fatal(err)
	}
	f := folders[0]
	sc := f.scenarioFor(f.clients[0])
	g, err := f.newWorldGroup(&sc, versions.Newest(), options{version: versions.Newest(), maxEndpointListeners: 100}, false)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range f.clients {
		csc := f.scenarioFor(c)
		wc, ok := g.clientFor(&csc, c)
		if !ok {
			t.Fatalf("client %s does not share the World", c.Name)
		}
		if wc.Namespace != c.Namespace || !strings.HasPrefix(wc.Name, "web-") {
			t.Errorf("client %s: World client %s/%s", c.Name, wc.Namespace, wc.Name)
		}
		if _, err := g.shared.Predict(wc); err != nil {
			t.Fatal(err)
		}
	}
	if scopes, listeners, preds := g.shared.Distinct(); scopes != 1 || listeners != 1 || preds != 1 {
		t.Errorf("%d scopes, %d listener builds and %d predictions for %d clients, want 1, 1 and 1", scopes, listeners, preds, len(f.clients))
	}
}

// TestProgress checks the progress lines: none for a fast run unless
// asked; when asked, the manifests read, then the sidecars predicted (at
// most a line a second) ending with the final count.
func TestProgress(t *testing.T) {
	var quiet, loud bytes.Buffer
	if _, err := Run([]string{"testdata/gitops"}, WithProgress(&quiet, false)); err != nil {
		t.Fatal(err)
	}
	if quiet.Len() != 0 {
		t.Errorf("progress on a fast run: %q", quiet.String())
	}
	if _, err := Run([]string{"testdata/gitops"}, WithProgress(&loud, true)); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(loud.String()), "\n")
	if !strings.HasPrefix(lines[0], "analyze: 10 manifests read, ") || !strings.HasPrefix(lines[len(lines)-1], "analyze: 3/3 sidecars predicted, ") {
		t.Errorf("progress lines %q, want the manifests read first and 3/3 sidecars last", lines)
	}
}

// TestGeneratedRepository checks the generator writes issue 14's shape.
func TestGeneratedRepository(t *testing.T) {
	dir := t.TempDir()
	shape := gitopsgen.Standard(10)
	if err := gitopsgen.Write(dir, shape); err != nil {
		t.Fatal(err)
	}
	scs, errs := scenario.LoadAllManifests([]string{dir})
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	kinds := map[string]int{}
	for _, sc := range scs {
		for _, m := range sc.Manifests {
			kinds[m.Kind]++
		}
	}
	if kinds["Service"] != 100 || kinds["Deployment"] != 10 || kinds["ServiceEntry"] != 2 || len(scs) != 10 {
		t.Errorf("%d files with %v, want 10 with 100 Services, 10 Deployments, 2 ServiceEntries", len(scs), kinds)
	}
	if s, e, w := gitopsgen.Standard(1000).Counts(); s != 10000 || e != 200 || w != 1000 {
		t.Errorf("Standard(1000) counts %d %d %d", s, e, w)
	}
	again := t.TempDir()
	if err := gitopsgen.Write(again, shape); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"ns-0000.yaml", "ns-0009.yaml"} {
		a, errA := os.ReadFile(filepath.Join(dir, name))
		b, errB := os.ReadFile(filepath.Join(again, name))
		if errA != nil || errB != nil || !bytes.Equal(a, b) {
			t.Errorf("%s differs between two writes (%v, %v)", name, errA, errB)
		}
	}
}

// TestProgressPacing drives the progress lines with a clock that moves
// half a second per sidecar: nothing in the first two seconds, then at
// most a line a second, and the final count.
func TestProgressPacing(t *testing.T) {
	var buf bytes.Buffer
	clock := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	p := newProgress(options{progress: &buf})
	p.now = func() time.Time { return clock }
	p.start = clock
	p.loaded(40, 8)
	for i := 0; i < 8; i++ {
		clock = clock.Add(500 * time.Millisecond)
		p.client()
	}
	p.done()
	want := "analyze: 4/8 sidecars predicted, 2.0s\nanalyze: 6/8 sidecars predicted, 3.0s\nanalyze: 8/8 sidecars predicted, 4.0s\n"
	if buf.String() != want {
		t.Errorf("progress:\n%s\nwant:\n%s", buf.String(), want)
	}
}
