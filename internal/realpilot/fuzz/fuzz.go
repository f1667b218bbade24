// Package fuzz checks generated scenarios (scenariogen.Scenario) against the
// real pilot of each Istio version: every case is loaded and resolved as a
// scenario file would be, predicted, answered by the version's backend in
// batch mode, and compared as verify compares. A divergence is shrunk
// (objects, list elements and fields dropped while the same difference
// remains) and written as a scenario file whose header names the seed, the
// version and the first difference.
package fuzz

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/listenerlab/listenerlab/internal/offline/compare"
	"github.com/listenerlab/listenerlab/internal/offline/resolve"
	"github.com/listenerlab/listenerlab/internal/offline/scenariogen"
	"github.com/listenerlab/listenerlab/internal/realpilot/backend"
	"github.com/listenerlab/listenerlab/internal/realpilot/verify"
	"github.com/listenerlab/listenerlab/predictor"
	"github.com/listenerlab/listenerlab/predictor/versions"
	"github.com/listenerlab/listenerlab/scenario"
	"github.com/listenerlab/listenerlab/world"
)

// LevelPredictor is the level of a divergence where the predictor refused a
// World that real pilot answered.
const LevelPredictor compare.Level = "predictor-error"

// Options configure a run.
type Options struct {
	// Versions are checked one after another.
	Versions []versions.Version
	// Count is the number of cases per version; with Duration set, the
	// run of a version also stops when its share of Duration is spent.
	Count int
	// Duration bounds the whole run, split evenly between the versions;
	// zero means no bound.
	Duration time.Duration
	// Seed is the first case's seed; case i has seed Seed+i on every
	// version.
	Seed uint64
	// Out receives the shrunk scenario files; empty writes none.
	Out string
	// Workers is the number of cases checked at once (each with its own
	// backend processes); zero means 1.
	Workers int
	// Progress receives a progress line every few seconds and the
	// backend builds' progress; nil discards them.
	Progress io.Writer
	// ShrinkRuns bounds the checks one shrink may spend; zero means 300.
	ShrinkRuns int
	// Reruns is how many more times a World that diverged runs on real
	// pilot before it counts; zero means DefaultReruns, negative none.
	Reruns int
}

// Divergence is one case on which prediction and real pilot differ.
type Divergence struct {
	Seed    uint64
	Version string
	// First is the first difference of the original case.
	First compare.Difference
	// Signature groups divergences that are the same finding: level and
	// shape of the first difference.
	Signature string
	// File is the shrunk scenario, when written; Objects how many
	// manifests it kept (of Original).
	File              string
	Objects, Original int
	// NotModelled is set when the prediction said it is incomplete
	// (EnvoyFilterNotModelled) or one of several outcomes
	// (OrderUndetermined) on every listener that differs: an explained
	// divergence, not a failure. It holds that finding's message.
	NotModelled string
	// Runs is how many times real pilot answered the World, Diverging how
	// many of those answers differed from the prediction.
	Runs, Diverging int
}

// VersionSummary is what a version's run found.
type VersionSummary struct {
	Version string
	// Worlds counts the cases compared; Refused those Istio's validation
	// refused (not compared); Invalid those the loader or resolver refused
	// (a generator bug); Errors backend failures.
	Worlds, Refused, Invalid, Errors int
	// ByLevel counts divergences by the level of their first difference.
	ByLevel     map[compare.Level]int
	Divergences []Divergence
	// Nondeterministic are the cases real pilot answered differently
	// between runs of the same World, some answer diverging: counted
	// apart, not as failures of the predictor (Divergence.NotModelled
	// says whether an OrderUndetermined finding names every listener
	// that differed).
	Nondeterministic []Divergence
	Elapsed          time.Duration
	// Messages hold the first few invalid cases and errors.
	Messages []string
}

// Failed reports whether a divergence that is no "not modelled" one was
// found, or a generated case was invalid. Nondeterministic cases do not
// fail a run.
func (s VersionSummary) Failed() bool {
	for _, d := range s.Divergences {
		if d.NotModelled == "" {
			return true
		}
	}
	return s.Invalid > 0 || s.Errors > 0
}

// Summary is a whole run.
type Summary struct {
	Versions []VersionSummary
	// Elapsed is the whole run; Building the part of it spent building
	// backends, or waiting for another process (verify) to build them.
	Elapsed  time.Duration
	Building time.Duration
}

