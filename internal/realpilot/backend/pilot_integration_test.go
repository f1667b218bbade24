//go:build pilot

// Integration tests that build real pilot backends (a cold build takes 5-10
// minutes per version) and run them: go test -tags pilot ./pilot/
//
// LISTENERLAB_PILOT_VERSIONS picks the versions: a comma-separated list of
// labels, or "all"; the default is 1.31-dev.
package backend

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	networkingv1alpha3 "istio.io/api/networking/v1alpha3"

	"github.com/listenerlab/listenerlab/internal/realpilot/gobuild"
	"github.com/listenerlab/listenerlab/listener"
	"github.com/listenerlab/listenerlab/predictor/versions"
	"github.com/listenerlab/listenerlab/world"
)

func integrationVersions(t *testing.T) []versions.Version {
	sel := os.Getenv("LISTENERLAB_PILOT_VERSIONS")
	if sel == "" {
		sel = "1.31-dev"
	}
	if sel == "all" {
		return versions.ModuleVersions()
	}
	var out []versions.Version
	for _, l := range strings.Split(sel, ",") {
		v, err := versions.Lookup(strings.TrimSpace(l))
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, v)
	}
	return out
}

func loadWorld(t *testing.T, name string) *world.World {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	w := &world.World{}
	if err := json.Unmarshal(b, w); err != nil {
		t.Fatal(err)
	}
	return w
}

func buildBackend(t *testing.T, v versions.Version) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
	defer cancel()
	start := time.Now()
	bin, err := Build(ctx, v, BuildOptions{Progress: testWriter{t}, Nice: 5})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("backend %s ready in %s: %s", v.Label, time.Since(start).Round(time.Millisecond), bin)
	return bin
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// dumpListener is the part of an Envoy listener these tests read.
type dumpListener struct {
	Name         string `json:"name"`
	FilterChains []struct {
		Filters []struct {
			Name        string `json:"name"`
			TypedConfig struct {
				Type    string `json:"@type"`
				Cluster string `json:"cluster"`
			} `json:"typed_config"`
		} `json:"filters"`
	} `json:"filter_chains"`
}

func dumpListeners(t *testing.T, dump json.RawMessage) map[string]dumpListener {
	t.Helper()
	var cd struct {
		Configs []struct {
			Type             string `json:"@type"`
			DynamicListeners []struct {
				Name        string `json:"name"`
				ActiveState struct {
					Listener dumpListener `json:"listener"`
				} `json:"active_state"`
			} `json:"dynamic_listeners"`
		} `json:"configs"`
	}
	if err := json.Unmarshal(dump, &cd); err != nil {
		t.Fatalf("config dump is not a ConfigDump: %v", err)
	}
	out := map[string]dumpListener{}
	for _, c := range cd.Configs {
		if c.Type != "type.googleapis.com/envoy.admin.v3.ListenersConfigDump" {
			t.Errorf("config of type %s in the dump", c.Type)
		}
		for _, dl := range c.DynamicListeners {
			if dl.Name != dl.ActiveState.Listener.Name {
				t.Errorf("dynamic listener %q holds listener %q", dl.Name, dl.ActiveState.Listener.Name)
			}
			out[dl.Name] = dl.ActiveState.Listener
		}
	}
	return out
}

func TestPilotTCPConflict(t *testing.T) {
	for _, v := range integrationVersions(t) {
		t.Run(v.Label, func(t *testing.T) {
			bin := buildBackend(t, v)
			start := time.Now()
			res, err := Run(context.Background(), bin, loadWorld(t, "tcp-conflict.world.json"), nil)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("run took %s; istio.io/istio %s, proxy %s", time.Since(start).Round(time.Millisecond), res.IstioVersion, res.ProxyVersion)
			if res.IstioVersion != v.Module {
				t.Errorf("backend links istio.io/istio %s, want %s", res.IstioVersion, v.Module)
			}
			ls := dumpListeners(t, res.ConfigDump)
			var names []string
			for n := range ls {
				names = append(names, n)
			}
			slices.Sort(names)
			t.Logf("listeners: %v", names)
			for _, want := range []string{"0.0.0.0_8080", "10.96.0.20_3306", "0.0.0.0_3306"} {
				if _, ok := ls[want]; !ok {
					t.Errorf("no listener %s; have %v", want, names)
				}
			}
			l3306 := ls["0.0.0.0_3306"]
			if len(l3306.FilterChains) != 1 {
				t.Errorf("0.0.0.0_3306 has %d filter chains, want the single chain of the winner", len(l3306.FilterChains))
			} else {
				fs := l3306.FilterChains[0].Filters
				if len(fs) == 0 || fs[len(fs)-1].TypedConfig.Cluster != "outbound|3306||a.example.com" {
					t.Errorf("0.0.0.0_3306 chain does not end in tcp_proxy to outbound|3306||a.example.com: %+v", fs)
				}
			}
			want := []listener.Conflict{{Listener: "0.0.0.0_3306", Kind: "tcp over current tcp", Rejected: "b.example.com"}}
			if !slices.Equal(res.Conflicts, want) {
				t.Errorf("conflicts = %+v, want %+v", res.Conflicts, want)
			}
		})
	}
}

