package backend

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/listenerlab/listenerlab/internal/realpilot/istiotree"
	"github.com/listenerlab/listenerlab/internal/realpilot/modgen"
	"github.com/listenerlab/listenerlab/predictor/versions"
)

// Versions from a source tree: an --istio value that names a checkout of
// istio/istio (PATH) or a revision of a git checkout or git directory
// (PATH@REV), and catalogued versions built from the istio/istio clone
// (1.32-dev). A revision is materialized under CacheRoot()/trees/COMMIT;
// the backend module replaces istio.io/istio with the tree and is cached
// under CacheRoot()/modules/tree-KEY, KEY being the tree's content
// identity, which is also part of every build's cache key.

// ErrNoClone says a catalogued version built from the istio/istio clone
// has no clone to build from here.
var ErrNoClone = errors.New("no istio/istio clone (set ISTIO_GIT_DIR)")

// CataloguedTree is the catalogued version v built from its source tree:
// the revision v.Tree.Rev of v.Tree.Path, else of the istio/istio clone
// (versions.IstioGitDir). Without the clone it returns an error wrapping
// ErrNoClone.
func CataloguedTree(ctx context.Context, v versions.Version, opts GenerateOptions) (versions.Version, error) {
	path := v.Tree.Path
	if path == "" {
		path = versions.IstioGitDir()
	}
	if _, err := os.Stat(path); err != nil {
		//lint:ignore ST1005 Istio is a name
		return versions.Version{}, fmt.Errorf("Istio %s: %w: %s is missing", v.Label, ErrNoClone, path)
	}
	got, err := TreeVersion(ctx, istiotree.Spec{Path: path, Rev: v.Tree.Rev}, v.Label, opts)
	if err != nil {
		//lint:ignore ST1005 Istio is a name
		return versions.Version{}, fmt.Errorf("Istio %s: %w", v.Label, err)
	}
	if got.Module != v.Module {
		//lint:ignore ST1005 Istio is a name
		return versions.Version{}, fmt.Errorf("Istio %s: the catalog names istio.io/istio %s, but revision %s of %s is %s",
			v.Label, v.Module, v.Tree.Rev, path, got.Module)
	}
	got.Note = v.Note + "; " + got.Note
	return got, nil
}

// TreeVersion opens the source tree of spec and returns it as a Version
// labelled label: its backend module generated on first use (and again
// whenever the tree's content changes), its minor from the tree's VERSION
// file, its gates from its source, its provenance (path, commit, tag,
// clean or dirty) in Note and Tree.
func TreeVersion(ctx context.Context, spec istiotree.Spec, label string, opts GenerateOptions) (versions.Version, error) {
	root, err := CacheRoot()
	if err != nil {
		return versions.Version{}, err
	}
	t, err := istiotree.Open(ctx, spec, filepath.Join(root, "trees"))
	if err != nil {
		return versions.Version{}, err
	}
	deps, err := depTrees(ctx, opts.Replace)
	if err != nil {
		return versions.Version{}, err
	}
	key := treeModuleKey(t, deps)
	dir, err := cachedDir(key)
	if err != nil {
		return versions.Version{}, err
	}
	prov, ok := cachedTreeProvenance(dir)
	if !ok {
		if opts.Progress != nil {
			fmt.Fprintf(opts.Progress, "Istio %s: generating the backend module of %s\n", label, t.Summary())
		}
		m, err := generateTreeModule(ctx, t, opts)
		if err != nil {
			return versions.Version{}, fmt.Errorf("the backend module of %s: %w", t.Summary(), err)
		}
		if err := storeModuleAt(dir, m); err != nil {
			return versions.Version{}, err
		}
		prov = m.Provenance
	}
	v := fromProvenance(label, prov)
	v.Image = ""
	v.Tree = &versions.Tree{Path: spec.Path, Rev: spec.Rev, Commit: t.Commit, Tag: t.Tag, Dirty: t.Dirty, Key: key, Deps: deps}
	if len(deps) > 0 {
		v.Note += "; dependencies from source trees: " + strings.Join(deps, "; ")
	}
	return v, nil
}

// depTrees identifies the dependencies a tree version takes from source
// trees (OLD=DIR replaces whose DIR is a folder): "OLD=DIR (identity)",
// so that a change in such a tree changes the module and build keys.
func depTrees(ctx context.Context, replaces []string) ([]string, error) {
	var out []string
	for _, r := range replaces {
		old, dir, ok := strings.Cut(r, "=")
		if !ok || !(filepath.IsAbs(dir) || strings.HasPrefix(dir, ".")) {
			out = append(out, r)
			continue
		}
		d, err := istiotree.Inspect(ctx, dir)
		if err != nil {
			return nil, fmt.Errorf("--replace %s: %w", r, err)
		}
		out = append(out, fmt.Sprintf("%s=%s (%s)", old, dir, strings.TrimPrefix(d.Summary(), "istio source tree "+dir+", ")))
	}
	return out, nil
}

// treeModuleKey names a tree's cached module: its content identity and
// the folder it is built from (two checkouts of one commit are two
// modules, each replacing istio.io/istio with its own folder).
func treeModuleKey(t istiotree.Tree, deps []string) string {
	h := sha256.Sum256([]byte(t.Dir + "\x00" + strings.Join(deps, "\x00")))
	return "tree-" + t.Key() + "-" + hex.EncodeToString(h[:4])
}

// cachedTreeProvenance reads a tree's cached module's provenance, when
// it is complete: every gate listenerlab knows was read.
func cachedTreeProvenance(dir string) (modgen.Provenance, bool) {
	b, err := os.ReadFile(filepath.Join(dir, "provenance.json"))
	if err != nil {
		return modgen.Provenance{}, false
	}
	var p modgen.Provenance
	if json.Unmarshal(b, &p) != nil || p.Tree == nil || lacksGates(p.Gates) {
		return modgen.Provenance{}, false
	}
	return p, true
}

// generateTreeModule writes the backend module of a tree (modgen).
func generateTreeModule(ctx context.Context, t istiotree.Tree, opts GenerateOptions) (*modgen.Module, error) {
	mo, err := modgenOptions(opts)
	if err != nil {
		return nil, err
	}
	return modgen.GenerateTree(ctx, t, mo)
}

// treeIdentityFile is the file of a tree version's module files that
// carries the tree's identity, so that a changed tree changes every
// build's cache key.
const treeIdentityFile = "istio_tree.txt"

func treeIdentity(t *versions.Tree) []byte {
	return []byte(fmt.Sprintf("path %s\nrev %s\ncommit %s\ndirty %t\nkey %s\ndeps %s\n", t.Path, t.Rev, t.Commit, t.Dirty, t.Key, strings.Join(t.Deps, "; ")))
}