// Failed reports whether any version failed.
func (s Summary) Failed() bool {
	for _, v := range s.Versions {
		if v.Failed() {
			return true
		}
	}
	return false
}

// Run checks opt.Count cases on every version of opt.Versions.
func Run(ctx context.Context, opt Options) (Summary, error) {
	start := time.Now()
	var sum Summary
	if opt.Workers < 1 {
		opt.Workers = 1
	}
	if opt.ShrinkRuns == 0 {
		opt.ShrinkRuns = 300
	}
	switch {
	case opt.Reruns == 0:
		opt.Reruns = DefaultReruns
	case opt.Reruns < 0:
		opt.Reruns = 0
	}
	progress := opt.Progress
	if progress == nil {
		progress = io.Discard
	}
	for i, v := range opt.Versions {
		built := time.Now()
		bin, err := backend.Build(ctx, v, backend.BuildOptions{Progress: progress, Nice: 5})
		sum.Building += time.Since(built)
		if err != nil {
			return sum, err
		}
		var deadline time.Time
		if opt.Duration > 0 {
			left := opt.Duration - time.Since(start)
			deadline = time.Now().Add(left / time.Duration(len(opt.Versions)-i))
		}
		vs, err := runVersion(ctx, opt, v, bin, deadline, progress)
		sum.Versions = append(sum.Versions, vs)
		if err != nil {
			return sum, err
		}
	}
	sum.Elapsed = time.Since(start)
	return sum, nil
}

// verdict is one case checked: once, or, when it diverged, as often as
// classify runs it.
type verdict struct {
	kind  outcome
	diffs []compare.Difference
	pred  *predictor.Prediction
	msg   string
	// runs counts real pilot's answers, diverging those that differed
	// from the prediction (set by classify).
	runs, diverging int
}

// Checker checks cases on one version with one set of backend processes.
type Checker struct {
	Version versions.Version
	pilot   pilot
	// reruns is Options.Reruns.
	reruns int
}

// NewChecker checks cases on v with the backend binary bin, running a
// diverging World DefaultReruns more times.
func NewChecker(v versions.Version, bin string) *Checker {
	return &Checker{Version: v, pilot: backend.NewPool(bin, nil), reruns: DefaultReruns}
}

// Close ends the checker's backend processes.
func (c *Checker) Close() error { return c.pilot.Close() }

func caseName(seed uint64) string { return fmt.Sprintf("fuzz-%d", seed) }

// prepared is a case loaded, resolved and predicted, ready to run on real
// pilot as often as needed.
type prepared struct {
	w       *world.World
	pred    *predictor.Prediction
	predErr error
}

// prepare loads, resolves and predicts k; false with the verdict when the
// loader or resolver refused it.
func (c *Checker) prepare(k *scenariogen.Case) (prepared, verdict, bool) {
	name := caseName(k.Seed)
	y, err := k.YAML(name)
	if err != nil {
		return prepared{}, verdict{kind: outcomeInvalid, msg: err.Error()}, false
	}
	sc, err := scenario.Parse(name+".yaml", y)
	if err != nil {
		return prepared{}, verdict{kind: outcomeInvalid, msg: err.Error()}, false
	}
	w, err := resolve.Simulate(sc, c.Version)
	if err != nil {
		return prepared{}, verdict{kind: outcomeInvalid, msg: err.Error()}, false
	}
	pred, err := predictor.Predict(w, c.Version)
	return prepared{w: w, pred: pred, predErr: err}, verdict{}, true
}

// runOnce runs the prepared case on real pilot once and compares.
func (c *Checker) runOnce(ctx context.Context, pr prepared) verdict {
	res, err := c.pilot.Run(ctx, pr.w)
	if errors.Is(err, backend.ErrRefused) {
		return verdict{kind: outcomeRefused, msg: err.Error()}
	}
	if err != nil {
		return verdict{kind: outcomeError, msg: err.Error()}
	}
	if pr.predErr != nil {
		return verdict{kind: outcomeDiverged, diffs: []compare.Difference{{Level: LevelPredictor, Listener: "-", Want: "error: " + pr.predErr.Error(), Got: "listeners"}}}
	}
	d, err := verify.ParseDump(res.ConfigDump)
	if err != nil {
		return verdict{kind: outcomeError, msg: err.Error()}
	}
	diffs := compare.Prediction(pr.pred, compare.Real{Dump: d, Conflicts: res.Conflicts})
	if len(diffs) > 0 {
		return verdict{kind: outcomeDiverged, diffs: diffs, pred: pr.pred}
	}
	return verdict{kind: outcomeOK, pred: pr.pred}
}

