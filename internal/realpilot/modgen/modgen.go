// Package modgen writes the Go module of a pilot backend for one
// istio.io/istio module version: Istio's own go.mod (its require block and
// replaces) and go.sum, the backend program, then `go mod tidy`. A pin the
// module proxy refuses is replaced by the nearest served version by date,
// and every replacement is recorded in the module's Provenance. It is the
// one place that makes module files: `listenerlab versions add` uses it for
// the catalog's internal/realpilot/backend/modules, and --istio with a
// version the catalog lacks uses it for the cache.
package modgen

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/listenerlab/listenerlab/internal/realpilot/istiotree"
	"github.com/listenerlab/listenerlab/predictor/versions"
)

// IstioModule is the module path of Istio.
const IstioModule = "istio.io/istio"

// BackendModule is the module path the generated go.mod declares.
const BackendModule = "listenerlab.dev/pilotbackend"

// Replacement is one dependency pin the module proxy refused, and what
// replaced it.
type Replacement struct {
	// Path is the module path, e.g. istio.io/api.
	Path string `json:"path"`
	// Pinned is the version Istio's go.mod requires.
	Pinned string `json:"pinned"`
	// PinnedTime is the pinned version's date where its name carries one.
	PinnedTime time.Time `json:"pinnedTime,omitzero"`
	// Used is the served version that replaced it.
	Used string `json:"used"`
	// UsedTime is the date of Used.
	UsedTime time.Time `json:"usedTime,omitzero"`
	// Refusal is the go command's error for the pinned version.
	Refusal string `json:"refusal"`
}

// String renders a replacement as the catalog notes do.
func (r Replacement) String() string {
	return fmt.Sprintf("%s %s (pinned %s%s)", r.Path, withDate(r.Used, r.UsedTime), r.Pinned, dateSuffix(r.PinnedTime))
}

func withDate(v string, t time.Time) string { return v + dateSuffix(t) }

func dateSuffix(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return " of " + t.UTC().Format("2006-01-02")
}

// Provenance says where a backend module comes from.
type Provenance struct {
	// Query is what the user asked for: a module version, a commit or a
	// release number.
	Query string `json:"query"`
	// Module is the istio.io/istio module version the query resolved to.
	Module string `json:"module"`
	// Time is the commit date of Module.
	Time time.Time `json:"time"`
	// Minor is the Istio minor version, for the predictor's version gates.
	Minor int `json:"minor"`
	// MinorFrom says where Minor comes from (the VERSION file, else the
	// istio.io/api pin).
	MinorFrom string `json:"minorFrom"`
	// Gates are the predictor's version gates as the module's Istio
	// source decides them (versions.ReadSource); they win over the minor.
	Gates map[versions.Gate]bool `json:"gates,omitempty"`
	// Replacements are the pins the module proxy refused.
	Replacements []Replacement `json:"replacements,omitempty"`
	// GoVersion is the go command that tidied the module.
	GoVersion string `json:"goVersion"`
	// Tree, for a module generated from an Istio source tree
	// (GenerateTree), is that tree: the module replaces istio.io/istio
	// with Tree.Dir.
	Tree *istiotree.Tree `json:"tree,omitempty"`
}

// Summary is the one-line provenance shown wherever results print.
func (p Provenance) Summary() string {
	var b strings.Builder
	if p.Tree != nil {
		fmt.Fprintf(&b, "%s, minor 1.%d from %s", p.Tree.Summary(), p.Minor, p.MinorFrom)
	} else {
		fmt.Fprintf(&b, "istio.io/istio %s of %s, minor 1.%d from %s", p.Module, p.Time.UTC().Format("2006-01-02"), p.Minor, p.MinorFrom)
	}
	if differ := (versions.Version{Minor: p.Minor, Source: p.Gates}).FromSource(); len(differ) > 0 {
		fmt.Fprintf(&b, ", unlike other 1.%d its source has %s", p.Minor, strings.Join(differ, ", "))
	}
	if len(p.Replacements) == 0 {
		b.WriteString(", no replacements")
		return b.String()
	}
	b.WriteString(", replacements for pins the module proxy refused: ")
	for i, r := range p.Replacements {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(r.String())
	}
	return b.String()
}