func TestPilotRefusesBadInput(t *testing.T) {
	for _, v := range integrationVersions(t) {
		t.Run(v.Label, func(t *testing.T) {
			bin := buildBackend(t, v)

			w := loadWorld(t, "tcp-conflict.world.json")
			w.Format = "listenerlab.world/v0"
			_, err := Run(context.Background(), bin, w, nil)
			if err == nil || !strings.Contains(err.Error(), `"listenerlab.world/v0"`) || !strings.Contains(err.Error(), `"listenerlab.world/v1"`) {
				t.Errorf("want an error naming both World formats, got %v", err)
			}

			// A field the backend's mirror of the World does not know, at the
			// top and inside the client: refused by name (exit 2), never
			// dropped.
			for _, field := range []string{`"futureField":1,`, `"client":{"futureField":1,`} {
				b, err := json.Marshal(loadWorld(t, "tcp-conflict.world.json"))
				if err != nil {
					t.Fatal(err)
				}
				in := strings.Replace(string(b), `"client":{`, field+`"client":{`, 1)
				if strings.HasPrefix(field, `"client"`) {
					in = strings.Replace(string(b), `"client":{`, field, 1)
				}
				cmd := exec.Command(bin)
				cmd.Stdin = strings.NewReader(in)
				out, err := cmd.CombinedOutput()
				var exit *exec.ExitError
				if !errors.As(err, &exit) || exit.ExitCode() != 2 || !strings.Contains(string(out), `unknown field "futureField"`) {
					t.Errorf("World with %s: want exit 2 naming the unknown field, got %v: %s", field, err, gobuild.Tail(out, 5))
				}
			}

			// A ServiceEntry port without a name: a real cluster refuses it,
			// and so does Istio's validation in the backend.
			w = loadWorld(t, "tcp-conflict.world.json")
			w.ServiceEntries[1].Spec.Ports[0].Name = ""
			_, err = Run(context.Background(), bin, w, nil)
			if err == nil || !strings.Contains(err.Error(), "ServiceEntry client/sql-b") || !strings.Contains(err.Error(), "exit status 2") {
				t.Errorf("want a validation error naming ServiceEntry client/sql-b, got %v", err)
			}
		})
	}
}

// chainClusters lists the tcp_proxy clusters of a listener's filter chains.
func chainClusters(l dumpListener) []string {
	var out []string
	for _, fc := range l.FilterChains {
		if n := len(fc.Filters); n > 0 {
			out = append(out, fc.Filters[n-1].TypedConfig.Cluster)
		}
	}
	return out
}

// Creation timestamps reach pilot's service order: the older ServiceEntry
// wins the shared 0.0.0.0_3306 even though its name sorts later.
func TestPilotCreationTimeDecides(t *testing.T) {
	for _, v := range integrationVersions(t) {
		t.Run(v.Label, func(t *testing.T) {
			bin := buildBackend(t, v)
			w := loadWorld(t, "tcp-conflict.world.json")
			w.ServiceEntries[0].CreationTimestamp.Time = time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC)
			w.ServiceEntries[1].CreationTimestamp.Time = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
			res, err := Run(context.Background(), bin, w, nil)
			if err != nil {
				t.Fatal(err)
			}
			if got := chainClusters(dumpListeners(t, res.ConfigDump)["0.0.0.0_3306"]); !slices.Equal(got, []string{"outbound|3306||b.example.com"}) {
				t.Errorf("0.0.0.0_3306 chains go to %v, want only the older b.example.com", got)
			}
			want := []listener.Conflict{{Listener: "0.0.0.0_3306", Kind: "tcp over current tcp", Rejected: "a.example.com"}}
			if !slices.Equal(res.Conflicts, want) {
				t.Errorf("conflicts = %+v, want %+v", res.Conflicts, want)
			}
		})
	}
}

