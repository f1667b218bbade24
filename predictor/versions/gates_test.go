package versions

import (
	"maps"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"testing/fstest"
)

// TestGates pins each gate on every catalogued version to what Istio's
// source of that version does (see each gate's doc comment for the file
// and function read).
func TestGates(t *testing.T) {
	type gates struct {
		autoalloc, perAddress, tlsWithHTTP, exactHosts, byResourceName, absoluteFQDN, firstFamily, privateFirst bool
		autoOverAutoMerges, headlessFlag                                                                        bool
	}
	want := map[string]gates{
		"1.24": {autoalloc: false, perAddress: false, tlsWithHTTP: true, exactHosts: false, byResourceName: false, absoluteFQDN: false, firstFamily: false, privateFirst: true},
		// master of 2026-08-22: listener.go's auto-over-auto merge and
		// features/pilot.go's PILOT_ENABLE_HEADLESS_FILTER_CHAIN_LISTENER
		// (istio/istio#60642, commit 75893e6febb).
		"1.32-dev": {autoalloc: true, perAddress: true, tlsWithHTTP: false, exactHosts: true, byResourceName: true, absoluteFQDN: true, firstFamily: true, privateFirst: false,
			autoOverAutoMerges: true, headlessFlag: true},
		"1.26":     {autoalloc: true, perAddress: true, tlsWithHTTP: false, exactHosts: false, byResourceName: false, absoluteFQDN: false, firstFamily: true, privateFirst: true},
		"1.27":     {autoalloc: true, perAddress: true, tlsWithHTTP: false, exactHosts: false, byResourceName: false, absoluteFQDN: true, firstFamily: true, privateFirst: true},
		"1.30":     {autoalloc: true, perAddress: true, tlsWithHTTP: false, exactHosts: false, byResourceName: true, absoluteFQDN: true, firstFamily: true, privateFirst: false},
		"1.31-dev": {autoalloc: true, perAddress: true, tlsWithHTTP: false, exactHosts: true, byResourceName: true, absoluteFQDN: true, firstFamily: true, privateFirst: false},
	}
	for _, v := range Catalog {
		w, ok := want[v.Label]
		if !ok {
			t.Errorf("%s: catalogued but its gates are not pinned here: read the Istio source each gate names and add a row", v.Label)
			continue
		}
		got := gates{v.IPAutoallocateByDefault(), v.ServiceEntryServicePerAddress(), v.HTTPInspectorAddsTLSInspector(),
			v.SidecarExactHostLookup(), v.ServiceEntryServicesByResourceName(), v.AbsoluteFQDNAltHosts(), v.DualStackFirstFamily(), v.PrivateServicesFirst(),
			v.AutoOverAutoMergesTCP(), v.HeadlessFilterChainFlag()}
		if got != w {
			t.Errorf("%s: gates %+v, want %+v", v.Label, got, w)
		}
	}
}

