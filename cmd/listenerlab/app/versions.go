package app

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"

	"github.com/listenerlab/listenerlab/internal/realpilot/backend"
	"github.com/listenerlab/listenerlab/internal/realpilot/istiotree"
	"github.com/listenerlab/listenerlab/predictor/versions"
)

// lookupVersion is what --istio takes where a pilot is built (verify,
// upgrade-diff, fuzz): a catalogued label; a release or minor of the
// release table, whose backend module is generated from its commit's
// module version (a release it cannot fetch is one line saying why); else
// an istio.io/istio module version or commit. A module is generated and
// cached on first use (progress on stderr).
//
// replaces (--replace MODULE=DIR) are dependencies a source-tree version
// takes from source trees of their own; other versions refuse them.
func lookupVersion(label string, replaces []string, stderr io.Writer) (versions.Version, error) {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	opts := backend.GenerateOptions{Progress: stderr, Replace: replaces}
	label = strings.TrimSpace(label)
	c, err := versions.Lookup(label)
	if len(replaces) > 0 && !istiotree.IsPath(label) && (err != nil || c.Tree == nil) {
		return versions.Version{}, fmt.Errorf("--replace %s: only a version built from a source tree takes dependencies from source trees, and Istio %s is not one", strings.Join(replaces, " "), label)
	}
	if err == nil {
		return backend.Version(ctx, label, opts)
	}
	rel, notice, err := versions.Resolve(label)
	switch {
	case errors.Is(err, versions.ErrNotRelease):
		return backend.Version(ctx, label, opts)
	case err != nil:
		return versions.Version{}, err
	case notice != "":
		fmt.Fprintln(stderr, notice)
	}
	v, err := backend.Version(ctx, rel.Module, opts)
	if err != nil {
		return versions.Version{}, fmt.Errorf("no pilot to run for Istio %s: it is not catalogued, and its commit's module istio.io/istio@%s is neither cached nor fetched (%s); predict, analyze, explain and trace take it offline",
			rel.Label, rel.Module, firstCause(err))
	}
	v.Label, v.Image = rel.Label, rel.Image
	return v, nil
}

// offlineVersion is what --istio takes where no pilot is built (predict,
// analyze, explain, trace, world): a catalogued label, a release or minor
// of the release table, with no download (the release a minor stands for
// is named on stderr), else what lookupVersion takes.
func offlineVersion(label string, stderr io.Writer) (versions.Version, error) {
	v, notice, err := versions.Resolve(strings.TrimSpace(label))
	switch {
	case errors.Is(err, versions.ErrNotRelease):
		return lookupVersion(label, nil, stderr)
	case err != nil:
		return versions.Version{}, err
	}
	// The prediction carries the unverified-version notice (NotModelled).
	if notice = withoutUnverified(notice, v); notice != "" {
		fmt.Fprintln(stderr, notice)
	}
	return v, nil
}

// firstCause is an error's innermost cause, on one line: why a module
// could not be fetched, without the steps that led there.
func firstCause(err error) string {
	for {
		inner := errors.Unwrap(err)
		if inner == nil || strings.TrimSpace(inner.Error()) == "" {
			break
		}
		err = inner
	}
	line, _, _ := strings.Cut(strings.TrimSpace(err.Error()), "\n")
	return line
}

// replaceFlag collects --replace MODULE=DIR (repeatable): a dependency of
// a source-tree version taken from a source tree of its own, e.g. an
// istio.io/api checkout for an Istio branch that pins an api commit the
// module proxy refuses.
type replaceFlag []string

func (r *replaceFlag) String() string { return strings.Join(*r, " ") }

func (r *replaceFlag) Set(v string) error {
	mod, dir, ok := strings.Cut(v, "=")
	if !ok || mod == "" || dir == "" {
		return fmt.Errorf("%q: want MODULE=DIR", v)
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return err
	}
	*r = append(*r, mod+"="+abs)
	return nil
}

