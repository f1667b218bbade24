package backend

import (
	"context"
	"os"
	"sort"
	"strings"
	"testing"

	"github.com/listenerlab/listenerlab/predictor/versions"
)

// TestGenerateReproducesCatalog regenerates the module files of catalogued
// versions with modgen, without the replacements their notes list by hand,
// and compares them with the embedded ones: the proxy check must find the
// same refusals and pick the same replacements. It asks the module proxy,
// so it runs only with LISTENERLAB_MODGEN_VERSIONS set (labels,
// comma-separated; e.g. 1.26,1.30).
func TestGenerateReproducesCatalog(t *testing.T) {
	labels := os.Getenv("LISTENERLAB_MODGEN_VERSIONS")
	if labels == "" {
		t.Skip("asks the module proxy: set LISTENERLAB_MODGEN_VERSIONS=1.26,1.30")
	}
	for _, label := range strings.Split(labels, ",") {
		t.Run(label, func(t *testing.T) {
			if label == "1.27" {
				// The checksum database lacks 1.27's pseudo-version; its
				// go.sum pins it since (see scripts/mkmodule.sh).
				t.Setenv("GONOSUMDB", "istio.io")
			}
			v, err := versions.Lookup(label)
			if err != nil {
				t.Fatal(err)
			}
			m, err := GenerateModule(context.Background(), v.Module, GenerateOptions{})
			if err != nil {
				t.Fatal(err)
			}
			wantMod, _ := sources.ReadFile("modules/" + v.Label + ".mod")
			wantSum, _ := sources.ReadFile("modules/" + v.Label + ".sum")
			if got, want := sortedLines(m.GoMod), sortedLines(wantMod); got != want {
				t.Errorf("go.mod differs from modules/%s.mod (lines sorted):\n%s", v.Label, lineDiff(got, want))
			}
			if string(m.GoSum) != string(wantSum) {
				t.Errorf("go.sum differs from modules/%s.sum", v.Label)
			}
			t.Logf("Istio %s: %s", v.Label, m.Provenance.Summary())
		})
	}
}

// sortedLines ignores the order of go.mod's lines (replaces are added in
// the order refusals are found, which need not be the order a person
// used), its require block layout and "// indirect" marks (1.31-dev.mod
// predates the program's direct imports of envoy, protobuf and k8s.io/api;
// go build does not check the marks): the requirements must be the same.
func sortedLines(b []byte) string {
	var lines []string
	for _, l := range strings.Split(string(b), "\n") {
		l = strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(l), "// indirect"))
		l = strings.TrimPrefix(l, "require ")
		if l == "" || l == "(" || l == ")" {
			continue
		}
		lines = append(lines, l)
	}
	sort.Strings(lines)
	return strings.Join(lines, "\n")
}

func lineDiff(got, want string) string {
	w := map[string]bool{}
	for _, l := range strings.Split(want, "\n") {
		w[l] = true
	}
	g := map[string]bool{}
	var out []string
	for _, l := range strings.Split(got, "\n") {
		g[l] = true
		if !w[l] {
			out = append(out, "+"+l)
		}
	}
	for _, l := range strings.Split(want, "\n") {
		if !g[l] {
			out = append(out, "-"+l)
		}
	}
	return strings.Join(out, "\n")
}
