package app

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"

	"github.com/listenerlab/listenerlab/internal/realpilot/backend"
	"github.com/listenerlab/listenerlab/predictor/versions"
)

// lookupVersion is what every --istio takes: a catalogued label, else an
// istio.io/istio module version, commit or release number, whose backend
// module is generated and cached on first use (progress on stderr).
func lookupVersion(label string, stderr io.Writer) (versions.Version, error) {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	return backend.Version(ctx, label, backend.GenerateOptions{Progress: stderr})
}

// runVersions lists the catalogued and the cached on-demand versions, or
// (`versions add`) writes a catalogued version's module files.
func runVersions(args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 && args[0] == "add" {
		return runVersionsAdd(args[1:], stdout, stderr)
	}
	for _, v := range versions.Catalog {
		fmt.Fprintf(stdout, "%-10s istio.io/istio %s  image %s  %s\n", v.Label, v.Module, orDash(v.Image), v.Note)
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