// TestReadSourceMarkers reads each gate from made-up source files in both
// of its forms, and leaves it undecided when the file is missing or the
// code moved.
func TestReadSourceMarkers(t *testing.T) {
	const (
		features   = "pilot/pkg/features/pilot.go"
		conversion = "pilot/pkg/serviceregistry/serviceentry/conversion.go"
		listener   = "pilot/pkg/networking/core/listener.go"
		sidecar    = "pilot/pkg/model/sidecar.go"
		vs         = "pilot/pkg/model/virtualservice.go"
		service    = "pilot/pkg/model/service.go"
		push       = "pilot/pkg/model/push_context.go"
	)
	tests := []struct {
		name  string
		files map[string]string
		want  map[Gate]bool
	}{
		{"nothing", nil, map[Gate]bool{}},
		{"1.24-like", map[string]string{
			features:   "EnableIPAutoallocate = env.Register(\n\t\t\"PILOT_ENABLE_IP_AUTOALLOCATE\",\n\t\tfalse,\n\t\t\"If enabled\")",
			conversion: "type HostAddress struct {\n\thost           string\n\taddresses      []string\n\tautoAssignedV4 string\n}",
			listener: "\tif needTLSInspector || needHTTPInspector {\n" +
				"\t\t\t\t\t// Exit early, listener already exists\n\t\t\t\t\treturn\n\t\t\t\t}\n\t\t\t}\n\t\t\t// Add tcp filter chain, build TCP filter chain first.\n",
			sidecar: "func (ps *PushContext) servicesForHosts(",
			vs:      "if !hc.VSMatches(h, useGatewaySemantics) {",
			service: "func filterAddresses(addresses []string, supportsV4, supportsV6 bool) []string {",
			push:    "\t\tout = append(out, ps.ServiceIndex.privateByNamespace[ns]...)\n\t\t\tif ps.exportToDefaults.service.Contains(visibility.Private) {\n",
		}, map[Gate]bool{
			GatePrivateServicesFirst: true, GateDefaultExportToNamespaces: false, GateServiceEntryVisibility: false,
			GateDualStackFirstFamily:    false,
			GateIPAutoallocateByDefault: false, GateServiceEntryServicePerAddress: false, GateHTTPInspectorAddsTLSInspector: true,
			GateSidecarExactHostLookup: false, GateVirtualServiceExclusions: false, GateSidecarHostExclusions: false,
			GateAbsoluteFQDNAltHosts: false, GateAutoOverAutoMergesTCP: false, GateHeadlessFilterChainFlag: false,
		}},
		{"1.31-like", map[string]string{
			features: "EnableIPAutoallocate = env.Register(\n\t\t\"PILOT_ENABLE_IP_AUTOALLOCATE\",\n\t\ttrue,\n\t\t\"If enabled\")\n" +
				"EnableAbsoluteFqdnVhostDomain = env.Register(\n\t\t\"PILOT_ENABLE_ABSOLUTE_FQDN_VHOST_DOMAIN\", // Environment variable name\n\t\ttrue, // Default value\n\t\t\"If set to false\")",
			conversion: "type HostAddress struct {\n\thost           string\n\taddress        string\n\tautoAssignedV4 string\n}",
			listener:   "\tif needTLSInspector {\n",
			sidecar:    "\texcludePrefix     = \"~\"\nsvces = ps.servicesForExactHosts(configNamespace, hostsByNamespace)\nfunc (ps *PushContext) servicesForExactHosts(configNamespace string,",
			vs:         "if (nsExclFound && nsExcl.Excluded(h)) || (wnsFound && wnsImportedHosts.Excluded(h)) {",
			service:    "addresses = netutil.FilterAddressesByIPFamily(addresses, node.SupportsIPv4(), node.SupportsIPv6())",
			push: "\texportedServices := ps.ServiceIndex.exportedToNamespace[ns]\n\texportToSet := ps.exportToDefaults.service\n" +
				"\tif ps.Mesh.GetServiceEntryVisibility().GetApplyToSidecars() {\n",
		}, map[Gate]bool{
			GatePrivateServicesFirst: false, GateDefaultExportToNamespaces: true, GateServiceEntryVisibility: true,
			GateDualStackFirstFamily:    true,
			GateIPAutoallocateByDefault: true, GateServiceEntryServicePerAddress: true, GateHTTPInspectorAddsTLSInspector: false,
			GateSidecarExactHostLookup: true, GateVirtualServiceExclusions: true, GateSidecarHostExclusions: true,
			GateAbsoluteFQDNAltHosts: true, GateHeadlessFilterChainFlag: false,
		}},
		{"1.32-like", map[string]string{
			features: "EnableHeadlessFilterChainListener = env.Register(\"PILOT_ENABLE_HEADLESS_FILTER_CHAIN_LISTENER\", false,\n\t\t\"If true\")",
			listener: "\t\t\t\t\tconflictType = TCPOverAuto\n\t\t\t\t\topts = buildSidecarOutboundTCPListenerOpts(listenerOpts, virtualServices)\n\t\t\t\t\tgoto handleConflict\n",
		}, map[Gate]bool{GateAbsoluteFQDNAltHosts: false, GateHeadlessFilterChainFlag: true, GateAutoOverAutoMergesTCP: true}},
		{"headless flag on by default: left to the minor", map[string]string{
			features: "EnableHeadlessFilterChainListener = env.Register(\"PILOT_ENABLE_HEADLESS_FILTER_CHAIN_LISTENER\", true, \"If true\")",
		}, map[Gate]bool{GateAbsoluteFQDNAltHosts: false}},
		{"absolute FQDN flag off by default", map[string]string{
			features: "EnableAbsoluteFqdnVhostDomain = env.Register(\"PILOT_ENABLE_ABSOLUTE_FQDN_VHOST_DOMAIN\", false, \"If set\")",
		}, map[Gate]bool{GateAbsoluteFQDNAltHosts: false, GateHeadlessFilterChainFlag: false}},
		{"code moved", map[string]string{
			features:   "EnableIPAutoallocate = env.RegisterBoolVar(name, defaultValue)\nconst absoluteFQDN = \"PILOT_ENABLE_ABSOLUTE_FQDN_VHOST_DOMAIN\"",
			conversion: "type hostAddress struct{}",
			listener:   "if inspectors.TLS {",
			service:    "addresses = ipfamily.Keep(addresses)",
			push:       "out = ps.ServiceIndex.visibleTo(ns)",
		}, map[Gate]bool{GateHeadlessFilterChainFlag: false}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fsys := fstest.MapFS{}
			for name, text := range tt.files {
				fsys[name] = &fstest.MapFile{Data: []byte(text)}
			}
			got, err := ReadSource(fsys)
			if err != nil {
				t.Fatal(err)
			}
			if !maps.Equal(got, tt.want) {
				t.Errorf("ReadSource = %v, want %v", got, tt.want)
			}
		})
	}
}

