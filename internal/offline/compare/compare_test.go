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
	redis := base
	redis.FilterChains = []listener.FilterChain{{Destination: listener.Destination{Kind: listener.Redis, Cluster: "outbound|3306||a"}}}
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
		{"redis_proxy where tcp_proxy, same cluster", []listener.Listener{base}, []listener.Listener{redis}, []Level{LevelDestination}},
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

// TestPrefixRangesCompareMasked: a prefix range with host bits set (as
// istiod sends it) and its masked form are one match, in listener
// comparison and in expectations; a different prefix is still a
// difference, shown in each side's own text.
func TestPrefixRangesCompareMasked(t *testing.T) {
	chain := func(ranges ...string) []listener.Listener {
		return []listener.Listener{{Name: "0.0.0.0_9999", Address: "0.0.0.0", Port: 9999, FilterChains: []listener.FilterChain{
			{Match: listener.Match{PrefixRanges: ranges}, Destination: tcp("outbound|9999||a")}}}}
	}
	asWritten := chain("1234:1f1:123:123:f816:3eff:feb8:2287/32", "10.1.2.3/24")
	tests := []struct {
		name   string
		other  []listener.Listener
		levels []Level
	}{
		{"masked", chain("10.1.2.0/24", "1234:1f1::/32"), nil},
		{"other host bits", chain("10.1.2.200/24", "1234:1f1:ffff::1/32"), nil},
		{"other prefix", chain("10.1.3.3/24", "1234:1f1::/32"), []Level{LevelMatch, LevelMatch}},
		{"other length", chain("10.1.2.3/25", "1234:1f1::/32"), []Level{LevelMatch, LevelMatch}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := Listeners(asWritten, tt.other)
			var levels []Level
			for _, x := range d {
				levels = append(levels, x.Level)
			}
			if !cmp.Equal(levels, tt.levels) {
				t.Fatalf("levels %v, want %v: %v", levels, tt.levels, d)
			}
			if len(d) == 2 && (d[0].Want != "ip=10.1.2.3/24,1234:1f1:123:123:f816:3eff:feb8:2287/32 -> cluster outbound|9999||a" || d[1].Got == "") {
				t.Errorf("differences not in each side's text: %v", d)
			}
		})
	}
	for _, want := range []string{
		"ip=10.1.2.3/24,1234:1f1:123:123:f816:3eff:feb8:2287/32 -> cluster outbound|9999||a",
		"ip=10.1.2.0/24,1234:1f1::/32 -> cluster outbound|9999||a",
	} {
		exps := []scenario.Expectation{{Listeners: map[string][]string{"0.0.0.0_9999": {want}}}}
		if d := Expectations(exps, versions.Newest(), asWritten, nil); d != nil {
			t.Errorf("expectation %q: %v", want, d)
		}
	}
	exps := []scenario.Expectation{{Listeners: map[string][]string{"0.0.0.0_9999": {"ip=10.1.2.0/25,1234:1f1::/32 -> cluster outbound|9999||a"}}}}
	if d := Expectations(exps, versions.Newest(), asWritten, nil); len(d) != 1 {
		t.Errorf("a /25 expectation met by a /24 chain: %v", d)
	}
}
