package backend

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/listenerlab/listenerlab/listener"
	"github.com/listenerlab/listenerlab/world"
)

func testWorld() *world.World {
	return &world.World{
		Format:   world.Format,
		Scenario: "fake",
		Client:   world.Client{Name: "client", Namespace: "client", IPs: []string{"10.244.0.10"}},
		Env:      map[string]string{"PILOT_FAKE_FLAG": "on"},
	}
}

// fakeBackend writes a script that stands in for a backend binary, in a
// folder named like one of Build's cache folders.
func fakeBackend(t *testing.T, body string) string {
	t.Helper()
	return writeScript(t, filepath.Join(t.TempDir(), "1.31-dev-0123456789abcdef"), BinaryName, "#!/bin/sh\n"+body)
}

func TestRunParsesResultAndPassesEnv(t *testing.T) {
	in := filepath.Join(t.TempDir(), "in.json")
	// pushStatus as pilot writes it: records of this client (client.client),
	// of another proxy, an inbound conflict, a record without a proxy and
	// one that is no conflict.
	bin := fakeBackend(t, `cat > `+in+`
printf '{"format":"listenerlab.pilot-result/v2","istioVersion":"v0-%s","configDump":{"configs":[]},"pushStatus":{`+
		`"pilot_conflict_outbound_listener_tcp_over_current_tcp":{`+
		`"0.0.0.0_3306":{"proxy":"client.client","message":"Listener=0.0.0.0_3306 Accepted=TCP Rejected=TCP (b.example.com)"},`+
		`"0.0.0.0_5432":{"proxy":"other.client","message":"Listener=0.0.0.0_5432 Accepted=TCP Rejected=TCP (c.example.com)"}},`+
		`"pilot_conflict_outbound_listener_http_over_current_tcp":{`+
		`"0.0.0.0_8080":{"message":"Listener=0.0.0.0_8080 Accepted=TCP Rejected=HTTP (d.example.com)"}},`+
		`"pilot_conflict_inbound_listener":{`+
		`"client.client":{"proxy":"client.client","message":"Conflicting inbound listener:8080. existing: a.ns.svc.cluster.local, incoming: b.ns.svc.cluster.local"}},`+
		`"pilot_vservice_dup_domain":{"x":{"message":"duplicate domain"}}}}\n' "$PILOT_FAKE_FLAG"
`)
	res, err := Run(context.Background(), bin, testWorld(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.IstioVersion != "v0-on" {
		t.Errorf("IstioVersion = %q: the World's env did not reach the backend", res.IstioVersion)
	}
	if string(res.ConfigDump) != `{"configs":[]}` {
		t.Errorf("ConfigDump = %s", res.ConfigDump)
	}
	want := []listener.Conflict{
		{Listener: "0.0.0.0_3306", Kind: "tcp over current tcp", Rejected: "b.example.com"},
		{Listener: "0.0.0.0_8080", Kind: "http over current tcp", Rejected: "d.example.com"},
	}
	if !slices.Equal(res.Conflicts, want) {
		t.Errorf("Conflicts = %+v, want %+v", res.Conflicts, want)
	}
	if !json.Valid(res.PushStatus) || !strings.Contains(string(res.PushStatus), "pilot_vservice_dup_domain") {
		t.Errorf("PushStatus is not pilot's records as printed: %s", res.PushStatus)
	}
	b, err := os.ReadFile(in)
	if err != nil {
		t.Fatal(err)
	}
	var got world.World
	if err := json.Unmarshal(b, &got); err != nil || got.Format != world.Format || got.Client.IPs[0] != "10.244.0.10" {
		t.Errorf("backend read %s (%v)", b, err)
	}
}

func TestRunRefusesOtherResultFormat(t *testing.T) {
	for _, tc := range []struct {
		name, result string
		want         []string
	}{
		{"older format", `{"format":"listenerlab.pilot-result/v0","configDump":{}}`,
			[]string{`"listenerlab.pilot-result/v0"`, `"` + ResultFormat + `"`, "Istio 1.31-dev"}},
		// A backend built before pushStatus: its parsed conflicts are not read.
		{"v1 with parsed conflicts", `{"format":"listenerlab.pilot-result/v1","configDump":{},"conflicts":[]}`,
			[]string{`"listenerlab.pilot-result/v1"`, `"` + ResultFormat + `"`, "rebuild the backend"}},
		{"pushStatus not istiod's", `{"format":"` + ResultFormat + `","configDump":{},"pushStatus":[1]}`,
			[]string{"pushStatus", "push_status"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			bin := fakeBackend(t, `cat >/dev/null; echo '`+tc.result+`'`)
			_, err := Run(context.Background(), bin, testWorld(), nil)
			if err == nil {
				t.Fatal("want an error")
			}
			if !errors.Is(err, ErrResultFormat) {
				t.Errorf("errors.Is(err, ErrResultFormat) is false for %v", err)
			}
			for _, want := range tc.want {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error lacks %s: %v", want, err)
				}
			}
		})
	}
}

func TestRunNonJSON(t *testing.T) {
	bin := fakeBackend(t, `cat >/dev/null; echo 'some log line'; echo 'why' >&2`)
	_, err := Run(context.Background(), bin, testWorld(), nil)
	if err == nil || !strings.Contains(err.Error(), "no JSON result") || !strings.Contains(err.Error(), "some log line") ||
		!strings.Contains(err.Error(), "why") {
		t.Fatalf("want a no-JSON error with stdout and stderr, got %v", err)
	}
}

func TestRunCrashShowsStderrTail(t *testing.T) {
	bin := fakeBackend(t, `cat >/dev/null
i=1; while [ $i -le 50 ]; do echo "stderr line $i" >&2; i=$((i+1)); done
exit 3`)
	_, err := Run(context.Background(), bin, testWorld(), nil)
	if err == nil {
		t.Fatal("want an error")
	}
	msg := err.Error()
	for _, want := range []string{"Istio 1.31-dev", "exit status 3", "stderr line 50", "stderr line 21\n"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error lacks %q:\n%s", want, msg)
		}
	}
	if strings.Contains(msg, "stderr line 20\n") {
		t.Errorf("error shows more than the tail:\n%s", msg)
	}
}