// Module is a generated backend module.
type Module struct {
	GoMod, GoSum []byte
	Provenance   Provenance
}

// Options tunes Generate.
type Options struct {
	// Program holds the backend program's sources by file name (no go.mod).
	Program map[string][]byte
	// VersionFile renders the generated version file for a minor.
	VersionFile func(minor int) []byte
	// Replace are extra `go mod edit -replace` values, applied before the
	// proxy check (what mkmodule.sh took as arguments).
	Replace []string
	// Go is the go command; empty means "go".
	Go string
	// Progress receives a line per step; nil discards them.
	Progress io.Writer
	// Nice, when above zero, runs go mod tidy at that niceness.
	Nice int
	// Known lists further versions of a module known to have been served,
	// e.g. the pins of the catalog's other modules: candidates for
	// replacing a refused pin besides the module's tags, its latest
	// version and the versions the module cache and go.sum hold.
	Known func(path string) []string
}

func (o Options) goCmd() string {
	if o.Go == "" {
		return "go"
	}
	return o.Go
}

func (o Options) logf(format string, args ...any) {
	if o.Progress != nil {
		fmt.Fprintf(o.Progress, "modgen: "+format+"\n", args...)
	}
}

// download is the part of `go mod download -json` output used here.
type download struct {
	Path, Version, Dir, Info, Error string
}

// Generate resolves query (a pseudo-version, a commit or a release number
// the module proxy resolves) to an istio.io/istio module version and writes
// its backend module.
func Generate(ctx context.Context, query string, opts Options) (*Module, error) {
	work, err := os.MkdirTemp("", "listenerlab-modgen-")
	if err != nil {
		return nil, fmt.Errorf("making a folder for the module: %w", err)
	}
	defer os.RemoveAll(work)

	opts.logf("resolving istio.io/istio@%s with the module proxy", query)
	dls, err := opts.download(ctx, work, IstioModule+"@"+query)
	if err != nil {
		return nil, err
	}
	src := dls[0]
	if src.Error != "" {
		hint := ""
		if strings.Contains(src.Error, "sumdb") {
			hint = " (the checksum database lacks it: GONOSUMDB=istio.io trusts the module proxy's copy, as 1.27 needed)"
		}
		return nil, fmt.Errorf("the module proxy does not serve istio.io/istio@%s: %s%s", query, src.Error, hint)
	}
	prov := Provenance{Query: query, Module: src.Version, Time: versionTime(src.Version, src.Info)}
	return opts.generate(ctx, work, src.Dir, prov)
}

// GenerateTree writes the backend module of an Istio source tree: the
// tree's go.mod and go.sum as Generate takes them from the module proxy,
// with istio.io/istio required at the tree's commit and replaced by the
// tree itself; the other pins are checked and replaced as Generate does.
func GenerateTree(ctx context.Context, t istiotree.Tree, opts Options) (*Module, error) {
	work, err := os.MkdirTemp("", "listenerlab-modgen-")
	if err != nil {
		return nil, fmt.Errorf("making a folder for the module: %w", err)
	}
	defer os.RemoveAll(work)
	opts.logf("generating the backend module of %s", t.Summary())
	prov := Provenance{Query: t.Spec.String(), Module: t.ModuleVersion(), Time: t.Time, Tree: &t}
	return opts.generate(ctx, work, t.Dir, prov)
}

