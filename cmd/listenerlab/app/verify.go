package app

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/listenerlab/listenerlab/internal/offline/compare"
	"github.com/listenerlab/listenerlab/internal/offline/report"
	"github.com/listenerlab/listenerlab/internal/realpilot/backend"
	"github.com/listenerlab/listenerlab/internal/realpilot/verify"
	"github.com/listenerlab/listenerlab/predictor/versions"
	"github.com/listenerlab/listenerlab/route"
	"github.com/listenerlab/listenerlab/scenario"
)

type verifyFlags struct {
	istio   string
	replace replaceFlag
	output  string
	junit   string
	matrix  string
	keep    string
	routes  bool
	timeout time.Duration
}

func runVerify(args []string, stdout, stderr io.Writer) int {
	var f verifyFlags
	fs := flag.NewFlagSet("verify", flag.ContinueOnError)
	fs.StringVar(&f.istio, "istio", versions.Newest().Label, `Istio version to check against, a comma-separated list, or "all"`)
	fs.StringVar(&f.output, "o", "text", "output: text or junit (JUnit XML on stdout)")
	fs.StringVar(&f.junit, "junit", "", "also write JUnit XML to this file")
	fs.StringVar(&f.matrix, "matrix", "", "also write the scenario x version Markdown table to this file")
	fs.StringVar(&f.keep, "keep", "", "write each run's real config dump into this folder")
	fs.BoolVar(&f.routes, "show-routes", false, "print the route configurations real pilot sent after each verdict")
	fs.Var(&f.replace, "replace", "MODULE=DIR: a source-tree version takes this dependency from the source tree DIR (repeatable)")
	fs.DurationVar(&f.timeout, "timeout", 2*time.Minute, "deadline for one backend run")
	paths, status, ok := parseFlags(fs, args, stderr)
	if !ok {
		return status
	}
	if err := oneOf(f.output, "text", "junit"); err != nil {
		fmt.Fprintf(stderr, "listenerlab verify: -o: %v\n", err)
		return exitBadInput
	}
	vs, err := selectVersions(f.istio, f.replace, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "listenerlab verify: %v\n", err)
		return exitBadInput
	}
	scs, status := load(paths, scenario.LoadAll, stderr)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	text := stdout
	if f.output == "junit" {
		text = stderr
	}
	opts := verify.Options{Keep: f.keep, Progress: stderr, Timeout: f.timeout}
	results := verifyAll(ctx, scs, vs, opts, f.routes, text, stderr)
	interrupted := ctx.Err() != nil
	counts := map[compare.Outcome]int{}
	witnesses := 0
	for _, r := range results {
		counts[r.Outcome]++
		witnesses += r.Witnesses
	}
	if len(vs) > 1 {
		fmt.Fprintln(text)
		report.Matrix(text, results)
		report.MatrixNotes(text, vs)
	}
	fmt.Fprintf(text, "\n%d finding witnesses replayed on the real listeners (a witness that goes elsewhere fails its scenario)\n", witnesses)
	if interrupted {
		fmt.Fprintf(text, "interrupted: the counts below are of the %d of %d runs that finished\n", len(results), len(scs)*len(vs))
	}
	// The counts come last, alone on their line, so CI reads them.
	fmt.Fprintf(text, "%d scenarios x %d Istio versions, %d errors\n%d passed, %d failed, %d skipped\n",
		len(scs), len(vs), counts[compare.Error], counts[compare.Pass], counts[compare.Fail], counts[compare.Skip])
	if f.output == "junit" {
		if err := report.JUnit(stdout, results, vs...); err != nil {
			fmt.Fprintf(stderr, "listenerlab verify: %v\n", err)
		}
	}
	if err := writeFile(f.junit, func(w io.Writer) error { return report.JUnit(w, results, vs...) }); err != nil {
		fmt.Fprintf(stderr, "listenerlab verify: -junit: %v\n", err)
		return exitBadInput
	}
	if err := writeFile(f.matrix, func(w io.Writer) error { report.Matrix(w, results); report.MatrixNotes(w, vs); return nil }); err != nil {
		fmt.Fprintf(stderr, "listenerlab verify: -matrix: %v\n", err)
		return exitBadInput
	}
	if counts[compare.Fail] > 0 || counts[compare.Error] > 0 {
		return exitMismatch
	}
	if interrupted {
		return exitInterrupted
	}
	return status
}

