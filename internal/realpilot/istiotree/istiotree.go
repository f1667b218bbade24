// Package istiotree takes an Istio source tree as a version: an --istio
// value that names a checkout of istio/istio (PATH), or a tag or commit of
// a git checkout or bare git directory (PATH@REV). It parses such values,
// materializes a revision into a cache folder keyed by its commit (git
// archive), and says what the tree is: its commit, tag, whether the
// checkout has uncommitted changes and a hash of them. The backend module
// of a tree (modgen.GenerateTree) replaces istio.io/istio with the tree,
// and the tree's Key is part of its build's cache key, so a changed tree
// rebuilds.
package istiotree

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Spec is an --istio value that names a source tree.
type Spec struct {
	// Path is the tree's directory (a checkout, or a git directory when
	// Rev is set), absolute.
	Path string
	// Rev is the tag, branch or commit to take from Path's git history;
	// empty means the checkout as it is on disk.
	Rev string
}

// String renders the spec as it is typed.
func (s Spec) String() string {
	if s.Rev == "" {
		return s.Path
	}
	return s.Path + "@" + s.Rev
}

// IsPath reports whether an --istio value is meant as a path: it holds a
// path separator or starts with "." or "~". Catalog labels, releases and
// module versions never do.
func IsPath(value string) bool {
	return strings.ContainsAny(value, `/\`) || strings.HasPrefix(value, ".") || strings.HasPrefix(value, "~")
}

// Parse reads an --istio value that IsPath: PATH, or PATH@REV when the
// text before the last "@" is a directory (a path may itself hold an "@").
// The directory must exist.
func Parse(value string) (Spec, error) {
	value = strings.TrimSpace(value)
	if strings.HasPrefix(value, "~/") {
		if home, err := os.UserHomeDir(); err == nil {
			value = filepath.Join(home, value[2:])
		}
	}
	path, rev := value, ""
	if i := strings.LastIndex(value, "@"); i > 0 {
		if st, err := os.Stat(value[:i]); err == nil && st.IsDir() {
			path, rev = value[:i], value[i+1:]
			if rev == "" {
				return Spec{}, fmt.Errorf("istio source tree %q: nothing after @ (give PATH@TAG or PATH@COMMIT)", value)
			}
		}
	}
	st, err := os.Stat(path)
	if err != nil {
		return Spec{}, fmt.Errorf("istio source tree %q: %w", value, err)
	}
	if !st.IsDir() {
		return Spec{}, fmt.Errorf("istio source tree %q: %s is not a directory", value, path)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return Spec{}, fmt.Errorf("istio source tree %q: %w", value, err)
	}
	return Spec{Path: abs, Rev: rev}, nil
}

// Tree is a source tree ready to build, and what it is.
type Tree struct {
	// Spec is what was asked for.
	Spec Spec
	// Dir is the tree to build: the checkout itself, or the revision
	// materialized in the cache.
	Dir string
	// Commit is the full commit hash; empty for a directory outside git.
	Commit string
	// Time is the commit's time (UTC); zero outside git.
	Time time.Time
	// Tag is a tag that points at Commit ("" when none does).
	Tag string
	// Dirty reports uncommitted changes (tracked or untracked files) in a
	// checkout; a materialized revision is never dirty.
	Dirty bool
	// ContentHash is the sha256 of the uncommitted changes of a dirty
	// checkout, or of every file of a tree outside git; empty otherwise.
	ContentHash string
}

// Key is the tree's content identity, for cache keys: the commit, plus
// the hash of its uncommitted changes when dirty; a tree outside git is
// its content hash.
func (t Tree) Key() string {
	switch {
	case t.Commit == "":
		return "content-" + t.ContentHash[:16]
	case t.Dirty:
		return t.Commit[:12] + "-dirty-" + t.ContentHash[:16]
	}
	return t.Commit[:12]
}

// ModuleVersion is the istio.io/istio pseudo-version the backend module
// requires for the tree (replaced by the tree itself): the commit's, as
// the module proxy would name it; v0.0.0-00010101000000-000000000000
// outside git.
func (t Tree) ModuleVersion() string {
	if t.Commit == "" {
		return "v0.0.0-00010101000000-000000000000"
	}
	return fmt.Sprintf("v0.0.0-%s-%s", t.Time.UTC().Format("20060102150405"), t.Commit[:12])
}

// Summary is the tree's provenance in one line: path, revision, commit,
// tag, clean or dirty.
func (t Tree) Summary() string {
	var b strings.Builder
	fmt.Fprintf(&b, "istio source tree %s", t.Spec)
	switch {
	case t.Commit == "":
		fmt.Fprintf(&b, " (not a git checkout; content sha256 %s)", t.ContentHash[:16])
		return b.String()
	default:
		fmt.Fprintf(&b, ", commit %s of %s", t.Commit[:12], t.Time.UTC().Format(time.DateOnly))
	}
	if t.Tag != "" {
		fmt.Fprintf(&b, ", tag %s", t.Tag)
	} else {
		b.WriteString(", no tag")
	}
	if t.Dirty {
		fmt.Fprintf(&b, ", dirty (uncommitted changes sha256 %s)", t.ContentHash[:16])
	} else {
		b.WriteString(", clean")
	}
	return b.String()
}

// Open makes the tree of spec ready to build: a revision is materialized
// under cacheDir/COMMIT (once; later calls reuse it), a checkout is used
// in place. Either must hold Istio's go.mod (module istio.io/istio).
func Open(ctx context.Context, spec Spec, cacheDir string) (Tree, error) {
	t := Tree{Spec: spec, Dir: spec.Path}
	var err error
	if spec.Rev != "" {
		err = t.materialize(ctx, cacheDir)
	} else {
		err = t.inspect(ctx)
	}
	if err != nil {
		return Tree{}, fmt.Errorf("istio source tree %s: %w", spec, err)
	}
	mod, err := os.ReadFile(filepath.Join(t.Dir, "go.mod"))
	if err != nil {
		return Tree{}, fmt.Errorf("istio source tree %s: %w", spec, err)
	}
	if m := moduleLine.FindSubmatch(mod); m == nil || string(m[1]) != "istio.io/istio" {
		return Tree{}, fmt.Errorf("istio source tree %s: its go.mod is not module istio.io/istio", spec)
	}
	return t, nil
}

// Inspect identifies a checkout or folder as it is on disk, whatever
// module it holds: for a dependency's source tree given beside an Istio
// tree (its Key goes into the Istio tree's cache keys).
func Inspect(ctx context.Context, dir string) (Tree, error) {
	t := Tree{Spec: Spec{Path: dir}, Dir: dir}
	if err := t.inspect(ctx); err != nil {
		return Tree{}, fmt.Errorf("source tree %s: %w", dir, err)
	}
	return t, nil
}

var moduleLine = regexp.MustCompile(`(?m)^module\s+(\S+)\s*$`)

// git runs git with args and returns its stdout; an error carries its
// stderr.
func git(ctx context.Context, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, "git", args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("git %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return stdout.Bytes(), nil
}

// commitInfo fills Commit, Time and Tag for rev of the git directory.
func (t *Tree) commitInfo(ctx context.Context, gitDir, rev string) error {
	out, err := git(ctx, "--git-dir="+gitDir, "log", "-1", "--format=%H %ct", rev+"^{commit}", "--")
	if err != nil {
		return err
	}
	commit, secs, _ := strings.Cut(strings.TrimSpace(string(out)), " ")
	unix, err := strconv.ParseInt(secs, 10, 64)
	if err != nil {
		return fmt.Errorf("commit time %q: %w", secs, err)
	}
	t.Commit, t.Time = commit, time.Unix(unix, 0).UTC()
	tags, err := git(ctx, "--git-dir="+gitDir, "tag", "--points-at", commit)
	if err != nil {
		return err
	}
	if ts := strings.Fields(string(tags)); len(ts) > 0 {
		sort.Strings(ts)
		t.Tag = ts[0]
		for _, tag := range ts {
			if tag == rev {
				t.Tag = tag
			}
		}
	}
	return nil
}

// gitDirOf is the git directory of path (a checkout or a bare git
// directory), or "" when path is in no git repository.
func gitDirOf(ctx context.Context, path string) string {
	out, err := git(ctx, "-C", path, "rev-parse", "--absolute-git-dir")
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(out))
}

// inspect reads a checkout in place: its HEAD, and its uncommitted
// changes; a directory outside git is identified by its content.
func (t *Tree) inspect(ctx context.Context) error {
	gitDir := gitDirOf(ctx, t.Dir)
	if gitDir == "" {
		h, err := hashDir(t.Dir)
		t.ContentHash = h
		return err
	}
	top, err := git(ctx, "-C", t.Dir, "rev-parse", "--show-toplevel")
	if err != nil {
		return err
	}
	if filepath.Clean(strings.TrimSpace(string(top))) != filepath.Clean(t.Dir) {
		return fmt.Errorf("it is inside the checkout %s, not its top: give the checkout", strings.TrimSpace(string(top)))
	}
	if err := t.commitInfo(ctx, gitDir, "HEAD"); err != nil {
		return err
	}
	status, err := git(ctx, "-C", t.Dir, "status", "--porcelain", "--untracked-files=all")
	if err != nil {
		return err
	}
	if len(bytes.TrimSpace(status)) == 0 {
		return nil
	}
	t.Dirty = true
	t.ContentHash, err = hashChanges(ctx, t.Dir)
	return err
}

// hashChanges hashes a checkout's uncommitted changes: the diff of its
// tracked files against HEAD, then each untracked file's name and content.
func hashChanges(ctx context.Context, dir string) (string, error) {
	h := sha256.New()
	diff, err := git(ctx, "-C", dir, "diff", "HEAD", "--binary")
	if err != nil {
		return "", err
	}
	h.Write(diff)
	others, err := git(ctx, "-C", dir, "ls-files", "--others", "--exclude-standard", "-z")
	if err != nil {
		return "", err
	}
	names := strings.Split(strings.TrimRight(string(others), "\x00"), "\x00")
	sort.Strings(names)
	for _, name := range names {
		if name == "" {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			return "", fmt.Errorf("hashing the untracked file %s: %w", name, err)
		}
		fmt.Fprintf(h, "\x00%s\x00%d\x00", name, len(b))
		h.Write(b)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// hashDir hashes every regular file under dir (names and contents, in
// lexical order; .git folders left out).
func hashDir(dir string) (string, error) {
	h := sha256.New()
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && d.Name() == ".git" {
			return filepath.SkipDir
		}
		if !d.Type().IsRegular() {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		fmt.Fprintf(h, "\x00%s\x00%d\x00", filepath.ToSlash(rel), len(b))
		h.Write(b)
		return nil
	})
	if err != nil {
		return "", fmt.Errorf("hashing the tree: %w", err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// materialize resolves Rev in Path's git history and writes that commit's
// tree to cacheDir/COMMIT with git archive, through a temporary folder and
// a rename, unless it is there already.
func (t *Tree) materialize(ctx context.Context, cacheDir string) error {
	gitDir := gitDirOf(ctx, t.Spec.Path)
	if gitDir == "" {
		return fmt.Errorf("%s is not a git checkout or git directory, so it has no revision %s", t.Spec.Path, t.Spec.Rev)
	}
	if err := t.commitInfo(ctx, gitDir, t.Spec.Rev); err != nil {
		return fmt.Errorf("no revision %s: %w", t.Spec.Rev, err)
	}
	t.Dir = filepath.Join(cacheDir, t.Commit)
	if _, err := os.Stat(filepath.Join(t.Dir, "go.mod")); err == nil {
		return nil
	}
	if err := os.MkdirAll(cacheDir, 0o755); err != nil {
		return fmt.Errorf("making the tree cache: %w", err)
	}
	tmp, err := os.MkdirTemp(cacheDir, ".tmp-")
	if err != nil {
		return fmt.Errorf("making the tree cache: %w", err)
	}
	defer os.RemoveAll(tmp)
	if err := archive(ctx, gitDir, t.Commit, tmp); err != nil {
		return err
	}
	if err := os.Rename(tmp, t.Dir); err != nil {
		if _, serr := os.Stat(filepath.Join(t.Dir, "go.mod")); serr == nil {
			return nil // another process materialized it first
		}
		return fmt.Errorf("storing the tree in %s: %w", t.Dir, err)
	}
	return nil
}

// archive extracts `git archive COMMIT` into dir.
func archive(ctx context.Context, gitDir, commit, dir string) error {
	cmd := exec.CommandContext(ctx, "git", "--git-dir="+gitDir, "archive", "--format=tar", commit)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("git archive: %w", err)
	}
	xerr := extract(tar.NewReader(out), dir)
	_, _ = io.Copy(io.Discard, out)
	if err := cmd.Wait(); err != nil {
		return fmt.Errorf("git archive %s: %w: %s", commit, err, strings.TrimSpace(stderr.String()))
	}
	if xerr != nil {
		return fmt.Errorf("extracting git archive %s: %w", commit, xerr)
	}
	return nil
}

// extract writes a tar stream's directories, files and symbolic links
// under dir, refusing names that leave it.
func extract(tr *tar.Reader, dir string) error {
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		name := filepath.Clean(filepath.FromSlash(hdr.Name))
		if name == "." || filepath.IsAbs(name) || strings.HasPrefix(name, ".."+string(filepath.Separator)) || name == ".." {
			continue
		}
		dst := filepath.Join(dir, name)
		switch hdr.Typeflag {
		case tar.TypeDir:
			err = os.MkdirAll(dst, 0o755)
		case tar.TypeReg:
			err = writeFile(dst, tr, fs.FileMode(hdr.Mode)&0o777)
		case tar.TypeSymlink:
			if err = os.MkdirAll(filepath.Dir(dst), 0o755); err == nil {
				err = os.Symlink(hdr.Linkname, dst)
			}
		}
		if err != nil {
			return err
		}
	}
}

func writeFile(dst string, r io.Reader, mode fs.FileMode) error {
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	f, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, mode|0o200)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, r); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