// generate writes the backend module in work from Istio's source in src:
// its go.mod (renamed), go.sum, the program and the version file; then
// requires istio.io/istio at prov.Module (replaced by the tree for a
// source tree), replaces the refused pins and tidies.
func (opts Options) generate(ctx context.Context, work, src string, prov Provenance) (*Module, error) {
	what := "istio.io/istio@" + prov.Module
	if prov.Tree != nil {
		what = prov.Tree.Spec.String()
	}
	mod, err := os.ReadFile(filepath.Join(src, "go.mod"))
	if err != nil {
		return nil, fmt.Errorf("reading %s's go.mod: %w", what, err)
	}
	sum, err := os.ReadFile(filepath.Join(src, "go.sum"))
	if err != nil {
		return nil, fmt.Errorf("reading %s's go.sum: %w", what, err)
	}
	versionFile, _ := os.ReadFile(filepath.Join(src, "VERSION"))
	prov.Minor, prov.MinorFrom, err = Minor(versionFile, mod)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	if prov.Gates, err = versions.ReadSource(os.DirFS(src)); err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	opts.logf("%s of %s, minor 1.%d from %s", what, prov.Time.UTC().Format("2006-01-02"), prov.Minor, prov.MinorFrom)

	mod = regexp.MustCompile(`(?m)^module\s+istio\.io/istio\s*$`).ReplaceAll(mod, []byte("module "+BackendModule))
	files := map[string][]byte{"go.mod": mod, "go.sum": sum}
	for name, b := range opts.Program {
		files[name] = b
	}
	if opts.VersionFile != nil {
		files["version_gen.go"] = opts.VersionFile(prov.Minor)
	}
	for name, b := range files {
		if err := os.WriteFile(filepath.Join(work, name), b, 0o644); err != nil {
			return nil, fmt.Errorf("writing %s: %w", name, err)
		}
	}
	if _, err := opts.run(ctx, work, nil, "mod", "edit", "-require="+IstioModule+"@"+prov.Module); err != nil {
		return nil, err
	}
	replaces := opts.Replace
	if prov.Tree != nil {
		replaces = append([]string{IstioModule + "=" + prov.Tree.Dir}, replaces...)
	}
	for _, r := range replaces {
		if _, err := opts.run(ctx, work, nil, "mod", "edit", "-replace="+r); err != nil {
			return nil, err
		}
	}
	if prov.Replacements, err = opts.replaceRefused(ctx, work); err != nil {
		return nil, err
	}
	opts.logf("go mod tidy (downloads Istio's dependencies: minutes the first time)")
	tidy := []string{"mod", "tidy"}
	if _, err := opts.run(ctx, work, []string{"GOFLAGS=-mod=mod"}, tidy...); err != nil {
		return nil, err
	}
	out := &Module{Provenance: prov}
	if out.GoMod, err = os.ReadFile(filepath.Join(work, "go.mod")); err != nil {
		return nil, fmt.Errorf("reading the tidied go.mod: %w", err)
	}
	if out.GoSum, err = os.ReadFile(filepath.Join(work, "go.sum")); err != nil {
		return nil, fmt.Errorf("reading the tidied go.sum: %w", err)
	}
	if v, err := opts.run(ctx, work, nil, "env", "GOVERSION"); err == nil {
		out.Provenance.GoVersion = strings.TrimSpace(v)
	}
	return out, nil
}

// ReadGates decides the predictor's version gates from the source of an
// istio.io/istio module version (downloaded, or read from the module
// cache): for modules generated before provenance recorded them.
func ReadGates(ctx context.Context, module string, opts Options) (map[versions.Gate]bool, error) {
	work, err := os.MkdirTemp("", "listenerlab-modgen-")
	if err != nil {
		return nil, fmt.Errorf("making a folder for the download: %w", err)
	}
	defer os.RemoveAll(work)
	dls, err := opts.download(ctx, work, IstioModule+"@"+module)
	if err != nil {
		return nil, err
	}
	if dls[0].Error != "" {
		return nil, fmt.Errorf("reading the source of istio.io/istio@%s: %s", module, dls[0].Error)
	}
	gates, err := versions.ReadSource(os.DirFS(dls[0].Dir))
	if err != nil {
		return nil, fmt.Errorf("istio.io/istio@%s: %w", module, err)
	}
	return gates, nil
}

// Minor decides the Istio minor version of a module: its VERSION file
// ("1.31"), which is what Istio's own build stamps (Makefile.core.mk
// appends -dev on branches), else the minor of the istio.io/api pin, which
// lags on master right after a branch cut (the 2026-04-23 master snapshot
// says VERSION 1.31 and pins istio.io/api v1.30.0-alpha pre-releases).
func Minor(versionFile, goMod []byte) (int, string, error) {
	v := strings.TrimSpace(string(versionFile))
	if m := regexp.MustCompile(`^1\.(\d+)`).FindStringSubmatch(v); m != nil {
		n, _ := strconv.Atoi(m[1])
		return n, "VERSION " + v, nil
	}
	if m := regexp.MustCompile(`(?m)^\s*(?:require\s+)?istio\.io/api\s+(v1\.(\d+)\.\S*)`).FindSubmatch(goMod); m != nil {
		n, _ := strconv.Atoi(string(m[2]))
		return n, "the istio.io/api pin " + string(m[1]), nil
	}
	return 0, "", errors.New("neither a VERSION file nor an istio.io/api pin says the minor version")
}