// check loads, resolves, predicts, runs and compares one case; a
// divergence is classified by running the World again (classify), unless
// the predictor itself failed.
func (c *Checker) check(ctx context.Context, k *scenariogen.Case) verdict {
	pr, vd, ok := c.prepare(k)
	if !ok {
		return vd
	}
	vd = c.runOnce(ctx, pr)
	if vd.kind != outcomeDiverged || pr.predErr != nil {
		return vd
	}
	return c.classify(ctx, pr, vd)
}

// signature is the level and shape of a difference: missing (predicted
// only), extra (real only) or changed.
func signature(d compare.Difference) string {
	shape := "changed"
	switch {
	case d.Got == "":
		shape = "missing"
	case d.Want == "":
		shape = "extra"
	}
	return string(d.Level) + "/" + shape
}

// notModelled explains a divergence by the prediction's own findings that
// say it is incomplete or one of several outcomes (Finding.Uncertain:
// EnvoyFilterNotModelled, and OrderUndetermined, where real Istio's order
// between two services comes from a map). Every difference must be on a
// listener such a finding names. It returns the first such finding's
// message, or "".
func notModelled(p *predictor.Prediction, diffs []compare.Difference) string {
	if p == nil {
		return ""
	}
	first := ""
	for _, d := range diffs {
		explained := false
		for _, f := range p.Findings {
			if f.Uncertain() && f.Listener == d.Listener {
				explained = true
				if first == "" {
					first = f.Message
				}
			}
		}
		if !explained {
			return ""
		}
	}
	return first
}

// runVersion checks opt.Count cases on v with opt.Workers workers, each
// with its own backend processes, until the count, ctx or deadline ends it.
func runVersion(ctx context.Context, opt Options, v versions.Version, bin string, deadline time.Time, progress io.Writer) (VersionSummary, error) {
	r := newVersionRun(opt, v, deadline, progress, func() *Checker {
		c := NewChecker(v, bin)
		c.reruns = opt.Reruns
		return c
	})
	done := make(chan struct{})
	go r.reportEvery(5*time.Second, done)
	var wg sync.WaitGroup
	for wk := 0; wk < opt.Workers; wk++ {
		wg.Go(func() { r.work(ctx, wk) })
	}
	wg.Wait()
	close(done)
	r.vs.Elapsed = time.Since(r.start)
	bySeed := func(ds []Divergence) {
		sort.Slice(ds, func(i, j int) bool { return ds[i].Seed < ds[j].Seed })
	}
	bySeed(r.vs.Divergences)
	bySeed(r.vs.Nondeterministic)
	r.report(true)
	return r.vs, ctx.Err()
}

// newVersionRun is a version's run whose workers check cases with
// checkers from checker.
func newVersionRun(opt Options, v versions.Version, deadline time.Time, progress io.Writer, checker func() *Checker) *versionRun {
	return &versionRun{opt: opt, v: v, checker: checker, deadline: deadline, progress: progress, start: time.Now(),
		vs:     VersionSummary{Version: v.Label, ByLevel: map[compare.Level]int{}},
		shrunk: map[string]bool{}, busy: make([]task, max(opt.Workers, 1))}
}

// versionRun is one version's run, shared by its workers.
type versionRun struct {
	opt Options
	v   versions.Version
	// checker makes each worker's checker (its own backend processes).
	checker  func() *Checker
	deadline time.Time
	progress io.Writer
	start    time.Time

	mu sync.Mutex // guards the fields below
	vs VersionSummary
	// shrunk holds the signatures already shrunk (explained ones apart).
	shrunk map[string]bool
	// next is the index of the next case to check.
	next uint64
	// busy is what each worker is doing since when, so that a case that
	// hangs (a predictor that never returns) or a long shrink shows.
	busy []task
}

// task is what a worker is doing, since when.
type task struct {
	what  string
	since time.Time
}

