// Command mkreleases writes predictor/versions/releases_gen.go, the release
// table: for every istio/istio tag from 1.24 on (pre-releases included) and
// master, each version gate as that tree's source decides it, read with
// versions.ReadSource (the markers of source.go, the reader of versions on
// demand). Run by `go generate ./predictor/versions` with ISTIO_GIT_DIR
// naming a clone of istio/istio that holds its tags (default
// /work/.mirror/istio+istio/repo).
package main

import (
	"bytes"
	"flag"
	"fmt"
	"go/format"
	"io/fs"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing/fstest"
	"time"

	"github.com/listenerlab/listenerlab/predictor/versions"
)

// DefaultGitDir is where the project's machines keep a clone of istio/istio.
const DefaultGitDir = "/work/.mirror/istio+istio/repo"

// GitDir is the istio/istio git directory to read: ISTIO_GIT_DIR, else
// DefaultGitDir.
func GitDir() string {
	if d := os.Getenv("ISTIO_GIT_DIR"); d != "" {
		return d
	}
	return DefaultGitDir
}

func main() {
	out := flag.String("o", "releases_gen.go", "file to write")
	flag.Parse()
	rs, err := Derive(GitDir())
	if err != nil {
		fmt.Fprintf(os.Stderr, "mkreleases: %v\n", err)
		os.Exit(1)
	}
	src, err := Render(GitDir(), rs)
	if err != nil {
		fmt.Fprintf(os.Stderr, "mkreleases: %v\n", err)
		os.Exit(1)
	}
	if err := os.WriteFile(*out, src, 0o644); err != nil {
		fmt.Fprintf(os.Stderr, "mkreleases: %v\n", err)
		os.Exit(1)
	}
}

// releaseTag matches the Istio tags the table holds: 1.N.P and its
// pre-releases (1.31.0-rc.0), N >= 24.
var releaseTag = regexp.MustCompile(`^1\.(\d+)\.\d+(?:-(?:alpha|beta|rc)\.\d+)?$`)

// firstMinor is the oldest minor in the table: the catalog's oldest.
const firstMinor = 24

// Derive reads every release tag and master of the git directory.
func Derive(gitDir string) ([]versions.Release, error) {
	out, err := git(gitDir, "tag", "--list", "1.*")
	if err != nil {
		return nil, err
	}
	var tags []string
	for _, t := range strings.Fields(string(out)) {
		if m := releaseTag.FindStringSubmatch(t); m != nil {
			if n, _ := strconv.Atoi(m[1]); n >= firstMinor {
				tags = append(tags, t)
			}
		}
	}
	slices.SortFunc(tags, versions.CompareReleases)
	var rs []versions.Release
	for _, t := range append(tags, versions.Master) {
		r, err := derive(gitDir, t)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", t, err)
		}
		rs = append(rs, r)
	}
	return rs, nil
}

// derive reads one tag (or master): its commit, date, minor and gates.
func derive(gitDir, tag string) (versions.Release, error) {
	out, err := git(gitDir, "log", "-1", "--format=%H %ct", tag+"^{commit}")
	if err != nil {
		return versions.Release{}, err
	}
	commit, secs, _ := strings.Cut(strings.TrimSpace(string(out)), " ")
	unix, err := strconv.ParseInt(secs, 10, 64)
	if err != nil {
		return versions.Release{}, fmt.Errorf("commit time %q: %w", secs, err)
	}
	tree := &gitTree{dir: gitDir, rev: commit}
	minor, err := minorOf(tree, tag)
	if err != nil {
		return versions.Release{}, err
	}
	gates, err := versions.ReadSource(tree)
	if err != nil {
		return versions.Release{}, err
	}
	r := versions.Release{Tag: tag, Commit: commit, Time: time.Unix(unix, 0).UTC(), Minor: minor, Source: gates}
	for _, g := range versions.Gates() {
		if _, ok := gates[g]; !ok {
			r.Undecided = append(r.Undecided, g)
		}
	}
	return r, nil
}