// commitSuffix matches a pseudo-version's commit.
var commitSuffix = regexp.MustCompile(`-([0-9a-f]{12})$`)

// releaseLine is a version's vMAJOR.MINOR.
func releaseLine(v string) string {
	parts := strings.SplitN(v, ".", 3)
	if len(parts) < 2 {
		return v
	}
	return parts[0] + "." + parts[1]
}

// repoOf approximates a module's repository by its path less the last
// element for paths of four or more elements (github.com/envoyproxy/
// go-control-plane/envoy and .../contrib are one repository).
func repoOf(path string) string {
	parts := strings.Split(path, "/")
	if len(parts) >= 4 {
		return strings.Join(parts[:3], "/")
	}
	return path
}

// pseudoTime matches the date inside a pseudo-version.
var pseudoTime = regexp.MustCompile(`[.-](\d{14})-[0-9a-f]{12}$`)

// versionTime is the date of a version: the one in a pseudo-version's name,
// else the proxy's .info file's.
func versionTime(version, infoFile string) time.Time {
	if m := pseudoTime.FindStringSubmatch(version); m != nil {
		if t, err := time.Parse("20060102150405", m[1]); err == nil {
			return t
		}
	}
	if infoFile == "" {
		return time.Time{}
	}
	b, err := os.ReadFile(infoFile)
	if err != nil {
		return time.Time{}
	}
	var info struct{ Time time.Time }
	_ = json.Unmarshal(b, &info)
	return info.Time
}