// TestReadSourceModules reads the real Istio sources in the local module
// cache (skipped when absent): each catalogued version's source agrees
// with its rules by minor, and the 2026-04-23 master snapshot, which says
// VERSION 1.31, lacks 1.31's exact-host Sidecar lookup and VirtualService
// exclusions.
func TestReadSourceModules(t *testing.T) {
	cache := os.Getenv("GOMODCACHE")
	if cache == "" {
		home, _ := os.UserHomeDir()
		gopath := os.Getenv("GOPATH")
		if gopath == "" {
			gopath = filepath.Join(home, "go")
		}
		cache = filepath.Join(gopath, "pkg", "mod")
	}
	snapshot := Version{Label: "master-2026-04-23", Module: "v0.0.0-20260423205519-b01690e6db7d", Minor: 31}
	tests := append(slices.Clone(Catalog), snapshot)
	for _, v := range tests {
		t.Run(v.Label, func(t *testing.T) {
			dir := filepath.Join(cache, "istio.io", "istio@"+v.Module)
			if _, err := os.Stat(dir); err != nil {
				t.Skipf("istio.io/istio@%s is not in the module cache", v.Module)
			}
			src, err := ReadSource(os.DirFS(dir))
			if err != nil {
				t.Fatal(err)
			}
			if len(src) != len(Gates()) {
				t.Errorf("source decides %v, want every gate %v", src, Gates())
			}
			read := v
			read.Source = src
			want := v.FromSource()
			if v.Label == snapshot.Label {
				want = []string{"PrivateServicesFirst=true", "SidecarExactHostLookup=false", "SidecarHostExclusions=false", "VirtualServiceExclusions=false"}
			}
			if got := read.FromSource(); !slices.Equal(got, want) {
				t.Errorf("source differs from the minor rules in %v, want %v", got, want)
			}
		})
	}
}

// TestRangeIncludes checks minor ranges and gate ranges, the latter on a
// version whose source says otherwise than its minor.
func TestRangeIncludes(t *testing.T) {
	v30, v31 := Version{Minor: 30}, Version{Minor: 31}
	snapshot := Version{Minor: 31, Source: map[Gate]bool{GateSidecarExactHostLookup: false}}
	tests := []struct {
		rng     string
		in, out []Version
	}{
		{"", []Version{v30, v31}, nil},
		{">=1.31", []Version{v31, snapshot}, []Version{v30}},
		{"<=1.30", []Version{v30}, []Version{v31, snapshot}},
		{"1.30-1.31", []Version{v30, v31}, []Version{{Minor: 29}}},
		{"SidecarExactHostLookup", []Version{v31}, []Version{v30, snapshot}},
		{"!SidecarExactHostLookup", []Version{v30, snapshot}, []Version{v31}},
	}
	for _, tt := range tests {
		r, err := ParseRange(tt.rng)
		if err != nil {
			t.Fatalf("ParseRange(%q): %v", tt.rng, err)
		}
		for _, v := range tt.in {
			if !r.Includes(v) {
				t.Errorf("%q does not include %+v", tt.rng, v)
			}
		}
		for _, v := range tt.out {
			if r.Includes(v) {
				t.Errorf("%q includes %+v", tt.rng, v)
			}
		}
	}
	for _, bad := range []string{"SidecarExactHostLookups", "!Nothing", "2.1", ">=x"} {
		if _, err := ParseRange(bad); err == nil {
			t.Errorf("ParseRange(%q) accepted", bad)
		}
	}
}
