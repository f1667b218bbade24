package app

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/listenerlab/listenerlab/internal/offline/analyze"
	"github.com/listenerlab/listenerlab/scenario"
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
		{"--istio", "default=1.30,canary", installRepo},       // not REVISION=VERSION
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

// TestRevisionMoves: upgrade-diff --from-revision/--to-revision compares,
// for each namespace the from revision serves, its client under each
// revision's mesh config and env (the install read across the files).
func TestRevisionMoves(t *testing.T) {
	scs, errs := scenario.LoadAllManifests([]string{installRepo})
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	moves, skipped := revisionMoves(perNamespace(scs), "default", "canary")
	var got []string
	for _, mv := range moves {
		a, b := mv.sides[0].Header, mv.sides[1].Header
		got = append(got, fmt.Sprintf("%s %v %v -> %v %v", a.ClientNamespace(), a.MeshConfig["defaultServiceExportTo"], a.Istiod.Env, b.MeshConfig["defaultServiceExportTo"], b.Istiod.Env))
	}
	want := []string{"shop [.] map[PILOT_ENABLE_IP_AUTOALLOCATE:false] -> [*] map[PILOT_ENABLE_ABSOLUTE_FQDN_VHOST_DOMAIN:false]"}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("moves:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if len(skipped) == 0 || !strings.Contains(strings.Join(skipped, "\n"), "namespace data is served by revision canary") {
		t.Errorf("skipped %v: want data (canary's already)", skipped)
	}
	if code, _, errOut := run("upgrade-diff", "--from", "1.26", "--from-revision", "default", installRepo); code != exitBadInput {
		t.Errorf("--from-revision alone: exit %d: %s", code, errOut)
	}
}
