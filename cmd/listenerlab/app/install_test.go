package app

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/listenerlab/listenerlab/internal/offline/analyze"
)

const installRepo = analyzeData + "install-repo"

// TestAnalyzeRevisionVersions: --istio REVISION=VERSION applies each
// revision's version to its clients, said on stderr and in JSON.
func TestAnalyzeRevisionVersions(t *testing.T) {
	code, out, errOut := run("analyze", "-o", "json", "--istio", "default=1.30,canary=1.26.0", installRepo)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var r analyze.Report
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, p := range r.ControlPlanes {
		got[p.Revision] = p.Version + " " + strings.Join(p.Clients, ",")
	}
	if got["default"] != "1.30 Deployment shop/web" || got["canary"] != "1.26.0 Deployment data/db" {
		t.Errorf("control planes %v", got)
	}
	if !strings.Contains(errOut, "control plane canary: Istio 1.26.0, mesh config from "+installRepo+"/istio/istiod.yaml#2 (IstioOperator istio-system/canary)") {
		t.Errorf("stderr does not name canary's plane:\n%s", errOut)
	}
	for _, args := range [][]string{
		{"--istio", "default=1.30,canary", installRepo},      // not REVISION=VERSION
		{"--istio", "default=1.30,default=1.26", installRepo}, // twice
		{"--istio", "canry=1.26", installRepo},                // no such revision
		{"--istio", "canary=0.9", installRepo},                // no such release
	} {
		code, _, errOut := run(append([]string{"analyze"}, args...)...)
		if code != exitBadInput || !strings.Contains(errOut, "--istio") {
			t.Errorf("%v: exit %d, want %d naming --istio: %s", args, code, exitBadInput, errOut)
		}
	}
}

// TestAnalyzeValuesFlag: --values FILE replaces the default revision's
// chart values; a bad file is an error naming it.
func TestAnalyzeValuesFlag(t *testing.T) {
	dir := t.TempDir()
	values := filepath.Join(dir, "istiod-values.yaml")
	if err := os.WriteFile(values, []byte("pilot:\n  env:\n    PILOT_ENABLE_IP_AUTOALLOCATE: \"true\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := run("analyze", "-o", "json", "--values", values, installRepo)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var r analyze.Report
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatal(err)
	}
	for _, p := range r.ControlPlanes {
		if p.Revision == "default" && (p.EnvFrom != "--values "+values || strings.Join(p.Env, ",") != "PILOT_ENABLE_IP_AUTOALLOCATE") {
			t.Errorf("default plane %+v: want env from --values", p)
		}
	}
	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte("meshConfig: [\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, errOut = run("analyze", "--values", bad, installRepo)
	if code != exitBadInput || !strings.Contains(errOut, bad+": not Helm values YAML") {
		t.Errorf("bad --values: exit %d: %s", code, errOut)
	}
	code, _, errOut = run("analyze", "--values", filepath.Join(dir, "missing.yaml"), installRepo)
	if code != exitBadInput || !strings.Contains(errOut, "--values") {
		t.Errorf("missing --values: exit %d: %s", code, errOut)
	}
}

// TestTraceWithInstall: trace --client reads the install as analyze does:
// the db Service of namespace data is exported to "." by the default
// revision's HelmRelease, so web (in shop) has no listener for it and the
// connection leaves through virtualOutbound, once the predictor models
// defaultServiceExportTo; until then this only checks the flags are taken.
func TestTraceWithInstall(t *testing.T) {
	code, _, errOut := run("trace", "--to", "10.96.5.5:5432", "--client", "shop/app=web", "--istio", "default=1.30", installRepo)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	code, _, errOut = run("trace", "--to", "10.96.5.5:5432", "--values", "x.yaml", installRepo)
	if code != exitBadInput || !strings.Contains(errOut, "give --client too") {
		t.Errorf("--values without --client: exit %d: %s", code, errOut)
	}
}
