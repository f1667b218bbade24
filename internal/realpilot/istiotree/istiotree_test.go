package istiotree

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestIsPath(t *testing.T) {
	for value, want := range map[string]bool{
		"1.31-dev": false, "1.29.3": false, "master": false, "b01690e6db7d": false,
		"v0.0.0-20260423205519-b01690e6db7d": false,
		"./istio":                            true, "../istio@1.30.2": true, "/work/.mirror/istio+istio/repo@master": true, "~/src/istio": true,
	} {
		if got := IsPath(value); got != want {
			t.Errorf("IsPath(%q) = %t, want %t", value, got, want)
		}
	}
}

func TestParse(t *testing.T) {
	dir := t.TempDir()
	at := filepath.Join(dir, "fork@2")
	if err := os.MkdirAll(at, 0o755); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		value, wantPath, wantRev, wantErr string
	}{
		{value: dir, wantPath: dir},
		{value: dir + "@1.30.2", wantPath: dir, wantRev: "1.30.2"},
		{value: dir + "@86c9f01fd735", wantPath: dir, wantRev: "86c9f01fd735"},
		{value: at, wantPath: at},                                       // an "@" inside the directory's name
		{value: at + "@master", wantPath: at, wantRev: "master"},        // and a revision after it
		{value: dir + "@", wantErr: "nothing after @"},                  // a revision left out
		{value: filepath.Join(dir, "missing"), wantErr: "no such file"}, // no such tree
		{value: filepath.Join(dir, "missing@v1"), wantErr: "no such file"},
		{value: file, wantErr: "is not a directory"},
	}
	for _, tt := range tests {
		got, err := Parse(tt.value)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("Parse(%q) error %v, want %q", tt.value, err, tt.wantErr)
			}
			continue
		}
		if err != nil || got.Path != tt.wantPath || got.Rev != tt.wantRev {
			t.Errorf("Parse(%q) = %+v, %v; want path %s rev %q", tt.value, got, err, tt.wantPath, tt.wantRev)
		}
		if got.String() != tt.value {
			t.Errorf("Parse(%q).String() = %q", tt.value, got.String())
		}
	}
}

// gitRepo makes a checkout of a made-up Istio tree with one commit tagged
// 1.32.0-test.
func gitRepo(t *testing.T) string {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("no git")
	}
	dir := t.TempDir()
	write(t, dir, "go.mod", "module istio.io/istio\n\ngo 1.26.0\n")
	write(t, dir, "VERSION", "1.32\n")
	write(t, dir, "pilot/pkg/features/pilot.go", "package features\n")
	run(t, dir, "init", "-q")
	run(t, dir, "add", ".")
	run(t, dir, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-q", "-m", "tree")
	run(t, dir, "tag", "1.32.0-test")
	return dir
}

func write(t *testing.T, dir, name, text string) {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

func run(t *testing.T, dir string, args ...string) string {
	t.Helper()
	out, err := git(context.Background(), append([]string{"-C", dir}, args...)...)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(out))
}

