package app

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"strings"
	"time"

	"github.com/listenerlab/listenerlab/internal/offline/compare"
	"github.com/listenerlab/listenerlab/internal/realpilot/fuzz"
	"github.com/listenerlab/listenerlab/predictor/versions"
)

// defaultFuzzCount is the number of cases per version without --count or
// --duration.
const defaultFuzzCount = 200

func runFuzz(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("fuzz", flag.ContinueOnError)
	istio := fs.String("istio", versions.Newest().Label, `Istio version to check against, a comma-separated list, or "all"`)
	var replaces replaceFlag
	fs.Var(&replaces, "replace", "MODULE=DIR: a source-tree version takes this dependency from the source tree DIR (repeatable)")
	count := fs.Int("count", 0, fmt.Sprintf("cases per version (default %d without --duration)", defaultFuzzCount))
	duration := fs.Duration("duration", 0, "stop after this long in all, split evenly between the versions")
	seed := fs.Uint64("seed", 0, "seed of the first case; case i has seed SEED+i (default: from the clock, printed)")
	out := fs.String("out", "", "write each divergence, shrunk, as a scenario file into this folder")
	workers := fs.Int("workers", 1, "cases checked at once, each with its own backend processes")
	reruns := fs.Int("reruns", fuzz.DefaultReruns, "more runs on real pilot of a World that diverged, to tell real pilot's own nondeterminism from a predictor bug")
	paths, status, ok := parseFlagsOptional(fs, args, stderr)
	if !ok {
		return status
	}
	if len(paths) > 0 {
		fmt.Fprintf(stderr, "listenerlab fuzz: takes no files (got %s)\n", strings.Join(paths, " "))
		return exitBadInput
	}
	if *count < 0 || *duration < 0 || *workers < 1 || *reruns < 0 {
		fmt.Fprintln(stderr, "listenerlab fuzz: --count, --duration and --reruns must not be negative, --workers at least 1")
		return exitBadInput
	}
	vs, err := selectVersions(*istio, replaces, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "listenerlab fuzz: %v\n", err)
		return exitBadInput
	}
	if len(vs) == 0 {
		return exitOK // every version was skipped, each said so in one line
	}
	seedSet := false
	fs.Visit(func(f *flag.Flag) { seedSet = seedSet || f.Name == "seed" })
	if !seedSet {
		*seed = uint64(time.Now().UnixNano() % 1_000_000_000)
	}
	n := *count
	switch {
	case n == 0 && *duration == 0:
		n = defaultFuzzCount
	case n == 0:
		n = int(^uint(0) >> 1)
	}
	fmt.Fprintf(stderr, "listenerlab fuzz --seed %d on Istio %s\n", *seed, versionLabels(vs))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	sum, err := fuzz.Run(ctx, fuzz.Options{Versions: vs, Count: n, Duration: *duration, Seed: *seed, Out: *out,
		Workers: *workers, Progress: stderr, Reruns: optReruns(*reruns)})
	printFuzzSummary(stdout, sum, *seed)
	if err != nil {
		fmt.Fprintf(stderr, "listenerlab fuzz: %v\n", err)
		return exitBadInput
	}
	if sum.Failed() {
		return exitMismatch
	}
	return exitOK
}

// optReruns is --reruns as Options.Reruns, where 0 means the default and
// a negative number none.
func optReruns(n int) int {
	if n == 0 {
		return -1
	}
	return n
}

func versionLabels(vs []versions.Version) string {
	var l []string
	for _, v := range vs {
		l = append(l, v.Label)
	}
	return strings.Join(l, ",")
}

