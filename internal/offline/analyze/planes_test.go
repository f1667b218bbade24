package analyze

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/listenerlab/listenerlab/internal/offline/resolve"
	"github.com/listenerlab/listenerlab/predictor/versions"
	"github.com/listenerlab/listenerlab/scenario/install"
)

// TestInstallReachesTheWorld: a HelmRelease's meshConfig and pilot.env
// reach the World of the clients its revision injects (namespace
// istio-injection=enabled), and the canary IstioOperator's reach the
// clients of the namespace labelled istio.io/rev=canary, with the
// version --istio gives that revision.
func TestInstallReachesTheWorld(t *testing.T) {
	old, _, err := versions.Resolve("1.26")
	if err != nil {
		t.Fatal(err)
	}
	o := options{version: versions.Newest(), maxEndpointListeners: 100, byRevision: map[string]versions.Version{"canary": old}}
	folders, _, _, _, refused, err := load([]string{"testdata/install-repo"}, o)
	if err != nil || len(refused) > 0 {
		t.Fatal(err, refused)
	}
	want := map[string]struct {
		rev, version string
		exportTo     []any
		env          map[string]string
	}{
		"Deployment shop/web": {"default", versions.Newest().Label, []any{"."}, map[string]string{"PILOT_ENABLE_IP_AUTOALLOCATE": "false"}},
		"Deployment data/db":  {"canary", old.Label, []any{"*"}, map[string]string{"PILOT_ENABLE_ABSOLUTE_FQDN_VHOST_DOMAIN": "false"}},
	}
	f := folders[0]
	if len(f.clients) != len(want) {
		t.Fatalf("clients %v, want %d", f.clients, len(want))
	}
	for _, c := range f.clients {
		w, ok := want[c.Name]
		if !ok {
			t.Errorf("unexpected client %s", c.Name)
			continue
		}
		sc := f.scenarioFor(c)
		world, err := resolve.Simulate(&sc, versionOf(c, o))
		if err != nil {
			t.Fatal(err)
		}
		if c.plane.Revision != w.rev || versionOf(c, o).Label != w.version {
			t.Errorf("%s: revision %s Istio %s, want %s %s", c.Name, c.plane.Revision, versionOf(c, o).Label, w.rev, w.version)
		}
		if got := world.MeshConfig["defaultServiceExportTo"]; !cmp.Equal(got, w.exportTo) {
			t.Errorf("%s: World meshConfig.defaultServiceExportTo = %v, want %v", c.Name, got, w.exportTo)
		}
		if d := cmp.Diff(w.env, world.Env); d != "" {
			t.Errorf("%s: World env (-want +got):\n%s", c.Name, d)
		}
	}
	r, err := Run([]string{"testdata/install-repo"}, WithRevisionVersions(o.byRevision))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range r.ControlPlanes {
		got = append(got, p.Revision+" "+p.Version+" "+p.Clients[0])
	}
	if d := cmp.Diff([]string{"canary " + old.Label + " Deployment data/db", "default " + versions.Newest().Label + " Deployment shop/web"}, got); d != "" {
		t.Errorf("report's control planes (-want +got):\n%s", d)
	}
	if r.Version != "canary="+old.Label+",default="+versions.Newest().Label {
		t.Errorf("report version %q", r.Version)
	}
}

// TestValuesOption: --values replaces the input's values of its revision.
func TestValuesOption(t *testing.T) {
	r, err := Run([]string{"testdata/install-repo"}, WithValues(install.ValuesFile{Path: "v.yaml", Data: []byte("meshConfig:\n  defaultServiceExportTo: ['*']\n")}))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range r.ControlPlanes {
		if p.Revision == install.DefaultRevision && (p.MeshConfigFrom != "--values v.yaml" || len(p.Env) != 0) {
			t.Errorf("default plane %+v: want mesh config from --values v.yaml and no env", p)
		}
	}
}
