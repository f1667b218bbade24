package dump

import (
	"os"
	"strings"
	"testing"

	"github.com/listenerlab/listenerlab/listener"
)

// TestRealPilotDumps reads config dumps written by the real pilot of Istio
// 1.31-dev (listenerlab verify --keep) and checks facts that Istio's source
// decides: the virtual listeners are left out, an address-less TLS
// ServiceEntry is matched by SNI behind the tls_inspector, and the hijacked
// 3306 listener has one match-all chain and no default chain.
func TestRealPilotDumps(t *testing.T) {
	tests := []struct {
		file      string
		listener  string
		filters   []string
		chains    []string
		noDefault bool
	}{
		{"pilot-1.31-dev-tls-sni.json", "0.0.0.0_443", []string{"tls_inspector"},
			[]string{"sni=api.github.com -> cluster outbound|443||api.github.com", "sni=storage.googleapis.com -> cluster outbound|443||storage.googleapis.com"}, false},
		{"pilot-1.31-dev-tcp-shadow.json", "0.0.0.0_3306", nil,
			[]string{"all -> cluster outbound|3306||sql-a.example.com"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			data, err := os.ReadFile("testdata/" + tt.file)
			if err != nil {
				t.Fatal(err)
			}
			d, err := Parse(data)
			if err != nil {
				t.Fatal(err)
			}
			if len(d.Unreadable) > 0 || len(d.Rejected) > 0 {
				t.Errorf("unreadable %v, rejected %v", d.Unreadable, d.Rejected)
			}
			var found *listener.Listener
			for _, l := range d.Outbound() {
				if l.Name == "virtualOutbound" || l.Name == "virtualInbound" {
					t.Errorf("Outbound kept %s", l.Name)
				}
				if l.Name == tt.listener {
					l := l
					found = &l
				}
			}
			if found == nil {
				t.Fatalf("no listener %s", tt.listener)
			}
			if found.BindToPort {
				t.Errorf("%s binds to its port; a captured sidecar's outbound listeners do not", found.Name)
			}
			if strings.Join(found.ListenerFilters, ",") != strings.Join(tt.filters, ",") {
				t.Errorf("listener filters %v, want %v", found.ListenerFilters, tt.filters)
			}
			var chains []string
			for _, c := range found.FilterChains {
				chains = append(chains, c.Match.String()+" -> "+c.Destination.String())
			}
			if strings.Join(chains, "\n") != strings.Join(tt.chains, "\n") {
				t.Errorf("chains:\n%s\nwant:\n%s", strings.Join(chains, "\n"), strings.Join(tt.chains, "\n"))
			}
			if tt.noDefault != (found.DefaultChain == nil) {
				t.Errorf("default chain %v, want none: %v", found.DefaultChain, tt.noDefault)
			}
		})
	}
}