// ServiceEntry status.addresses reach pilot: a proxy with DNS capture and
// auto-allocation gets a VIP listener per ServiceEntry and no conflict.
// Before 1.25 pilot reads them only with PILOT_ENABLE_IP_AUTOALLOCATE, which
// the World's env sets here, so this also checks that env reaches istiod's
// features.
func TestPilotStatusAddresses(t *testing.T) {
	for _, v := range integrationVersions(t) {
		t.Run(v.Label, func(t *testing.T) {
			bin := buildBackend(t, v)
			w := loadWorld(t, "tcp-conflict.world.json")
			w.Client.DNSCapture, w.Client.DNSAutoAllocate = true, true
			if v.Minor < 25 {
				w.Env = map[string]string{"PILOT_ENABLE_IP_AUTOALLOCATE": "true"}
			}
			for i, ip := range []string{"240.240.0.1", "240.240.0.2"} {
				se := w.ServiceEntries[i]
				se.Status.Addresses = append(se.Status.Addresses, &networkingv1alpha3.ServiceEntryAddress{Value: ip, Host: se.Spec.Hosts[0]})
			}
			res, err := Run(context.Background(), bin, w, nil)
			if err != nil {
				t.Fatal(err)
			}
			ls := dumpListeners(t, res.ConfigDump)
			for name, cluster := range map[string]string{
				"240.240.0.1_3306": "outbound|3306||a.example.com",
				"240.240.0.2_3306": "outbound|3306||b.example.com",
			} {
				if got := chainClusters(ls[name]); !slices.Equal(got, []string{cluster}) {
					t.Errorf("%s chains go to %v, want %s", name, got, cluster)
				}
			}
			if _, ok := ls["0.0.0.0_3306"]; ok {
				t.Error("0.0.0.0_3306 exists although both ServiceEntries have addresses")
			}
			if len(res.Conflicts) != 0 {
				t.Errorf("conflicts = %+v, want none", res.Conflicts)
			}
		})
	}
}

// TestPilotBatch answers Worlds one after another in one batch process and
// checks each answer against a single run on the same World: the same
// listeners and conflicts, a refused World in between answered as refused
// without ending the process.
func TestPilotBatch(t *testing.T) {
	for _, v := range integrationVersions(t) {
		t.Run(v.Label, func(t *testing.T) {
			bin := buildBackend(t, v)
			good := loadWorld(t, "tcp-conflict.world.json")
			single, err := Run(context.Background(), bin, good, nil)
			if err != nil {
				t.Fatal(err)
			}
			bad := loadWorld(t, "tcp-conflict.world.json")
			bad.ServiceEntries[1].Spec.Ports[0].Name = ""
			b := NewBatch(bin, good.Env, nil)
			defer b.Close()
			for i, w := range []*world.World{good, bad, good} {
				res, err := b.Run(context.Background(), w)
				if w == bad {
					if !errors.Is(err, ErrRefused) || !strings.Contains(err.Error(), "ServiceEntry client/sql-b") {
						t.Errorf("World %d: want ErrRefused naming ServiceEntry client/sql-b, got %v", i, err)
					}
					continue
				}
				if err != nil {
					t.Fatalf("World %d: %v", i, err)
				}
				if !slices.Equal(res.Conflicts, single.Conflicts) {
					t.Errorf("World %d: conflicts %+v, a single run says %+v", i, res.Conflicts, single.Conflicts)
				}
				got, want := dumpListeners(t, res.ConfigDump), dumpListeners(t, single.ConfigDump)
				if len(got) != len(want) {
					t.Errorf("World %d: %d listeners, a single run builds %d", i, len(got), len(want))
				}
				for name, l := range want {
					if !slices.Equal(chainClusters(got[name]), chainClusters(l)) {
						t.Errorf("World %d: listener %s: clusters %v, a single run says %v", i, name, chainClusters(got[name]), chainClusters(l))
					}
				}
			}
			if n := b.Starts(); n != 1 {
				t.Errorf("batch started %d processes for 3 Worlds, want 1", n)
			}
			other := loadWorld(t, "tcp-conflict.world.json")
			other.Env = map[string]string{"PILOT_ENABLE_IP_AUTOALLOCATE": "false"}
			if _, err := b.Run(context.Background(), other); err == nil {
				t.Error("a World with another env was answered by the batch process")
			}
		})
	}
}

