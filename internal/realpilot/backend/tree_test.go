package backend

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/listenerlab/listenerlab/internal/realpilot/gobuild"
	"github.com/listenerlab/listenerlab/predictor/versions"
)

// A tree version's build key follows the tree's content identity: the
// same generated module with another key (a new commit, or the same
// commit with other uncommitted changes) builds anew.
func TestTreeBuildKey(t *testing.T) {
	cache := t.TempDir()
	t.Setenv("LISTENERLAB_CACHE", cache)
	const module = "v0.0.0-20260822200018-86c9f01fd735"
	keys := []string{"tree-86c9f01fd735-0a1b2c3d", "tree-86c9f01fd735-dirty-0123456789abcdef-0a1b2c3d"}
	for _, k := range keys {
		dir := filepath.Join(cache, "modules", k)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module listenerlab.dev/pilotbackend\n\nrequire istio.io/istio "+module+"\n\nreplace istio.io/istio => /src/istio\n"), 0o644)
		os.WriteFile(filepath.Join(dir, "go.sum"), nil, 0o644)
	}
	var got []string
	for i, k := range keys {
		v := versions.Version{Label: "/src/istio", Module: module, Minor: 32,
			Tree: &versions.Tree{Path: "/src/istio", Commit: "86c9f01fd735fb01d8192f5bcaf0d424afb7f14c", Dirty: i == 1, Key: k}}
		files, err := moduleFiles(v)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(files[treeIdentityFile]), "key "+k+"\n") {
			t.Errorf("%s: %s is %q", k, treeIdentityFile, files[treeIdentityFile])
		}
		got = append(got, gobuild.Key(files, buildTags(v), "go1.99"))
	}
	if got[0] == got[1] {
		t.Errorf("a clean and a dirty tree share the build key %s", got[0])
	}
	if l := FileLabel(versions.Version{Label: "/work/.mirror/istio+istio/repo@86c9f01"}); strings.ContainsAny(l, "/@+") {
		t.Errorf("cacheLabel kept separators: %s", l)
	}
}

// Where no istio/istio clone is at hand, a catalogued version built from
// it is refused with ErrNoClone, which verify prints as a one-line skip.
func TestCataloguedTreeWithoutClone(t *testing.T) {
	t.Setenv("ISTIO_GIT_DIR", filepath.Join(t.TempDir(), "missing"))
	t.Setenv("LISTENERLAB_CACHE", t.TempDir())
	v, err := versions.Lookup("1.32-dev")
	if err != nil {
		t.Fatal(err)
	}
	_, err = Version(context.Background(), v.Label, GenerateOptions{})
	if !errors.Is(err, ErrNoClone) || !strings.Contains(err.Error(), "Istio 1.32-dev: no istio/istio clone (set ISTIO_GIT_DIR)") {
		t.Errorf("Version(1.32-dev) without a clone: %v", err)
	}
}

// A path that is no tree is one line naming it, before any module work.
func TestTreeVersionBadPath(t *testing.T) {
	t.Setenv("LISTENERLAB_CACHE", t.TempDir())
	missing := filepath.Join(t.TempDir(), "istio")
	_, err := Version(context.Background(), missing+"@1.30.2", GenerateOptions{})
	if err == nil || !strings.Contains(err.Error(), "istio source tree") || strings.Contains(err.Error(), "\n") {
		t.Errorf("Version of a missing tree: %v", err)
	}
}

// A dependency taken from a source tree (--replace MODULE=DIR) is named
// with its identity, which changes with its content and so changes the
// tree version's module key; a module-version replace is kept as given.
func TestDepTrees(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module istio.io/api\n"), 0o644)
	ctx := context.Background()
	a, err := depTrees(ctx, []string{"istio.io/api=" + dir, "golang.org/x/net=golang.org/x/net@v0.1.0"})
	if err != nil {
		t.Fatal(err)
	}
	if len(a) != 2 || !strings.HasPrefix(a[0], "istio.io/api="+dir+" (") || a[1] != "golang.org/x/net=golang.org/x/net@v0.1.0" {
		t.Errorf("depTrees = %q", a)
	}
	os.WriteFile(filepath.Join(dir, "types.go"), []byte("package api\n"), 0o644)
	b, _ := depTrees(ctx, []string{"istio.io/api=" + dir})
	if a[0] == b[0] {
		t.Errorf("a changed dependency tree kept its identity %q", a[0])
	}
	if _, err := depTrees(ctx, []string{"istio.io/api=" + filepath.Join(dir, "missing")}); err == nil {
		t.Error("a missing dependency tree: no error")
	}
}