// A checkout is built in place: clean at its commit and tag, then dirty
// with a key that changes with every change, tracked or untracked.
func TestOpenCheckout(t *testing.T) {
	dir := gitRepo(t)
	commit := run(t, dir, "rev-parse", "HEAD")
	ctx := context.Background()
	clean, err := Open(ctx, Spec{Path: dir}, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if clean.Dir != dir || clean.Commit != commit || clean.Tag != "1.32.0-test" || clean.Dirty || clean.Key() != commit[:12] {
		t.Errorf("clean checkout: %+v, key %s", clean, clean.Key())
	}
	if want := "v0.0.0-" + clean.Time.Format("20060102150405") + "-" + commit[:12]; clean.ModuleVersion() != want {
		t.Errorf("ModuleVersion %s, want %s", clean.ModuleVersion(), want)
	}
	if s := clean.Summary(); !strings.Contains(s, "commit "+commit[:12]) || !strings.Contains(s, "tag 1.32.0-test") || !strings.HasSuffix(s, ", clean") {
		t.Errorf("Summary %q", s)
	}
	write(t, dir, "pilot/pkg/features/pilot.go", "package features\n\nvar X = 1\n")
	dirty, err := Open(ctx, Spec{Path: dir}, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if !dirty.Dirty || !strings.HasPrefix(dirty.Key(), commit[:12]+"-dirty-") || !strings.Contains(dirty.Summary(), "dirty (uncommitted changes sha256 ") {
		t.Errorf("dirty checkout: %+v, key %s, summary %s", dirty, dirty.Key(), dirty.Summary())
	}
	write(t, dir, "pilot/pkg/features/new.go", "package features\n")
	untracked, err := Open(ctx, Spec{Path: dir}, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if untracked.Key() == dirty.Key() {
		t.Errorf("an untracked file left the key %s unchanged", dirty.Key())
	}
	again, _ := Open(ctx, Spec{Path: dir}, t.TempDir())
	if again.Key() != untracked.Key() {
		t.Errorf("the same tree keyed %s then %s", untracked.Key(), again.Key())
	}
	if _, err := Open(ctx, Spec{Path: filepath.Join(dir, "pilot")}, t.TempDir()); err == nil || !strings.Contains(err.Error(), "not its top") {
		t.Errorf("a folder inside the checkout: %v", err)
	}
}

// A revision of a checkout or of a bare git directory is materialized
// once under the cache, keyed by its commit, and is never dirty.
func TestOpenRevision(t *testing.T) {
	dir := gitRepo(t)
	commit := run(t, dir, "rev-parse", "HEAD")
	bare := filepath.Join(t.TempDir(), "repo")
	if out, err := exec.Command("git", "clone", "-q", "--bare", dir, bare).CombinedOutput(); err != nil {
		t.Fatalf("git clone --bare: %v\n%s", err, out)
	}
	write(t, dir, "VERSION", "1.99\n") // a dirty checkout: a revision ignores it
	ctx := context.Background()
	for _, spec := range []Spec{{Path: dir, Rev: "1.32.0-test"}, {Path: bare, Rev: commit[:7]}, {Path: bare, Rev: "HEAD"}} {
		cache := t.TempDir()
		tree, err := Open(ctx, spec, cache)
		if err != nil {
			t.Fatalf("%s: %v", spec, err)
		}
		if tree.Dir != filepath.Join(cache, commit) || tree.Commit != commit || tree.Dirty || tree.Tag != "1.32.0-test" || tree.Key() != commit[:12] {
			t.Errorf("%s: %+v", spec, tree)
		}
		b, err := os.ReadFile(filepath.Join(tree.Dir, "VERSION"))
		if err != nil || string(b) != "1.32\n" {
			t.Errorf("%s: materialized VERSION %q, %v; want the commit's 1.32", spec, b, err)
		}
		if _, err := Open(ctx, spec, cache); err != nil {
			t.Errorf("%s: opening it again: %v", spec, err)
		}
		entries, _ := os.ReadDir(cache)
		if len(entries) != 1 {
			t.Errorf("%s: cache holds %d entries, want the one tree", spec, len(entries))
		}
	}
	if _, err := Open(ctx, Spec{Path: bare, Rev: "no-such-tag"}, t.TempDir()); err == nil || !strings.Contains(err.Error(), "no revision no-such-tag") {
		t.Errorf("an unknown revision: %v", err)
	}
	plain := t.TempDir()
	if _, err := Open(ctx, Spec{Path: plain, Rev: "master"}, t.TempDir()); err == nil || !strings.Contains(err.Error(), "not a git checkout") {
		t.Errorf("a revision of a folder outside git: %v", err)
	}
}

// A folder outside git is identified by its content; one that is not
// Istio is refused.
func TestOpenPlainFolder(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "go.mod", "module istio.io/istio\n")
	ctx := context.Background()
	a, err := Open(ctx, Spec{Path: dir}, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if a.Commit != "" || !strings.HasPrefix(a.Key(), "content-") || !strings.Contains(a.Summary(), "not a git checkout") {
		t.Errorf("plain folder: %+v", a)
	}
	write(t, dir, "VERSION", "1.32\n")
	b, _ := Open(ctx, Spec{Path: dir}, t.TempDir())
	if a.Key() == b.Key() {
		t.Errorf("a new file left the key %s unchanged", a.Key())
	}
	other := t.TempDir()
	write(t, other, "go.mod", "module example.com/fork\n")
	if _, err := Open(ctx, Spec{Path: other}, t.TempDir()); err == nil || !strings.Contains(err.Error(), "not module istio.io/istio") {
		t.Errorf("a tree that is not Istio: %v", err)
	}
}
