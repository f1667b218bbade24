package backend

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/listenerlab/listenerlab/internal/realpilot/modgen"
	"github.com/listenerlab/listenerlab/predictor/versions"
)

// TestVersionFromCache checks that a generated module in the cache answers
// --istio by module version, commit prefix and original query without the
// module proxy (the Go option points at a command that does not exist, so
// any attempt to generate fails), that the gates its source decided reach
// the Version and its note, and that Build's module files come from it.
func TestVersionFromCache(t *testing.T) {
	t.Setenv("LISTENERLAB_CACHE", t.TempDir())
	const module = "v0.0.0-20260423205519-b01690e6db7d"
	m := &modgen.Module{
		GoMod: []byte("module listenerlab.dev/pilotbackend\n\ngo 1.25.7\n\nrequire istio.io/istio " + module + "\n"),
		GoSum: []byte("istio.io/istio " + module + " h1:x=\n"),
		Provenance: modgen.Provenance{Query: "b01690e6db7d", Module: module, Time: time.Date(2026, 4, 23, 20, 55, 19, 0, time.UTC),
			Minor: 31, MinorFrom: "VERSION 1.31",
			// What versions.ReadSource reads from that snapshot (TestReadSourceModules).
			Gates: map[versions.Gate]bool{versions.GateIPAutoallocateByDefault: true, versions.GateServiceEntryServicePerAddress: true,
				versions.GateHTTPInspectorAddsTLSInspector: false, versions.GateSidecarExactHostLookup: false, versions.GateVirtualServiceExclusions: false,
				versions.GateServiceEntryServicesByResourceName: true, versions.GateSidecarHostExclusions: false, versions.GateAbsoluteFQDNAltHosts: true,
				versions.GateDualStackFirstFamily: true, versions.GatePrivateServicesFirst: true,
				versions.GateAutoOverAutoMergesTCP: false, versions.GateHeadlessFilterChainFlag: false,
				versions.GateDefaultExportToNamespaces: false, versions.GateServiceEntryVisibility: false, versions.GateAllowAnyDynamicDNS: false,
				versions.GateRedirectPrefixRewrite: false}},
	}
	if err := storeModule(m); err != nil {
		t.Fatal(err)
	}
	noGo := GenerateOptions{Go: "/nonexistent/go"}
	for _, q := range []string{module, "b01690e6db7d", "b01690e", "b01690e6db7d0000000000000000000000000000"} {
		v, err := Version(context.Background(), q, noGo)
		if err != nil {
			t.Errorf("Version(%s): %v", q, err)
			continue
		}
		if v.Label != q || v.Module != module || v.Minor != 31 || v.Image != "" || !strings.Contains(v.Note, "of 2026-04-23, minor 1.31 from VERSION 1.31") {
			t.Errorf("Version(%s) = %+v", q, v)
		}
		if v.SidecarExactHostLookup() || v.VirtualServiceExclusions() || v.SidecarHostExclusions() || !v.IPAutoallocateByDefault() ||
			!strings.Contains(v.Note, "unlike other 1.31 its source has AllowAnyDynamicDNS=false, DefaultExportToNamespaces=false, PrivateServicesFirst=true, RedirectPrefixRewrite=false, ServiceEntryVisibility=false, SidecarExactHostLookup=false, SidecarHostExclusions=false, VirtualServiceExclusions=false") {
			t.Errorf("Version(%s): gates not from its source: %+v", q, v)
		}
	}
	for _, q := range []string{"b01690", "c01690e6db7d", "1.99.0"} {
		if _, err := Version(context.Background(), q, noGo); err == nil || !strings.Contains(err.Error(), `unknown Istio version "`+q+`"`) {
			t.Errorf("Version(%s): %v; want the catalog's error and the generation's", q, err)
		}
	}
	v, err := Version(context.Background(), "1.26", noGo)
	if err != nil || v.Module != "v0.0.0-20250506181944-c2e9871f340c" {
		t.Errorf("Version(1.26) = %+v, %v; want the catalogued one", v, err)
	}

	v, _ = Version(context.Background(), module, noGo)
	files, err := moduleFiles(v)
	if err != nil {
		t.Fatal(err)
	}
	if string(files["go.mod"]) != string(m.GoMod) || string(files["go.sum"]) != string(m.GoSum) || files["main.go"] == nil ||
		!strings.Contains(string(files["version_gen.go"]), `proxyIstioVersion = "1.31.0"`) {
		t.Errorf("module files of the cached version: %v", keys(files))
	}
	cached, err := CachedModules()
	if err != nil || len(cached) != 1 || cached[0].Provenance.Module != module {
		t.Errorf("CachedModules = %+v, %v", cached, err)
	}
}

// TestVersionRereadsGatesAddedSince checks that a cached module whose
// provenance lacks a gate added since (recorded by an older listenerlab)
// has its source read again instead of the gate following its minor: the
// read fails here, where the go command does not exist.
func TestVersionRereadsGatesAddedSince(t *testing.T) {
	t.Setenv("LISTENERLAB_CACHE", t.TempDir())
	const module = "v0.0.0-20260423205519-b01690e6db7d"
	m := &modgen.Module{
		GoMod: []byte("module listenerlab.dev/pilotbackend\n\ngo 1.25.7\n\nrequire istio.io/istio " + module + "\n"),
		GoSum: []byte("istio.io/istio " + module + " h1:x=\n"),
		Provenance: modgen.Provenance{Query: "b01690e6db7d", Module: module, Minor: 31, MinorFrom: "VERSION 1.31",
			Gates: map[versions.Gate]bool{versions.GateSidecarExactHostLookup: false}},
	}
	if err := storeModule(m); err != nil {
		t.Fatal(err)
	}
	if v, err := Version(context.Background(), module, GenerateOptions{Go: "/nonexistent/go"}); err == nil {
		t.Errorf("Version(%s) = %+v from partial gates; want the source read again", module, v)
	}
}

func keys(m map[string][]byte) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}
