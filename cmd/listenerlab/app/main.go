// Package app is the listenerlab command line: Main exits, Run returns, so
// tests drive the CLI without a process.
package app

import (
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"github.com/listenerlab/listenerlab/scenario"
)

// Exit codes.
const (
	exitOK       = 0
	exitMismatch = 1 // a check failed: prediction and real Istio disagree
	exitBadInput = 2 // bad usage or a bad scenario file
)

// Main runs the command line and exits with its status.
func Main() {
	os.Exit(Run(os.Args[1:], os.Stdout, os.Stderr))
}

type command struct {
	summary string
	run     func(args []string, stdout, stderr io.Writer) int
}

func commands() map[string]command {
	return map[string]command{
		"predict":      {"print the outbound listeners Istio builds for each scenario's client sidecar", runPredict},
		"explain":      {"explain each listener, chain and finding in prose", runExplain},
		"versions":     {"list the catalogued Istio versions", runVersions},
		"world":        {"print the resolved World of each scenario: the JSON the pilot backends read", runWorld},
		"verify":       {"check predictions against the real pilot code of pinned Istio versions", runVerify},
		"matrix":       {"write the scenario x version results as Markdown and a self-contained HTML page", runMatrix},
		"upgrade-diff": {"run the real pilot of two versions on the same manifests and diff their listeners and routes", runUpgradeDiff},
		"analyze":      {"check a folder of manifests for shadowed, hijacked and overlapping listeners, for every workload's sidecar", runAnalyze},
		"trace":        {"follow one connection (--to ADDRESS:PORT) through the listeners: which listener, chain, route or cluster", runTrace},
		"fuzz":         {"check generated scenarios against real pilot; shrink each divergence into a scenario file", runFuzz},
		"capture":      {"write a scenario reproducing a live sidecar's situation, read from a cluster (list and get only)", runCapture},
	}
}

// Run runs one listenerlab command and returns its exit status.
func Run(args []string, stdout, stderr io.Writer) int {
	cmds := commands()
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(stderr, cmds)
		if len(args) == 0 {
			return exitBadInput
		}
		return exitOK
	}
	c, ok := cmds[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "listenerlab: unknown command %q\n", args[0])
		usage(stderr, cmds)
		return exitBadInput
	}
	return c.run(args[1:], stdout, stderr)
}

func usage(w io.Writer, cmds map[string]command) {
	fmt.Fprintln(w, "usage: listenerlab COMMAND [flags] FILE_OR_DIR...")
	names := make([]string, 0, len(cmds))
	for n := range cmds {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-13s %s\n", n, cmds[n].summary)
	}
}

// parseFlags parses a command's flags, allowing flags after the paths, and
// requires at least one path.
func parseFlags(fs *flag.FlagSet, args []string, stderr io.Writer) ([]string, int, bool) {
	paths, status, ok := parseFlagsOptional(fs, args, stderr)
	if ok && len(paths) == 0 {
		fmt.Fprintf(stderr, "listenerlab %s: give at least one scenario file or directory\n", fs.Name())
		return nil, exitBadInput, false
	}
	return paths, status, ok
}

// load loads every scenario under paths with loadAll, reporting each bad
// file on stderr; the status is exitBadInput when any was bad.
func load(paths []string, loadAll func([]string) ([]*scenario.Scenario, []error), stderr io.Writer) ([]*scenario.Scenario, int) {
	scs, errs := loadAll(paths)
	for _, err := range errs {
		fmt.Fprintf(stderr, "error: %v\n", err)
	}
	if len(errs) > 0 {
		return scs, exitBadInput
	}
	return scs, exitOK
}

func oneOf(v string, allowed ...string) error {
	for _, a := range allowed {
		if v == a {
			return nil
		}
	}
	return fmt.Errorf("%q is not one of %s", v, strings.Join(allowed, ", "))
}
