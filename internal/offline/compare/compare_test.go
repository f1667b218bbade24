package compare

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/listenerlab/listenerlab/listener"
	"github.com/listenerlab/listenerlab/predictor/versions"
	"github.com/listenerlab/listenerlab/scenario"
)

func tcp(cluster string) listener.Destination {
	return listener.Destination{Kind: listener.TCP, Cluster: cluster}
}

func TestListenersLevels(t *testing.T) {
	base := listener.Listener{Name: "0.0.0.0_3306", Address: "0.0.0.0", Port: 3306,
		FilterChains: []listener.FilterChain{{Destination: tcp("outbound|3306||a")}}}
	moved := base
	moved.Address, moved.BindToPort = "0.0.0.0", true
	otherDest := base
	otherDest.FilterChains = []listener.FilterChain{{Destination: tcp("outbound|3306||b")}}
	otherMatch := base
	otherMatch.FilterChains = []listener.FilterChain{{Match: listener.Match{ServerNames: []string{"a"}}, Destination: tcp("outbound|3306||a")}}
	tests := []struct {
		name      string
		want, got []listener.Listener
		levels    []Level
	}{
		{"equal", []listener.Listener{base}, []listener.Listener{base}, nil},
		{"missing listener", []listener.Listener{base}, nil, []Level{LevelListener}},
		{"extra listener", nil, []listener.Listener{base}, []Level{LevelListener}},
		{"bind differs", []listener.Listener{base}, []listener.Listener{moved}, []Level{LevelAddress}},
		{"destination differs", []listener.Listener{base}, []listener.Listener{otherDest}, []Level{LevelDestination}},
		{"match differs", []listener.Listener{base}, []listener.Listener{otherMatch}, []Level{LevelMatch, LevelMatch}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var levels []Level
			for _, d := range Listeners(tt.want, tt.got) {
				levels = append(levels, d.Level)
			}
			if diff := cmp.Diff(tt.levels, levels); diff != "" {
				t.Errorf("levels (-want +got):\n%s", diff)
			}
		})
	}
}

func TestChainOrderDoesNotMatter(t *testing.T) {
	a := listener.Listener{Name: "l", FilterChains: []listener.FilterChain{
		{Match: listener.Match{ServerNames: []string{"x"}}, Destination: tcp("x")},
		{Match: listener.Match{ServerNames: []string{"y"}}, Destination: tcp("y")}}}
	b := a
	b.FilterChains = []listener.FilterChain{a.FilterChains[1], a.FilterChains[0]}
	if d := Listeners([]listener.Listener{a}, []listener.Listener{b}); d != nil {
		t.Errorf("reordered chains differ: %v", d)
	}
}

func TestConflicts(t *testing.T) {
	c := listener.Conflict{Listener: "0.0.0.0_3306", Kind: "tcp over current tcp", Accepted: "a", Rejected: "b"}
	if d := Conflicts([]listener.Conflict{c}, []listener.Conflict{c}); d != nil {
		t.Errorf("equal conflicts differ: %v", d)
	}
	if d := Conflicts([]listener.Conflict{c}, nil); len(d) != 1 || d[0].Level != LevelConflict {
		t.Errorf("missing conflict: %v", d)
	}
}

func TestExpectationsByVersion(t *testing.T) {
	ls := []listener.Listener{{Name: "0.0.0.0_3306", FilterChains: []listener.FilterChain{{Destination: tcp("outbound|3306||a")}}}}
	exps := []scenario.Expectation{
		{Versions: ">=1.25", Listeners: map[string][]string{"0.0.0.0_3306": {"all -> cluster outbound|3306||a"}}},
		{Versions: "<1.25", Absent: []string{"0.0.0.0_3306"}},
	}
	if d := Expectations(exps, versions.Version{Minor: 26}, ls, nil); d != nil {
		t.Errorf("1.26: %v", d)
	}
	if d := Expectations(exps, versions.Version{Minor: 24}, ls, nil); len(d) != 1 {
		t.Errorf("1.24 should fail the absent expectation once: %v", d)
	}
	exps = []scenario.Expectation{{Conflicts: []string{"0.0.0.0_3306 b"}}}
	if d := Expectations(exps, versions.Version{Minor: 26}, ls, nil); len(d) != 1 || d[0].Level != LevelConflict {
		t.Errorf("missing expected conflict: %v", d)
	}
}
