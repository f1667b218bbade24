package versions

import "testing"

// TestGates pins each gate on every catalogued version to what Istio's
// source of that version does (see each gate's doc comment for the file
// and function read).
func TestGates(t *testing.T) {
	type gates struct{ autoalloc, perAddress, tlsWithHTTP, exactHosts, byResourceName bool }
	want := map[string]gates{
		"1.24":     {autoalloc: false, perAddress: false, tlsWithHTTP: true, exactHosts: false, byResourceName: false},
		"1.26":     {autoalloc: true, perAddress: true, tlsWithHTTP: false, exactHosts: false, byResourceName: false},
		"1.27":     {autoalloc: true, perAddress: true, tlsWithHTTP: false, exactHosts: false, byResourceName: false},
		"1.30":     {autoalloc: true, perAddress: true, tlsWithHTTP: false, exactHosts: false, byResourceName: true},
		"1.31-dev": {autoalloc: true, perAddress: true, tlsWithHTTP: false, exactHosts: true, byResourceName: true},
	}
	for _, v := range Catalog {
		w, ok := want[v.Label]
		if !ok {
			t.Errorf("%s: catalogued but its gates are not pinned here: read the Istio source each gate names and add a row", v.Label)
			continue
		}
		got := gates{v.IPAutoallocateByDefault(), v.ServiceEntryServicePerAddress(), v.HTTPInspectorAddsTLSInspector(), v.SidecarExactHostLookup(), v.ServiceEntryServicesByResourceName()}
		if got != w {
			t.Errorf("%s: gates %+v, want %+v", v.Label, got, w)
		}
	}
}
