package app

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The nightly workflow's last job: the matrix page from the kind suite's
// results.json of each version, without running any backend.
func TestMatrixFromResults(t *testing.T) {
	dir := t.TempDir()
	for v, outcome := range map[string]string{"1.24": "pass", "1.26": "fail"} {
		d := filepath.Join(dir, "e2e-"+v, "istio-"+v)
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		js := `[{"scenario":"tcp-serviceentries-without-addresses-shadow","file":"f.yaml","version":"` + v + `","outcome":"` + outcome + `","differences":[{"level":"listener","listener":"0.0.0.0_3306","want":"x"}],"duration":1}]`
		if err := os.WriteFile(filepath.Join(d, "results.json"), []byte(js), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	out := filepath.Join(dir, "site")
	var stdout, stderr bytes.Buffer
	code := Run([]string{"matrix", "-results", filepath.Join(dir, "e2e-*", "istio-*", "results.json"), "-out", out,
		filepath.Join("..", "..", "..", "scenarios", "serviceentry", "tcp-without-addresses-shadow.yaml")}, &stdout, &stderr)
	if code != exitMismatch {
		t.Errorf("exit %d (a failed cell exits 1); stderr:\n%s", code, stderr.String())
	}
	if !strings.Contains(stdout.String(), "| scenario | 1.24 | 1.26 |") || !strings.Contains(stdout.String(), "FAIL: listener 0.0.0.0_3306") {
		t.Errorf("matrix:\n%s", stdout.String())
	}
	if _, err := os.Stat(filepath.Join(out, "matrix.html")); err != nil {
		t.Error(err)
	}
	if code := Run([]string{"matrix", "-results", filepath.Join(dir, "none*.json"), "x.yaml"}, &stdout, &stderr); code != exitBadInput {
		t.Errorf("no results: exit %d", code)
	}
}