// exitInterrupted is verify's exit code when Ctrl-C stopped it before
// every run finished and none of those that did failed (128 + SIGINT, as
// a shell reports it).
const exitInterrupted = 130

func selectVersions(spec string, replaces []string, stderr io.Writer) ([]versions.Version, error) {
	if spec == "all" {
		return versions.ModuleVersions(), nil
	}
	var out []versions.Version
	for _, label := range strings.Split(spec, ",") {
		v, err := lookupVersion(label, replaces, stderr)
		if errors.Is(err, backend.ErrNoClone) {
			// A version built from the istio/istio clone is skipped,
			// in one line, where no clone is at hand.
			fmt.Fprintf(stderr, "Istio %s: skipped: %v\n", strings.TrimSpace(label), backend.ErrNoClone)
			continue
		}
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

func writeFile(path string, render func(io.Writer) error) error {
	if path == "" {
		return nil
	}
	var buf bytes.Buffer
	if err := render(&buf); err != nil {
		return err
	}
	return os.WriteFile(path, buf.Bytes(), 0o644)
}

// verifyAll checks every scenario on every version, printing a verdict per
// scenario to text as it goes. Once ctx ends (Ctrl-C) it starts nothing
// more and returns only the runs that finished: a run cut short by the
// interruption is not an error of its scenario.
// With showRoutes, real pilot's route configurations follow each verdict.
//
// The backends are built one after another, ahead of the checks: version
// i+1 builds while version i's scenarios run, so a cold run's build chain
// never waits for a verification.
func verifyAll(ctx context.Context, scs []*scenario.Scenario, vs []versions.Version, opts verify.Options, showRoutes bool, text, stderr io.Writer) []compare.Result {
	var results []compare.Result
	built := buildAhead(ctx, vs, opts)
	defer func() {
		for range built { // a build that ctx's end cut short cleans up before verify exits
		}
	}()
	for _, v := range vs {
		if ctx.Err() != nil {
			break
		}
		b := <-built
		bin, err := b.bin, b.err
		if ctx.Err() != nil {
			break
		}
		if err != nil {
			fmt.Fprintf(stderr, "error: Istio %s: %v\n", v.Label, err)
			for _, sc := range scs {
				results = append(results, compare.Result{Scenario: sc.Header.Name, File: sc.Path, Version: v.Label, Outcome: compare.Error, Err: err.Error()})
			}
			continue
		}
		if v.Note != "" {
			fmt.Fprintf(text, "# Istio %s: %s\n", v.Label, v.Note)
		}
		for _, r := range verifyVersion(ctx, scs, v, bin, opts) {
			report.Verdict(text, r)
			if showRoutes && r.Outcome != compare.Error && r.Outcome != compare.Skip {
				fmt.Fprintf(text, "  real routes (Istio %s):\n", v.Label)
				if err := route.Write(text, r.RealRoutes, "    "); err != nil {
					fmt.Fprintf(stderr, "listenerlab verify: %v\n", err)
				}
				for _, f := range r.RealUnreadableRoutes {
					fmt.Fprintf(text, "    route %s unreadable: %s\n", f.Name, f.Message)
				}
			}
			results = append(results, r)
		}
	}
	return results
}

// builtBackend is the outcome of one backend build.
type builtBackend struct {
	bin string
	err error
}

// buildAhead builds the backend of each of vs in order, in the background,
// and sends each outcome on the channel it returns (buffered, so the
// builds never wait for their reader). Once ctx ends it builds nothing
// more.
func buildAhead(ctx context.Context, vs []versions.Version, opts verify.Options) <-chan builtBackend {
	out := make(chan builtBackend, len(vs))
	go func() {
		defer close(out)
		for _, v := range vs {
			if ctx.Err() != nil {
				return
			}
			bin, err := verify.Backend(ctx, v, opts)
			out <- builtBackend{bin, err}
		}
	}()
	return out
}

// verifyVersion checks every scenario on one version with its built
// backend: as many workers as there are cores, each with its own pool of
// batch processes (Istio's start-up is paid once per worker and istiod
// env, not per scenario). It returns the results in scenario order,
// without those that ctx's end cut short (or never started).
func verifyVersion(ctx context.Context, scs []*scenario.Scenario, v versions.Version, bin string, opts verify.Options) []compare.Result {
	batch := make([]compare.Result, len(scs))
	ran := make([]bool, len(scs))
	next := make(chan int)
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			pilot := backend.NewPool(bin, nil)
			defer pilot.Close()
			for i := range next {
				batch[i] = verify.Scenario(ctx, scs[i], v, pilot, opts)
			}
		}()
	}
	for i := range scs {
		if ctx.Err() != nil {
			break
		}
		ran[i] = true
		next <- i
	}
	close(next)
	wg.Wait()
	interrupted := ctx.Err() != nil
	var out []compare.Result
	for i, r := range batch {
		if ran[i] && !(interrupted && r.Outcome == compare.Error) {
			out = append(out, r)
		}
	}
	return out
}