// printFuzzSummary prints, per version, the cases compared, refused and
// failed, the divergences by level and each divergence, then the cases
// real pilot answered differently between runs; then the totals.
func printFuzzSummary(w io.Writer, sum fuzz.Summary, seed uint64) {
	total, div, explained, nondet, named := 0, 0, 0, 0, 0
	for _, v := range sum.Versions {
		total += v.Worlds
		div += len(v.Divergences)
		nondet += len(v.Nondeterministic)
		for _, d := range v.Divergences {
			if d.NotModelled != "" {
				explained++
			}
		}
		for _, d := range v.Nondeterministic {
			if d.NotModelled != "" {
				named++
			}
		}
		printFuzzVersion(w, v)
	}
	running := sum.Elapsed - sum.Building
	rate := float64(total) / max(running.Seconds(), 0.001)
	took := running.Round(time.Second).String()
	if sum.Building >= time.Second {
		took += fmt.Sprintf(" (and %s building backends or waiting for their builds)", sum.Building.Round(time.Second))
	}
	fmt.Fprintf(w, "\nfuzz --seed %d: %d worlds on %d versions in %s (%.1f worlds/s), %d divergences (%d explained by a \"not modelled\" or OrderUndetermined finding, %d not), %d nondeterministic (real pilot answered the same World differently between runs; %d named by OrderUndetermined, %d not)\n",
		seed, total, len(sum.Versions), took, rate, div, explained, div-explained, nondet, named, nondet-named)
}

// printFuzzVersion prints one version's part of the summary.
func printFuzzVersion(w io.Writer, v fuzz.VersionSummary) {
	rate := float64(v.Worlds) / max(v.Elapsed.Seconds(), 0.001)
	fmt.Fprintf(w, "Istio %s: %d worlds compared in %s (%.1f worlds/s), %d divergences, %d nondeterministic, %d refused by Istio's validation, %d invalid, %d errors\n",
		v.Version, v.Worlds, v.Elapsed.Round(time.Second), rate, len(v.Divergences), len(v.Nondeterministic), v.Refused, v.Invalid, v.Errors)
	var levels []string
	for l, n := range v.ByLevel {
		levels = append(levels, fmt.Sprintf("%s %d", l, n))
	}
	slices.Sort(levels)
	if len(levels) > 0 {
		fmt.Fprintf(w, "  divergences by level: %s\n", strings.Join(levels, ", "))
	}
	for _, d := range v.Divergences {
		line := fmt.Sprintf("  seed %d: %s", d.Seed, firstLine(d.First))
		if d.Runs > 1 {
			line += fmt.Sprintf(" (every one of %d runs)", d.Runs)
		}
		line += divergenceTail(d)
		if d.NotModelled != "" {
			line += " [explained: " + d.NotModelled + "]"
		}
		fmt.Fprintln(w, line)
	}
	if len(v.Nondeterministic) > 0 {
		fmt.Fprintf(w, "  nondeterministic: real pilot answered %d Worlds differently between runs (not failures of the predictor):\n", len(v.Nondeterministic))
	}
	for _, d := range v.Nondeterministic {
		line := fmt.Sprintf("  seed %d: diverged in %d of %d runs: %s", d.Seed, d.Diverging, d.Runs, firstLine(d.First)) + divergenceTail(d)
		if d.NotModelled != "" {
			line += " [named: " + d.NotModelled + "]"
		} else {
			line += " [no OrderUndetermined finding names every listener that differed: the predictor does not know this order]"
		}
		fmt.Fprintln(w, line)
	}
	for _, m := range v.Messages {
		fmt.Fprintf(w, "  %s\n", m)
	}
}

// divergenceTail names the shrunk scenario file of d, when written.
func divergenceTail(d fuzz.Divergence) string {
	if d.File == "" {
		return ""
	}
	return fmt.Sprintf(" -> %s (%d of %d objects)", d.File, d.Objects, d.Original)
}

func firstLine(d compare.Difference) string {
	s := fmt.Sprintf("%s %s", d.Level, d.Listener)
	if d.Want != "" {
		s += " -" + d.Want
	}
	if d.Got != "" {
		s += " +" + d.Got
	}
	if len(s) > 200 {
		s = s[:200] + "..."
	}
	return s
}