// minorOf is a tag's minor, or master's from its VERSION file ("1.32").
func minorOf(tree *gitTree, tag string) (int, error) {
	text := tag
	if tag == versions.Master {
		b, err := tree.ReadFile("VERSION")
		if err != nil {
			return 0, fmt.Errorf("master's minor: %w", err)
		}
		text = strings.TrimSpace(string(b))
	}
	var major, minor int
	if _, err := fmt.Sscanf(text, "%d.%d", &major, &minor); err != nil || major != 1 {
		return 0, fmt.Errorf("%q is not a 1.N version", text)
	}
	return minor, nil
}

// gitTree is one commit of a git directory as an fs.FS, for ReadSource.
type gitTree struct {
	dir, rev string
}

// ReadFile reads a file of the tree; a path the tree lacks is
// fs.ErrNotExist.
func (t *gitTree) ReadFile(name string) ([]byte, error) {
	if !fs.ValidPath(name) {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrInvalid}
	}
	ls, err := git(t.dir, "ls-tree", "--name-only", t.rev, "--", name)
	if err != nil {
		return nil, err
	}
	if strings.TrimSpace(string(ls)) != name {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
	}
	return git(t.dir, "cat-file", "blob", t.rev+":"+name)
}

// Open opens a file of the tree (fs.FS); ReadSource reads through ReadFile.
func (t *gitTree) Open(name string) (fs.File, error) {
	b, err := t.ReadFile(name)
	if err != nil {
		return nil, err
	}
	return fstest.MapFS{name: {Data: b}}.Open(name)
}

func git(dir string, args ...string) ([]byte, error) {
	var stderr bytes.Buffer
	cmd := exec.Command("git", append([]string{"--git-dir", dir}, args...)...)
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("git %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return out, nil
}

// Render writes the table as Go source.
func Render(gitDir string, rs []versions.Release) ([]byte, error) {
	var b bytes.Buffer
	fmt.Fprintf(&b, `// Code generated by predictor/versions/internal/mkreleases; DO NOT EDIT.
//
// How it was made: every tag of istio/istio from 1.%d.0 on (releases and
// their alpha, beta and rc pre-releases) and master, read from a clone of
// github.com/istio/istio (%s) with `+"`go generate ./predictor/versions`"+`
// (ISTIO_GIT_DIR names the clone). Each gate is what versions.ReadSource,
// the reader of versions on demand, finds in that tree with the markers of
// source.go; Undecided lists the gates whose marker found neither form (the
// code moved): they follow the minor's rule. TestReleaseTable
// (internal/mkreleases) derives it again wherever a clone is at hand.

package versions

`, firstMinor, gitDir)
	b.WriteString("// releases is the release table, oldest first, master last.\nvar releases = []Release{\n")
	for _, r := range rs {
		fmt.Fprintf(&b, "\t{Tag: %q, Commit: %q, Time: time.Date(%d, %d, %d, %d, %d, %d, 0, time.UTC), Minor: %d,\n\t\tSource: map[Gate]bool{",
			r.Tag, r.Commit, r.Time.Year(), r.Time.Month(), r.Time.Day(), r.Time.Hour(), r.Time.Minute(), r.Time.Second(), r.Minor)
		var decided, undecided []string
		for _, g := range versions.Gates() {
			if has, ok := r.Source[g]; ok {
				decided = append(decided, fmt.Sprintf("Gate%s: %t", g, has))
			}
		}
		for _, g := range r.Undecided {
			undecided = append(undecided, "Gate"+string(g))
		}
		b.WriteString(strings.Join(decided, ", ") + "}")
		if len(undecided) > 0 {
			fmt.Fprintf(&b, ",\n\t\tUndecided: []Gate{%s}", strings.Join(undecided, ", "))
		}
		b.WriteString("},\n")
	}
	b.WriteString("}\n")
	src := bytes.Replace(b.Bytes(), []byte("package versions\n"), []byte("package versions\n\nimport \"time\"\n"), 1)
	return format.Source(src)
}
