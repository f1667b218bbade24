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
