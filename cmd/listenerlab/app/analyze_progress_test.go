package app

import (
	"strings"
	"testing"
)

// TestAnalyzeProgress checks --progress writes the sidecar count on
// stderr, and that without it a fast run writes nothing there.
func TestAnalyzeProgress(t *testing.T) {
	code, out, errOut := run("analyze", "--progress", "--fail-on", "none", analyzeData+"gitops")
	if code != exitOK || !strings.Contains(errOut, "analyze: 3/3 sidecars predicted, ") || strings.Contains(out, "sidecars predicted") {
		t.Errorf("--progress: exit %d, stderr %q", code, errOut)
	}
	if _, _, errOut := run("analyze", "--fail-on", "none", analyzeData+"gitops"); errOut != "" {
		t.Errorf("without --progress: stderr %q", errOut)
	}
}