// reportEvery writes a progress line every interval until done closes.
func (r *versionRun) reportEvery(interval time.Duration, done <-chan struct{}) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-done:
			return
		case <-t.C:
			r.report(false)
		}
	}
}

// report writes one progress line: the counts so far, the rate, and the
// workers busy with one case for more than 30s.
func (r *versionRun) report(final bool) {
	r.mu.Lock()
	n, div, nondet := r.vs.Worlds, len(r.vs.Divergences), len(r.vs.Nondeterministic)
	refused, invalid, errs := r.vs.Refused, r.vs.Invalid, r.vs.Errors
	var slow []string
	for _, b := range r.busy {
		if b.what != "" && time.Since(b.since) > 30*time.Second {
			slow = append(slow, fmt.Sprintf("; %s for %s", b.what, time.Since(b.since).Round(time.Second)))
		}
	}
	r.mu.Unlock()
	el := time.Since(r.start).Seconds()
	fmt.Fprintf(r.progress, "fuzz %s: %d worlds, %d divergences, %d nondeterministic, %d refused by Istio, %d invalid, %d errors, %.1f worlds/s%s%s\n",
		r.v.Label, n, div, nondet, refused, invalid, errs, float64(n)/max(el, 0.001), strings.Join(slow, ""), map[bool]string{true: " (done)"}[final])
}

// doing records what worker wk does from now on.
func (r *versionRun) doing(wk int, what string) {
	r.mu.Lock()
	r.busy[wk] = task{what, time.Now()}
	r.mu.Unlock()
}

// work is worker wk: it checks cases until none is left.
func (r *versionRun) work(ctx context.Context, wk int) {
	chk := r.checker()
	defer chk.Close()
	for {
		seed, ok := r.nextSeed(ctx)
		if !ok {
			return
		}
		k := scenariogen.Scenario(seed)
		r.doing(wk, fmt.Sprintf("checking seed %d", seed))
		vd := chk.check(ctx, k)
		if vd.kind != outcomeDiverged && vd.kind != outcomeNondeterministic {
			r.count(seed, vd)
			continue
		}
		r.diverged(ctx, chk, wk, k, vd)
	}
}

// nextSeed claims the next case's seed; false when the count is reached,
// ctx is done or the deadline passed.
func (r *versionRun) nextSeed(ctx context.Context) (uint64, bool) {
	r.mu.Lock()
	i := r.next
	r.next++
	r.mu.Unlock()
	if int(i) >= r.opt.Count || ctx.Err() != nil || !r.deadline.IsZero() && time.Now().After(r.deadline) {
		return 0, false
	}
	return r.opt.Seed + i, true
}

// count adds a case that did not diverge to the summary, and keeps the
// first few refusals, invalid cases and errors.
func (r *versionRun) count(seed uint64, vd verdict) {
	r.mu.Lock()
	defer r.mu.Unlock()
	vs := &r.vs
	switch vd.kind {
	case outcomeOK:
		vs.Worlds++
	case outcomeRefused:
		vs.Refused++
		if vs.Refused <= 3 {
			vs.Messages = append(vs.Messages, fmt.Sprintf("seed %d: refused: %s", seed, lastLine(vd.msg)))
		}
	case outcomeInvalid:
		vs.Invalid++
		if len(vs.Messages) < 5 {
			vs.Messages = append(vs.Messages, fmt.Sprintf("seed %d: invalid: %s", seed, vd.msg))
		}
	case outcomeError:
		vs.Errors++
		if len(vs.Messages) < 5 {
			vs.Messages = append(vs.Messages, fmt.Sprintf("seed %d: %s", seed, vd.msg))
		}
	}
}

