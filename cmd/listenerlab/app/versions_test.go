package app

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/listenerlab/listenerlab/predictor/versions"
)

// TestSourceField: versions add records in the catalog line only the gates
// whose source value differs from the minor's rule.
func TestSourceField(t *testing.T) {
	snapshot := map[versions.Gate]bool{
		versions.GateIPAutoallocateByDefault: true, versions.GateServiceEntryServicePerAddress: true,
		versions.GateHTTPInspectorAddsTLSInspector: false, versions.GateSidecarExactHostLookup: false,
		versions.GateVirtualServiceExclusions: false,
	}
	tests := []struct {
		minor int
		gates map[versions.Gate]bool
		want  string
	}{
		{31, snapshot, ",\n\t\tSource: map[Gate]bool{GateSidecarExactHostLookup: false, GateVirtualServiceExclusions: false}"},
		{30, snapshot, ""},
		{31, nil, ""},
	}
	for _, tt := range tests {
		if got := sourceField(tt.minor, tt.gates); got != tt.want {
			t.Errorf("sourceField(%d, %v) = %q, want %q", tt.minor, tt.gates, got, tt.want)
		}
	}
}

// TestPredictAnyRelease is issue 22's done-when check: predict takes any
// release of the release table offline (the module proxy switched off, so
// a download would fail), and the private-first order holds in 1.28.4,
// 1.29.3 and 1.30.2, not in 1.30.3. A minor names the release it took on
// stderr; an unknown release is one line naming what is accepted.
func TestPredictAnyRelease(t *testing.T) {
	t.Setenv("GOPROXY", "off")
	t.Setenv("GOFLAGS", "-mod=mod")
	const file = "../../../scenarios/visibility/private-before-exported-by-name.yaml"
	const privateFirst, creationOrder = "outbound|8080||b.example.com", "outbound|8080||api.example.org"
	tests := []struct {
		istio, header, stderr, chain string
		code                         int
	}{
		{istio: "1.28.4", header: "Istio 1.28.4 rules", chain: privateFirst},
		{istio: "1.29.3", header: "Istio 1.29.3 rules", chain: privateFirst},
		{istio: "1.30.2", header: "Istio 1.30.2 rules", chain: privateFirst},
		{istio: "1.30.3", header: "Istio 1.30.3 rules", chain: creationOrder},
		{istio: "1.28", header: "Istio 1.28.10 rules", stderr: "Istio 1.28: taking 1.28.10, the newest 1.28 release in the release table\n", chain: privateFirst},
		{istio: "1.27", header: "Istio 1.27 rules", chain: privateFirst},
		{istio: "1.30", header: "Istio 1.30 rules", chain: creationOrder},
		{istio: "1.29.99", code: exitBadInput, stderr: `listenerlab: unknown Istio release "1.29.99": give a catalogued label (1.24, 1.26, 1.27, 1.30, 1.31-dev, 1.32-dev), a release (`},
	}
	for _, tt := range tests {
		t.Run(tt.istio, func(t *testing.T) {
			code, stdout, stderr := run("predict", "--istio", tt.istio, file)
			if code != tt.code || !strings.HasPrefix(stderr, tt.stderr) || (tt.stderr == "") != (stderr == "") || strings.Count(stderr, "\n") > 1 {
				t.Fatalf("exit %d, stderr %q; want %d, %q", code, stderr, tt.code, tt.stderr)
			}
			if tt.code != exitOK {
				return
			}
			if !strings.Contains(stdout, ", "+tt.header+"\n") {
				t.Errorf("no header %q in\n%s", tt.header, stdout)
			}
			if !strings.Contains(stdout, "default                                 cluster "+tt.chain+"\n") {
				t.Errorf("0.0.0.0_8080's default chain is not %s:\n%s", tt.chain, stdout)
			}
		})
	}
}

// TestVerifyReleaseItCannotFetch: verify on a release of the table that is
// not catalogued, with the module proxy off, says why in one line.
func TestVerifyReleaseItCannotFetch(t *testing.T) {
	t.Setenv("GOPROXY", "off")
	t.Setenv("GOFLAGS", "-mod=mod")
	t.Setenv("LISTENERLAB_CACHE", t.TempDir())
	code, _, stderr := run("verify", "--istio", "1.29.3", "../../../scenarios/visibility/private-before-exported-by-name.yaml")
	lines := strings.Split(strings.TrimSpace(stderr), "\n")
	last := lines[len(lines)-1]
	if code != exitBadInput || !strings.HasPrefix(last, "listenerlab verify: no pilot to run for Istio 1.29.3: it is not catalogued") ||
		!strings.Contains(last, "module lookup disabled by GOPROXY=off") || !strings.HasSuffix(last, "predict, analyze, explain and trace take it offline") {
		t.Errorf("exit %d, last line %q of stderr:\n%s", code, last, stderr)
	}
	for _, l := range lines[:len(lines)-1] {
		if strings.Contains(l, "error") || strings.HasPrefix(l, "listenerlab") {
			t.Errorf("more than one error line: %q", l)
		}
	}
}

// Without an istio/istio clone, verify skips a version built from it in
// one line and exits 0 when nothing else failed; `versions` says so too.
func TestVerifyTreeVersionWithoutClone(t *testing.T) {
	t.Setenv("ISTIO_GIT_DIR", filepath.Join(t.TempDir(), "missing"))
	t.Setenv("LISTENERLAB_CACHE", t.TempDir())
	code, stdout, stderr := run("verify", "--istio", "1.32-dev", "../../../scenarios/visibility/private-before-exported-by-name.yaml")
	if code != exitOK || strings.TrimSpace(stderr) != "Istio 1.32-dev: skipped: no istio/istio clone (set ISTIO_GIT_DIR)" ||
		!strings.Contains(stdout, "1 scenarios x 0 Istio versions") {
		t.Errorf("exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	code, stdout, _ = run("versions")
	if code != exitOK || !strings.Contains(stdout, "1.32-dev") || !strings.Contains(stdout, "skipped: no istio/istio clone (set ISTIO_GIT_DIR)") {
		t.Errorf("versions: exit %d\n%s", code, stdout)
	}
}

// A source tree that is not there is one line naming it.
func TestVerifyMissingTree(t *testing.T) {
	t.Setenv("LISTENERLAB_CACHE", t.TempDir())
	missing := filepath.Join(t.TempDir(), "istio")
	code, _, stderr := run("verify", "--istio", missing+"@master", "../../../scenarios/visibility/private-before-exported-by-name.yaml")
	if code != exitBadInput || strings.Count(strings.TrimSpace(stderr), "\n") != 0 || !strings.Contains(stderr, `istio source tree "`+missing+`@master": stat`) {
		t.Errorf("exit %d, stderr:\n%s", code, stderr)
	}
}

// --replace is for source-tree versions only.
func TestVerifyReplaceNeedsTree(t *testing.T) {
	code, _, stderr := run("verify", "--istio", "1.31-dev", "--replace", "istio.io/api=/src/api", "../../../scenarios/visibility/private-before-exported-by-name.yaml")
	if code != exitBadInput || !strings.Contains(stderr, "only a version built from a source tree takes dependencies from source trees, and Istio 1.31-dev is not one") {
		t.Errorf("exit %d, stderr:\n%s", code, stderr)
	}
}