// runMatrix checks every scenario on every version and writes the matrix
// as Markdown and as a self-contained HTML page.
func runMatrix(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("matrix", flag.ContinueOnError)
	istio := fs.String("istio", "all", "versions: a label, a comma-separated list, or all")
	out := fs.String("out", "artifacts", "folder for matrix.md and matrix.html")
	from := fs.String("results", "", "build the matrix from these results.json files (globs, comma-separated; e.g. the kind suite's) instead of running the pilot backends")
	paths, status, ok := parseFlags(fs, args, stderr)
	if !ok {
		return status
	}
	vs, err := selectVersions(*istio, nil, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "listenerlab matrix: %v\n", err)
		return exitBadInput
	}
	scs, status := load(paths, scenario.LoadAll, stderr)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	var results []compare.Result
	if *from != "" {
		var err error
		if results, vs, err = loadResults(*from); err != nil {
			fmt.Fprintf(stderr, "listenerlab matrix: -results: %v\n", err)
			return exitBadInput
		}
	} else {
		results = verifyAll(ctx, scs, vs, verify.Options{Progress: stderr}, false, stderr, stderr)
	}
	byName := map[string]*scenario.Scenario{}
	for _, sc := range scs {
		byName[sc.Header.Name] = sc
	}
	byLabel := map[string]versions.Version{}
	for _, v := range vs {
		byLabel[v.Label] = v
	}
	versioned := func(name, label string) bool {
		if byName[name] == nil {
			return false
		}
		for _, e := range byName[name].Header.Expect {
			if r, err := versions.ParseRange(e.Versions); err == nil && e.Versions != "" && r.Includes(byLabel[label]) {
				return true
			}
		}
		return false
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		fmt.Fprintf(stderr, "listenerlab matrix: %v\n", err)
		return exitBadInput
	}
	md := filepath.Join(*out, "matrix.md")
	page := filepath.Join(*out, "matrix.html")
	if err := writeFile(md, func(w io.Writer) error { report.Matrix(w, results); report.MatrixNotes(w, vs); return nil }); err != nil {
		fmt.Fprintf(stderr, "listenerlab matrix: %v\n", err)
		return exitBadInput
	}
	if err := writeFile(page, func(w io.Writer) error { return report.HTML(w, results, versioned) }); err != nil {
		fmt.Fprintf(stderr, "listenerlab matrix: %v\n", err)
		return exitBadInput
	}
	report.Matrix(stdout, results)
	report.MatrixNotes(stdout, vs)
	fmt.Fprintf(stdout, "\nwrote %s and %s\n", md, page)
	for _, r := range results {
		if r.Outcome == compare.Fail || r.Outcome == compare.Error {
			return exitMismatch
		}
	}
	return status
}