func TestRunTimeout(t *testing.T) {
	bin := fakeBackend(t, `echo starting >&2; exec sleep 30`)
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := Run(ctx, bin, testWorld(), nil)
	if err == nil || !strings.Contains(err.Error(), "timed out") || !strings.Contains(err.Error(), "starting") {
		t.Fatalf("want a timeout error with the stderr tail, got %v", err)
	}
	var re *RunError
	if !errors.As(err, &re) || !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(re.Stderr, "starting") {
		t.Errorf("want a *RunError wrapping context.DeadlineExceeded, got %#v", err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("Run returned after %s", d)
	}
}

func TestBackendName(t *testing.T) {
	if got := backendName("/c/pilot/1.26-0123456789abcdef/pilotbackend"); !strings.Contains(got, "Istio 1.26 ") {
		t.Errorf("backendName = %q", got)
	}
	if got := backendName("/usr/local/bin/pb"); got != "/usr/local/bin/pb" {
		t.Errorf("backendName = %q", got)
	}
}

func TestFixturesAreWorlds(t *testing.T) {
	paths, _ := filepath.Glob(filepath.Join("testdata", "*.world.json"))
	if len(paths) == 0 {
		t.Fatal("no testdata/*.world.json")
	}
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		var w world.World
		dec := json.NewDecoder(strings.NewReader(string(b)))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&w); err != nil {
			t.Errorf("%s: %v", p, err)
		} else if w.Format != world.Format {
			t.Errorf("%s: format %q", p, w.Format)
		}
	}
}
