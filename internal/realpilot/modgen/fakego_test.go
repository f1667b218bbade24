package modgen

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/listenerlab/listenerlab/internal/realpilot/istiotree"
)

// The test binary doubles as a fake go command (MODGEN_FAKE_GO names its
// state folder): Istio's module is a folder of the test, the module proxy
// refuses istio.io/api's pinned pre-release and serves its tags, and every
// go command run is logged, so Generate's proxy check and replacement run
// without a network.
func TestMain(m *testing.M) {
	if dir := os.Getenv("MODGEN_FAKE_GO"); dir != "" {
		os.Exit(fakeGo(dir, os.Args[1:]))
	}
	os.Exit(m.Run())
}

const fakeAPIPin = "v1.30.4-0.20260824163423-69099aec2678"

// fakeGo answers the go commands Generate runs.
func fakeGo(state string, args []string) int {
	logf, _ := os.OpenFile(filepath.Join(state, "log"), os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	fmt.Fprintln(logf, strings.Join(args, " "))
	logf.Close()
	cmd := strings.Join(args[:min(2, len(args))], " ")
	enc := json.NewEncoder(os.Stdout)
	switch {
	case cmd == "env GOVERSION":
		fmt.Println("go1.99")
	case cmd == "env GOMODCACHE":
		fmt.Println(filepath.Join(state, "modcache"))
	case cmd == "mod edit" && args[2] == "-json":
		// The replaces are those "mod edit -replace" noted in go.mod.
		var replaces []map[string]map[string]string
		b, _ := os.ReadFile("go.mod")
		for _, line := range strings.Split(string(b), "\n") {
			if r, ok := strings.CutPrefix(line, "// edit -replace "); ok {
				old, _, _ := strings.Cut(r, "=")
				replaces = append(replaces, map[string]map[string]string{"Old": {"Path": old}})
			}
		}
		enc.Encode(map[string]any{"Require": []map[string]string{
			{"Path": "istio.io/api", "Version": fakeAPIPin}, {"Path": "golang.org/x/net", "Version": "v0.1.0"},
			{"Path": "istio.io/istio", "Version": "v0.0.0-20260826214018-9739e10eb9d7"}}, "Replace": replaces})
	case cmd == "mod edit":
		mod := filepath.Join(".", "go.mod")
		b, _ := os.ReadFile(mod)
		flag, val, _ := strings.Cut(args[2], "=")
		os.WriteFile(mod, append(b, []byte("// edit "+flag+" "+val+"\n")...), 0o644)
	case cmd == "mod tidy":
	case cmd == "mod download":
		for _, q := range args[3:] {
			path, v, _ := strings.Cut(q, "@")
			d := map[string]string{"Path": path, "Version": v}
			switch {
			case path == "istio.io/istio":
				d["Dir"] = filepath.Join(state, "istio")
				d["Version"] = "v0.0.0-20260826214018-9739e10eb9d7"
			case path == "istio.io/api" && (v == fakeAPIPin || v == "v1.30.9"):
				d["Error"] = path + "@" + v + ": reading https://proxy.golang.org/istio.io/api/@v/" + v + ".info: 403 Forbidden"
			}
			enc.Encode(d)
		}
	case cmd == "list -m" && args[3] == "-versions":
		enc.Encode(map[string]any{"Path": args[4], "Versions": []string{"v1.30.3", "v1.30.8", "v1.30.9", "v1.31.0"}})
	case cmd == "list -m":
		dates := map[string]string{"v1.30.3": "2026-08-01", "v1.30.8": "2026-08-28", "v1.30.9": "2026-08-25", "v1.31.0": "2026-08-24", "latest": "2026-08-24"}
		for _, q := range args[4:] {
			_, v, _ := strings.Cut(q, "@")
			if v == "latest" {
				enc.Encode(map[string]any{"Version": "v1.31.0", "Time": "2026-08-24T00:00:00Z"})
				continue
			}
			enc.Encode(map[string]any{"Version": v, "Time": dates[v] + "T00:00:00Z"})
		}
	default:
		fmt.Fprintln(os.Stderr, "fake go: unexpected", args)
		return 2
	}
	return 0
}

// TestGenerateReplacesRefusedPin runs Generate on the fake proxy: the
// refused istio.io/api pre-release is replaced by v1.30.8 (v1.30.9 is
// nearer but refused too, v1.31.0 is of the same day but another release
// line), the module line is renamed, the program and version file are
// written, and the provenance says it all.
func TestGenerateReplacesRefusedPin(t *testing.T) {
	state := t.TempDir()
	istio := filepath.Join(state, "istio")
	os.MkdirAll(istio, 0o755)
	os.WriteFile(filepath.Join(istio, "go.mod"), []byte("module istio.io/istio\n\ngo 1.25\n\nrequire istio.io/api "+fakeAPIPin+"\n"), 0o644)
	os.WriteFile(filepath.Join(istio, "go.sum"), []byte("istio.io/api "+fakeAPIPin+"/go.mod h1:x=\n"), 0o644)
	os.WriteFile(filepath.Join(istio, "VERSION"), []byte("1.30\n"), 0o644)
	t.Setenv("MODGEN_FAKE_GO", state)
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	var progress strings.Builder
	m, err := Generate(context.Background(), "9739e10eb9d7", Options{
		Go: self, Progress: &progress,
		Program:     map[string][]byte{"main.go": []byte("package main\n")},
		VersionFile: func(minor int) []byte { return []byte(fmt.Sprintf("// 1.%d\n", minor)) },
	})
	if err != nil {
		t.Fatalf("Generate: %v\nprogress:\n%s", err, progress.String())
	}
	p := m.Provenance
	if p.Module != "v0.0.0-20260826214018-9739e10eb9d7" || p.Query != "9739e10eb9d7" || p.Minor != 30 || p.MinorFrom != "VERSION 1.30" {
		t.Errorf("provenance %+v", p)
	}
	if len(p.Replacements) != 1 || p.Replacements[0].Path != "istio.io/api" || p.Replacements[0].Used != "v1.30.8" || p.Replacements[0].Pinned != fakeAPIPin {
		t.Fatalf("replacements %+v, want istio.io/api %s => v1.30.8", p.Replacements, fakeAPIPin)
	}
	mod := string(m.GoMod)
	for _, want := range []string{"module " + BackendModule + "\n", "// edit -require istio.io/istio@v0.0.0-20260826214018-9739e10eb9d7\n", "// edit -replace istio.io/api=istio.io/api@v1.30.8\n"} {
		if !strings.Contains(mod, want) {
			t.Errorf("go.mod lacks %q:\n%s", want, mod)
		}
	}
	if !strings.Contains(progress.String(), "replacing istio.io/api v1.30.8 of 2026-08-28 (pinned "+fakeAPIPin+" of 2026-08-24)") {
		t.Errorf("progress does not print the replacement:\n%s", progress.String())
	}
	log, _ := os.ReadFile(filepath.Join(state, "log"))
	if !strings.Contains(string(log), "mod tidy") {
		t.Errorf("go mod tidy never ran:\n%s", log)
	}
}

// TestGenerateTree runs GenerateTree on the fake proxy: istio.io/istio is
// required at the tree's commit and replaced by the tree, never asked of
// the module proxy; the other pins are checked and replaced as for a
// module version; the provenance names the tree.
func TestGenerateTree(t *testing.T) {
	state := t.TempDir()
	tree := filepath.Join(state, "fork")
	os.MkdirAll(tree, 0o755)
	os.WriteFile(filepath.Join(tree, "go.mod"), []byte("module istio.io/istio\n\ngo 1.26\n\nrequire istio.io/api "+fakeAPIPin+"\n"), 0o644)
	os.WriteFile(filepath.Join(tree, "go.sum"), []byte("istio.io/api "+fakeAPIPin+"/go.mod h1:x=\n"), 0o644)
	os.WriteFile(filepath.Join(tree, "VERSION"), []byte("1.32\n"), 0o644)
	t.Setenv("MODGEN_FAKE_GO", state)
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	src := istiotree.Tree{Spec: istiotree.Spec{Path: tree}, Dir: tree, Commit: "86c9f01fd735fb01d8192f5bcaf0d424afb7f14c",
		Time: time.Date(2026, 8, 22, 20, 0, 18, 0, time.UTC), Dirty: true, ContentHash: "0123456789abcdef0123"}
	var progress strings.Builder
	m, err := GenerateTree(context.Background(), src, Options{Go: self, Progress: &progress,
		Program: map[string][]byte{"main.go": []byte("package main\n")}, Replace: []string{"istio.io/client-go=/src/client-go"}})
	if err != nil {
		t.Fatalf("GenerateTree: %v\nprogress:\n%s", err, progress.String())
	}
	p := m.Provenance
	if p.Module != "v0.0.0-20260822200018-86c9f01fd735" || p.Minor != 32 || p.Tree == nil || p.Tree.Commit != src.Commit || p.Query != tree {
		t.Errorf("provenance %+v", p)
	}
	mod := string(m.GoMod)
	for _, want := range []string{
		"// edit -require istio.io/istio@v0.0.0-20260822200018-86c9f01fd735\n",
		"// edit -replace istio.io/istio=" + tree + "\n",
		"// edit -replace istio.io/client-go=/src/client-go\n",
		"// edit -replace istio.io/api=istio.io/api@v1.30.8\n",
	} {
		if !strings.Contains(mod, want) {
			t.Errorf("go.mod lacks %q:\n%s", want, mod)
		}
	}
	log, _ := os.ReadFile(filepath.Join(state, "log"))
	for _, line := range strings.Split(string(log), "\n") {
		if strings.HasPrefix(line, "mod download") && strings.Contains(line, "istio.io/istio@") {
			t.Errorf("asked the module proxy for istio.io/istio: %s", line)
		}
	}
	want := "istio source tree " + tree + ", commit 86c9f01fd735 of 2026-08-22, no tag, dirty (uncommitted changes sha256 0123456789abcdef), minor 1.32 from VERSION 1.32"
	if got := p.Summary(); !strings.HasPrefix(got, want) {
		t.Errorf("Summary:\n got %s\nwant %s...", got, want)
	}
}