// canonicalAnswer is a result as bytes that do not depend on the order
// pilot happens to emit: listeners sorted by name, each listener's filter
// chains sorted (Envoy picks a chain by its filter_chain_match, never by
// its place), then the push status as the backend printed it. Pilot's own
// order varies from run to run (it ranges over maps), even in single runs.
func canonicalAnswer(t *testing.T, res *Result) []byte {
	t.Helper()
	var cd struct {
		Configs []struct {
			DynamicListeners []struct {
				Name        string `json:"name"`
				ActiveState struct {
					Listener map[string]json.RawMessage `json:"listener"`
				} `json:"active_state"`
			} `json:"dynamic_listeners"`
		} `json:"configs"`
	}
	if err := json.Unmarshal(res.ConfigDump, &cd); err != nil {
		t.Fatalf("config dump is not a ConfigDump: %v", err)
	}
	var out []string
	for _, c := range cd.Configs {
		for _, dl := range c.DynamicListeners {
			l := dl.ActiveState.Listener
			var chains []json.RawMessage
			if raw, ok := l["filter_chains"]; ok {
				if err := json.Unmarshal(raw, &chains); err != nil {
					t.Fatalf("listener %s: filter_chains: %v", dl.Name, err)
				}
			}
			slices.SortFunc(chains, func(a, b json.RawMessage) int { return strings.Compare(string(a), string(b)) })
			sorted, err := json.Marshal(chains)
			if err != nil {
				t.Fatal(err)
			}
			l["filter_chains"] = sorted
			b, err := json.Marshal(l) // map keys in order
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, string(b))
		}
	}
	slices.Sort(out)
	return []byte(strings.Join(out, "\n") + "\n" + string(res.PushStatus) + "\n")
}

// TestPilotBatchIsolation answers World A, then a World B that renames,
// changes and adds objects in A's namespace, then A again, in one batch
// process: the second answer to A must be byte for byte the first (after
// canonicalAnswer), and both must equal a fresh process's answer, so no
// World sees another World's objects or state the batch process kept.
// B's answer must differ from A's, or the test would prove nothing.
func TestPilotBatchIsolation(t *testing.T) {
	for _, v := range integrationVersions(t) {
		t.Run(v.Label, func(t *testing.T) {
			bin := buildBackend(t, v)
			a := loadWorld(t, "tcp-conflict.world.json")
			single, err := Run(context.Background(), bin, a, nil)
			if err != nil {
				t.Fatal(err)
			}
			want := canonicalAnswer(t, single)

			b := loadWorld(t, "tcp-conflict.world.json")
			b.Scenario = "pilot/tcp-conflict-changed"
			// The same Service db on another port, a new Service, and
			// ServiceEntry sql-b replaced by sql-c on another port: leaked
			// state would show up in A's second answer as a listener or
			// cluster of B's.
			b.Services[1].Spec.Ports[0].Port = 5432
			cache := b.Services[0].DeepCopy()
			cache.Name = "cache"
			cache.Spec.ClusterIP, cache.Spec.ClusterIPs = "10.96.0.30", []string{"10.96.0.30"}
			cache.Spec.Ports[0].Name, cache.Spec.Ports[0].Port = "redis", 6379
			b.Services = append(b.Services, *cache)
			b.ServiceEntries[1].Name = "sql-c"
			b.ServiceEntries[1].Spec.Hosts = []string{"c.example.com"}
			b.ServiceEntries[1].Spec.Ports[0].Number = 9000

			batch := NewBatch(bin, a.Env, nil)
			defer batch.Close()
			var got [][]byte
			for i, w := range []*world.World{a, b, a} {
				res, err := batch.Run(context.Background(), w)
				if err != nil {
					t.Fatalf("World %d (%s): %v", i, w.Scenario, err)
				}
				got = append(got, canonicalAnswer(t, res))
			}
			if n := batch.Starts(); n != 1 {
				t.Errorf("batch started %d processes for 3 Worlds, want 1", n)
			}
			if string(got[1]) == string(want) {
				t.Fatal("World B got the same answer as World A: the test cannot tell a leak from none")
			}
			for _, i := range []int{0, 2} {
				if string(got[i]) != string(want) {
					t.Errorf("World A answered %s in the batch differs from a single run:\n%s\nwant\n%s",
						map[int]string{0: "first", 2: "after World B"}[i], got[i], want)
				}
			}
			for _, gone := range []string{"10.96.0.30_6379", "outbound|9000||c.example.com", "outbound|5432||db.client.svc.cluster.local"} {
				if !strings.Contains(string(got[1]), gone) {
					t.Errorf("World B's answer lacks %s", gone)
				}
				if strings.Contains(string(got[2]), gone) {
					t.Errorf("World A's answer after World B holds B's %s", gone)
				}
			}
		})
	}
}
