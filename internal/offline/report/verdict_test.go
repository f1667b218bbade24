package report

import (
	"bytes"
	"strings"
	"testing"

	"github.com/listenerlab/listenerlab/internal/offline/compare"
	"github.com/listenerlab/listenerlab/predictor/versions"
)

// TestProvenance checks that an on-demand version's provenance reaches the
// JUnit suite properties and the matrix notes, and that a version without
// a note adds no noise.
func TestProvenance(t *testing.T) {
	ondemand := versions.Version{Label: "b01690e6db7d", Module: "v0.0.0-20260423205519-b01690e6db7d", Minor: 31,
		Note: "istio.io/istio v0.0.0-20260423205519-b01690e6db7d of 2026-04-23, minor 1.31 from VERSION 1.31, no replacements"}
	plain := versions.Version{Label: "1.26", Module: "v0.0.0-20250506181944-c2e9871f340c", Image: "1.26.0", Minor: 26}
	results := []compare.Result{
		{Scenario: "a", File: "a.yaml", Version: "1.26", Outcome: compare.Pass},
		{Scenario: "a", File: "a.yaml", Version: "b01690e6db7d", Outcome: compare.Pass},
	}
	var junit bytes.Buffer
	if err := JUnit(&junit, results, plain, ondemand); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`<property name="istio.module" value="istio.io/istio@v0.0.0-20260423205519-b01690e6db7d"></property>`,
		`<property name="istio.minor" value="1.31"></property>`,
		`<property name="istio.provenance" value="istio.io/istio v0.0.0-20260423205519-b01690e6db7d of 2026-04-23, minor 1.31 from VERSION 1.31, no replacements"></property>`,
		`<property name="istio.image" value="1.26.0"></property>`,
	} {
		if !strings.Contains(junit.String(), want) {
			t.Errorf("JUnit lacks %s:\n%s", want, junit.String())
		}
	}
	if strings.Count(junit.String(), "istio.provenance") != 1 {
		t.Errorf("provenance for a version without a note:\n%s", junit.String())
	}
	var notes bytes.Buffer
	MatrixNotes(&notes, []versions.Version{plain, ondemand})
	want := "\n- Istio b01690e6db7d: istio.io/istio v0.0.0-20260423205519-b01690e6db7d; " + ondemand.Note + "\n"
	if notes.String() != want {
		t.Errorf("MatrixNotes = %q, want %q", notes.String(), want)
	}
}

// A version built from a source tree names the tree in its JUnit
// properties, and its note (the tree's provenance) in the matrix.
func TestTreeProvenance(t *testing.T) {
	tree := versions.Version{Label: "/src/istio", Module: "v0.0.0-20260822200018-86c9f01fd735", Minor: 32,
		Note: "istio source tree /src/istio, commit 86c9f01fd735 of 2026-08-22, no tag, dirty (uncommitted changes sha256 0123456789abcdef), minor 1.32 from VERSION 1.32, no replacements",
		Tree: &versions.Tree{Path: "/src/istio", Commit: "86c9f01fd735fb01d8192f5bcaf0d424afb7f14c", Dirty: true, Key: "tree-86c9f01fd735-dirty-0123456789abcdef-0a1b2c3d"}}
	var junit bytes.Buffer
	if err := JUnit(&junit, []compare.Result{{Scenario: "a", File: "a.yaml", Version: tree.Label, Outcome: compare.Pass}}, tree); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`<property name="istio.tree.path" value="/src/istio"></property>`,
		`<property name="istio.tree.commit" value="86c9f01fd735fb01d8192f5bcaf0d424afb7f14c"></property>`,
		`<property name="istio.tree.dirty" value="true"></property>`,
		`<property name="istio.tree.key" value="tree-86c9f01fd735-dirty-0123456789abcdef-0a1b2c3d"></property>`,
	} {
		if !strings.Contains(junit.String(), want) {
			t.Errorf("JUnit lacks %s:\n%s", want, junit.String())
		}
	}
	var notes bytes.Buffer
	MatrixNotes(&notes, []versions.Version{tree})
	if !strings.Contains(notes.String(), "dirty (uncommitted changes sha256 0123456789abcdef)") {
		t.Errorf("MatrixNotes = %q", notes.String())
	}
}