// run runs the go command in dir and returns its stdout; an error carries
// the last lines of its stderr.
func (o Options) run(ctx context.Context, dir string, env []string, args ...string) (string, error) {
	name, argv := o.goCmd(), args
	if o.Nice > 0 && len(args) > 1 && args[0] == "mod" && args[1] == "tidy" {
		if nice, err := exec.LookPath("nice"); err == nil {
			name, argv = nice, append([]string{"-n", strconv.Itoa(o.Nice), o.goCmd()}, args...)
		}
	}
	cmd := exec.CommandContext(ctx, name, argv...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return stdout.String(), fmt.Errorf("go %s: %w\n%s", strings.Join(args, " "), err, tail(stderr.String(), 20))
	}
	return stdout.String(), nil
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// download runs `go mod download -json` on the queries in dir (outside any
// module when dir holds no go.mod) and decodes every object it prints;
// per-module failures are in their Error field.
func (o Options) download(ctx context.Context, dir string, queries ...string) ([]download, error) {
	out, err := o.run(ctx, dir, []string{"GOFLAGS=-mod=mod"}, append([]string{"mod", "download", "-json"}, queries...)...)
	dec := json.NewDecoder(strings.NewReader(out))
	var dls []download
	for {
		var d download
		if derr := dec.Decode(&d); errors.Is(derr, io.EOF) {
			break
		} else if derr != nil {
			return nil, fmt.Errorf("decoding go mod download's output: %w", derr)
		}
		dls = append(dls, d)
	}
	if len(dls) == 0 {
		if err == nil {
			err = errors.New("no output")
		}
		return nil, fmt.Errorf("go mod download %s: %w", strings.Join(queries, " "), err)
	}
	return dls, nil
}

// modFile is the part of `go mod edit -json` used here.
type modFile struct {
	Require []struct{ Path, Version string }
	Replace []struct {
		Old struct{ Path, Version string }
		New struct{ Path, Version string }
	}
}

// replaceRefused checks every pin of the module in dir that no replace
// covers against the module proxy (go.sum verifies what it serves) and
// replaces each refused one by the nearest served version.
func (o Options) replaceRefused(ctx context.Context, dir string) ([]Replacement, error) {
	js, err := o.run(ctx, dir, nil, "mod", "edit", "-json")
	if err != nil {
		return nil, err
	}
	var mf modFile
	if err := json.Unmarshal([]byte(js), &mf); err != nil {
		return nil, fmt.Errorf("decoding go mod edit -json: %w", err)
	}
	replaced := map[string]bool{}
	for _, r := range mf.Replace {
		replaced[r.Old.Path] = true
	}
	var queries []string
	for _, r := range mf.Require {
		if !replaced[r.Path] && r.Path != IstioModule {
			queries = append(queries, r.Path+"@"+r.Version)
		}
	}
	if !replaced[IstioModule] {
		queries = append(queries, IstioModule+"@"+requireOf(mf, IstioModule))
	}
	o.logf("checking %d pinned modules against the module proxy", len(queries))
	dls, err := o.download(ctx, dir, queries...)
	if err != nil {
		return nil, err
	}
	var out []Replacement
	for _, d := range dls {
		if d.Error == "" {
			continue
		}
		if d.Path == IstioModule {
			return nil, fmt.Errorf("the module proxy refuses istio.io/istio@%s: %s", d.Version, d.Error)
		}
		siblings := map[string]bool{}
		for _, prev := range out {
			if repoOf(prev.Path) == repoOf(d.Path) {
				if m := commitSuffix.FindStringSubmatch(prev.Used); m != nil {
					siblings[m[1]] = true
				}
			}
		}
		r, err := o.nearest(ctx, dir, d, siblings)
		if err != nil {
			return nil, err
		}
		o.logf("replacing %s", r)
		if _, err := o.run(ctx, dir, nil, "mod", "edit", "-replace="+r.Path+"="+r.Path+"@"+r.Used); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out, nil
}

func requireOf(mf modFile, path string) string {
	for _, r := range mf.Require {
		if r.Path == path {
			return r.Version
		}
	}
	return ""
}

// candidate is a served version of a module and its date.
type candidate struct {
	version string
	time    time.Time
}

// nearest finds the served version of refused.Path nearest by date to the
// refused pin: the module's tags (`go list -m -versions`), its latest
// version, and the pseudo-versions the local module cache holds, tried
// nearest first until one downloads.
func (o Options) nearest(ctx context.Context, dir string, refused download, siblings map[string]bool) (Replacement, error) {
	r := Replacement{Path: refused.Path, Pinned: refused.Version, PinnedTime: versionTime(refused.Version, ""), Refusal: lastLine(refused.Error)}
	outside, err := os.MkdirTemp("", "listenerlab-modgen-list-")
	if err != nil {
		return r, err
	}
	defer os.RemoveAll(outside)
	seen := map[string]bool{refused.Version: true}
	var queries []string
	add := func(v string) {
		if v != "" && !seen[v] {
			seen[v] = true
			queries = append(queries, refused.Path+"@"+v)
		}
	}
	add("latest")
	if js, err := o.run(ctx, outside, []string{"GOFLAGS=-mod=mod"}, "list", "-m", "-json", "-versions", refused.Path); err == nil {
		var l struct{ Versions []string }
		if json.Unmarshal([]byte(js), &l) == nil {
			for _, v := range l.Versions {
				add(v)
			}
		}
	}
	for _, v := range cachedPseudoVersions(ctx, o, refused.Path) {
		add(v)
	}
	if sum, err := os.ReadFile(filepath.Join(dir, "go.sum")); err == nil {
		for _, v := range SumVersions(sum, refused.Path) {
			add(v)
		}
	}
	if o.Known != nil {
		for _, v := range o.Known(refused.Path) {
			add(v)
		}
	}
	var cands []candidate
	if js, err := o.run(ctx, outside, []string{"GOFLAGS=-mod=mod"}, append([]string{"list", "-m", "-e", "-json"}, queries...)...); err == nil || js != "" {
		dec := json.NewDecoder(strings.NewReader(js))
		for {
			var m struct {
				Version string
				Time    time.Time
				Error   *struct{ Err string }
			}
			if dec.Decode(&m) != nil {
				break
			}
			if m.Error == nil && m.Version != "" && m.Version != refused.Version && !m.Time.IsZero() {
				cands = append(cands, candidate{m.Version, m.Time})
			}
		}
	}
	if r.PinnedTime.IsZero() {
		r.PinnedTime = time.Now()
	}
	rank(cands, r.Pinned, r.PinnedTime, siblings)
	var tried []string
	for _, c := range cands {
		if len(tried) == 5 {
			break
		}
		dls, err := o.download(ctx, dir, r.Path+"@"+c.version)
		if err == nil && dls[0].Error == "" {
			r.Used, r.UsedTime = c.version, c.time
			return r, nil
		}
		tried = append(tried, c.version)
	}
	return r, fmt.Errorf("the module proxy refuses %s@%s (%s) and serves none of the nearest versions by date (tried %s)",
		r.Path, r.Pinned, r.Refusal, orNone(tried))
}

// rank orders the candidates for replacing pinned: first those at a commit
// already chosen for a sibling module of the same repository (envoy and
// contrib of go-control-plane build together), then those on the pinned
// version's release line (v1.30.4-0.2026... stays on v1.30.x rather than
// jump to a v1.31.0 of the same day), then nearest by date; of two as
// near, the later one.
func rank(cands []candidate, pinned string, pinnedTime time.Time, siblingCommits map[string]bool) {
	line := releaseLine(pinned)
	key := func(c candidate) int {
		k := 0
		if m := commitSuffix.FindStringSubmatch(c.version); m != nil && siblingCommits[m[1]] {
			k -= 2
		}
		if releaseLine(c.version) == line {
			k--
		}
		return k
	}
	sort.SliceStable(cands, func(i, j int) bool {
		if ki, kj := key(cands[i]), key(cands[j]); ki != kj {
			return ki < kj
		}
		di, dj := absDur(cands[i].time.Sub(pinnedTime)), absDur(cands[j].time.Sub(pinnedTime))
		if di != dj {
			return di < dj
		}
		return cands[i].time.After(cands[j].time)
	})
}

func orNone(s []string) string {
	if len(s) == 0 {
		return "none: no candidates"
	}
	return strings.Join(s, ", ")
}

func lastLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.LastIndex(s, "\n"); i >= 0 {
		return s[i+1:]
	}
	return s
}

func absDur(d time.Duration) time.Duration {
	if d < 0 {
		return -d
	}
	return d
}

// cachedPseudoVersions lists the pseudo-versions of path the local module
// cache has downloaded: versions some other build fetched from the proxy,
// the only pseudo-versions one can list without cloning the repository.
func cachedPseudoVersions(ctx context.Context, o Options, path string) []string {
	modcache, err := o.run(ctx, os.TempDir(), nil, "env", "GOMODCACHE")
	if err != nil {
		return nil
	}
	infos, _ := filepath.Glob(filepath.Join(strings.TrimSpace(modcache), "cache", "download", escapePath(path), "@v", "*.info"))
	var out []string
	for _, f := range infos {
		v := strings.TrimSuffix(filepath.Base(f), ".info")
		if pseudoTime.MatchString(v) {
			out = append(out, v)
		}
	}
	sort.Strings(out)
	return out
}

// SumVersions lists the versions of path that a go.sum or go.mod names
// (require, replace and checksum lines), sorted.
func SumVersions(file []byte, path string) []string {
	seen := map[string]bool{}
	for _, line := range strings.Split(string(file), "\n") {
		f := strings.Fields(line)
		for i := 0; i+1 < len(f); i++ {
			if f[i] == path && strings.HasPrefix(f[i+1], "v") {
				seen[strings.TrimSuffix(f[i+1], "/go.mod")] = true
			}
		}
	}
	out := make([]string, 0, len(seen))
	for v := range seen {
		out = append(out, v)
	}
	sort.Strings(out)
	return out
}

// escapePath is the module cache's case encoding: an upper-case letter
// becomes '!' and its lower case.
func escapePath(path string) string {
	var b strings.Builder
	for _, r := range path {
		if r >= 'A' && r <= 'Z' {
			b.WriteByte('!')
			b.WriteRune(r + ('a' - 'A'))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}