// runVersions lists the catalogued and the cached on-demand versions, or
// (`versions add`) writes a catalogued version's module files.
func runVersions(args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 && args[0] == "add" {
		return runVersionsAdd(args[1:], stdout, stderr)
	}
	for _, v := range versions.Catalog {
		fmt.Fprintf(stdout, "%-10s istio.io/istio %s  image %s  %s%s\n", v.Label, v.Module, orDash(v.Image), v.Note, treeState(v))
	}
	cached, err := backend.CachedModules()
	if err != nil {
		fmt.Fprintf(stderr, "listenerlab versions: %v\n", err)
		return exitBadInput
	}
	if len(cached) > 0 {
		fmt.Fprintln(stdout, "\ngenerated on demand and cached (--istio takes the query, the module version or its commit):")
	}
	for _, c := range cached {
		p := c.Provenance
		fmt.Fprintf(stdout, "%s\n           %s\n", p.Query, p.Summary())
	}
	return exitOK
}

// treeState says, for a catalogued version built from a source tree,
// where the tree is read from, or that it is skipped here.
func treeState(v versions.Version) string {
	if v.Tree == nil {
		return ""
	}
	path := v.Tree.Path
	if path == "" {
		path = versions.IstioGitDir()
	}
	if _, err := os.Stat(path); err != nil {
		return "; skipped: " + backend.ErrNoClone.Error()
	}
	return fmt.Sprintf("; from %s@%s", path, v.Tree.Rev)
}

// runVersionsAdd writes internal/realpilot/backend/modules/LABEL.mod and
// .sum for a catalogued version (what scripts/mkmodule.sh did) and prints
// the catalog line to add.
func runVersionsAdd(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("versions add", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dir := fs.String("dir", "internal/realpilot/backend/modules", "where to write LABEL.mod and LABEL.sum")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: listenerlab versions add [-dir DIR] LABEL MODULE-VERSION [OLD=NEW@VERSION ...]")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return exitBadInput
	}
	if fs.NArg() < 2 {
		fs.Usage()
		return exitBadInput
	}
	label, query, replaces := fs.Arg(0), fs.Arg(1), fs.Args()[2:]
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	m, err := backend.GenerateModule(ctx, query, backend.GenerateOptions{Replace: replaces, Progress: stderr})
	if err != nil {
		fmt.Fprintf(stderr, "listenerlab versions add: %v\n", err)
		return exitMismatch
	}
	for ext, b := range map[string][]byte{".mod": m.GoMod, ".sum": m.GoSum} {
		if err := os.WriteFile(filepath.Join(*dir, label+ext), b, 0o644); err != nil {
			fmt.Fprintf(stderr, "listenerlab versions add: %v\n", err)
			return exitBadInput
		}
	}
	p := m.Provenance
	fmt.Fprintf(stdout, "wrote %s and %s\n", filepath.Join(*dir, label+".mod"), filepath.Join(*dir, label+".sum"))
	for _, r := range p.Replacements {
		fmt.Fprintf(stdout, "replaced %s\n", r)
	}
	fmt.Fprintf(stdout, "catalog line (predictor/versions/catalog.go):\n\t{Label: %q, Module: %q, Minor: %d, Note: %q%s},\n",
		label, p.Module, p.Minor, strings.TrimSpace(p.Summary()), sourceField(p.Minor, p.Gates))
	return exitOK
}

// sourceField is the catalog line's Source field: the gates whose value
// the version's Istio source decides otherwise than its minor (none: no
// field), so a catalogued snapshot keeps the gates its source has.
func sourceField(minor int, gates map[versions.Gate]bool) string {
	var fields []string
	for _, g := range versions.Gates() {
		if has, ok := gates[g]; ok && has != (versions.Version{Minor: minor}).Has(g) {
			fields = append(fields, fmt.Sprintf("Gate%s: %t", g, has))
		}
	}
	if len(fields) == 0 {
		return ""
	}
	return ",\n\t\tSource: map[Gate]bool{" + strings.Join(fields, ", ") + "}"
}