// diverged adds the divergent or nondeterministic case k to the summary,
// shrunk and written when it is the first of its kind and opt.Out is set.
func (r *versionRun) diverged(ctx context.Context, chk *Checker, wk int, k *scenariogen.Case, vd verdict) {
	first := vd.diffs[0]
	sig := signature(first)
	nondet := vd.kind == outcomeNondeterministic
	div := Divergence{Seed: k.Seed, Version: r.v.Label, First: first, Signature: sig, Original: len(k.Objects),
		NotModelled: notModelled(vd.pred, vd.diffs), Runs: max(vd.runs, 1), Diverging: max(vd.diverging, 1)}
	if r.firstOfKind(div, nondet) && r.opt.Out != "" {
		r.doing(wk, fmt.Sprintf("shrinking seed %d", k.Seed))
		still := func(c *scenariogen.Case) bool { return ctx.Err() == nil && chk.reproduces(ctx, c, sig, nondet) }
		small := Shrink(k, still, r.opt.ShrinkRuns)
		file, err := write(r.opt.Out, small, r.v, first, nondet, chk, ctx)
		if err != nil {
			r.mu.Lock()
			r.vs.Messages = append(r.vs.Messages, fmt.Sprintf("seed %d: writing the shrunk scenario: %v", k.Seed, err))
			r.mu.Unlock()
		}
		div.File, div.Objects = file, len(small.Objects)
	}
	r.mu.Lock()
	if nondet {
		r.vs.Nondeterministic = append(r.vs.Nondeterministic, div)
	} else {
		r.vs.Divergences = append(r.vs.Divergences, div)
	}
	r.mu.Unlock()
}

// firstOfKind counts div's case, and its level unless it is
// nondeterministic, and reports whether div is the first of its
// signature. Explained and nondeterministic divergences are kinds apart,
// so that neither hides a new one.
func (r *versionRun) firstOfKind(div Divergence, nondet bool) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.vs.Worlds++
	key := div.Signature
	if nondet {
		key += "/nondeterministic"
	} else {
		r.vs.ByLevel[div.First.Level]++
	}
	if div.NotModelled != "" {
		key += "/explained"
	}
	again := r.shrunk[key]
	r.shrunk[key] = true
	return !again
}

// reproduces reports whether k still shows what a shrink keeps: for a
// nondeterministic divergence, answers with and without a difference of
// signature sig within 1+reruns runs (flips); else such a difference on
// one run and on shrinkConfirm more (steady).
func (c *Checker) reproduces(ctx context.Context, k *scenariogen.Case, sig string, nondet bool) bool {
	pr, _, ok := c.prepare(k)
	if !ok {
		return false
	}
	if nondet {
		return c.flips(ctx, pr, sig, 1+c.reruns)
	}
	return c.steady(ctx, pr, sig, 1+shrinkConfirm)
}

// write renders the shrunk case as a scenario file in dir: its header names
// the seed, the version and the first difference of the shrunk case, and,
// for a nondeterministic case (nondet) or one this last check finds so,
// that real pilot answers it differently between runs.
func write(dir string, k *scenariogen.Case, v versions.Version, orig compare.Difference, nondet bool, chk *Checker, ctx context.Context) (string, error) {
	vd := chk.check(ctx, k)
	first := orig
	if vd.kind == outcomeDiverged || vd.kind == outcomeNondeterministic {
		first = vd.diffs[0]
	}
	name := fmt.Sprintf("fuzz-%d-%s", k.Seed, strings.ReplaceAll(v.Label, ".", "-"))
	desc := fmt.Sprintf("Found by listenerlab fuzz --seed %d --count 1 --istio %s, shrunk; first difference (-predicted +real): %s",
		k.Seed, v.Label, first.String())
	comments := []string{fmt.Sprintf("listenerlab fuzz: seed %d, Istio %s (%s)", k.Seed, v.Label, v.Module),
		"first difference (-predicted +real):", first.String()}
	if nondet || vd.kind == outcomeNondeterministic {
		note := "nondeterministic: real pilot answers this World differently between runs, so verify passes or fails by run"
		if vd.runs > 0 {
			note += fmt.Sprintf(" (last check: %d of %d runs diverged)", vd.diverging, vd.runs)
		}
		desc += "; " + note
		comments = append(comments, note)
	}
	k = k.Clone()
	k.Header["description"] = desc
	y, err := k.YAML(name, comments...)
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	file := filepath.Join(dir, name+".yaml")
	return file, os.WriteFile(file, y, 0o644)
}

// lastLine is the part of a backend error that names the refused object.
func lastLine(msg string) string {
	if i := strings.Index(msg, "; last lines of its stderr"); i >= 0 {
		msg = msg[:i]
	}
	if i := strings.LastIndex(msg, "bad World: "); i >= 0 {
		msg = msg[i+len("bad World: "):]
	}
	return msg
}
