// Package internal_test holds the layout's one rule as a test: imports run
// one way, down the tiers README's Layout section lists.
package internal_test

import (
	"bufio"
	"bytes"
	"os/exec"
	"strings"
	"testing"
)

const module = "github.com/listenerlab/listenerlab"

// tiers lists the project's package trees bottom first. A package may
// import its own tier and those below it, never one above. The longest
// matching prefix decides a package's tier.
var tiers = [][]string{
	{"world", "meshconfig", "listener", "route", "trace", "fixtures", "internal/clusterdefaults"},
	{"predictor"},
	{"scenario"},
	{"internal/offline"},
	{"internal/realpilot"},
	{"internal/localcluster"},
	{"internal/livecluster"},
	{"cmd", "e2e", "scenarios"},
}

// testkit is imported by tests only (and by its own commands).
const testkit = "internal/testkit"

// tierOf returns the tier of a project package (path relative to the
// module) and whether the tier table names it.
func tierOf(rel string) (int, bool) {
	best, tier := -1, 0
	for i, roots := range tiers {
		for _, root := range roots {
			if (rel == root || strings.HasPrefix(rel, root+"/")) && len(root) > best {
				best, tier = len(root), i
			}
		}
	}
	return tier, best >= 0
}

type pkg struct {
	path    string // relative to the module
	imports []string
	tests   []string // imports of its _test.go files
}

func listPackages(t *testing.T) []pkg {
	t.Helper()
	out, err := exec.Command("go", "list", "-tags", "e2e,pilot",
		"-f", `{{.ImportPath}}|{{join .Imports " "}}|{{join .TestImports " "}} {{join .XTestImports " "}}`,
		module+"/...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	rel := func(fields string) []string {
		var ps []string
		for _, f := range strings.Fields(fields) {
			if r, ok := strings.CutPrefix(f, module+"/"); ok {
				ps = append(ps, r)
			}
		}
		return ps
	}
	var ps []pkg
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		parts := strings.SplitN(sc.Text(), "|", 3)
		if len(parts) != 3 {
			continue
		}
		r, ok := strings.CutPrefix(parts[0], module+"/")
		if !ok {
			continue
		}
		ps = append(ps, pkg{path: r, imports: rel(parts[1]), tests: rel(parts[2])})
	}
	return ps
}

func isTestkit(rel string) bool { return rel == testkit || strings.HasPrefix(rel, testkit+"/") }

// TestTiers fails on any import that runs back up the tiers, on any
// package the tier table does not place, and on production code that
// imports the test kit.
func TestTiers(t *testing.T) {
	ps := listPackages(t)
	if len(ps) < 10 {
		t.Fatalf("go list found %d packages; expected the whole module", len(ps))
	}
	for _, p := range ps {
		if isTestkit(p.path) || p.path == "internal" { // internal: this test alone
			continue
		}
		from, ok := tierOf(p.path)
		if !ok {
			t.Errorf("%s: no tier; add it to the tier table here and to README's Layout", p.path)
			continue
		}
		for _, imp := range p.imports {
			if isTestkit(imp) {
				t.Errorf("%s imports %s: the test kit is for tests only", p.path, imp)
				continue
			}
			if to, ok := tierOf(imp); ok && to > from {
				t.Errorf("%s (tier %d, %s) imports %s (tier %d, %s): imports run down the tiers only",
					p.path, from, tiers[from][0], imp, to, tiers[to][0])
			}
		}
	}
}

// TestTierOf pins the table's reading: the longest prefix wins and an
// unlisted tree has no tier.
func TestTierOf(t *testing.T) {
	tests := []struct {
		rel  string
		tier int
		ok   bool
	}{
		{"world", 0, true},
		{"predictor/versions", 1, true},
		{"scenario", 2, true},
		{"scenarios", 7, true},
		{"internal/offline/compare", 3, true},
		{"internal/livecluster/e2erun", 6, true},
		{"cmd/listenerlab/app", 7, true},
		{"internal/elsewhere", 0, false},
	}
	for _, tt := range tests {
		tier, ok := tierOf(tt.rel)
		if tier != tt.tier || ok != tt.ok {
			t.Errorf("tierOf(%q) = %d, %t; want %d, %t", tt.rel, tier, ok, tt.tier, tt.ok)
		}
	}
}
