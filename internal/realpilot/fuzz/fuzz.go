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
	"slices"
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
	Elapsed     time.Duration
	// Messages hold the first few invalid cases and errors.
	Messages []string
}

// Failed reports whether a divergence that is no "not modelled" one was
// found, or a generated case was invalid.
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
	Elapsed  time.Duration
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
	progress := opt.Progress
	if progress == nil {
		progress = io.Discard
	}
	for i, v := range opt.Versions {
		bin, err := backend.Build(ctx, v, backend.BuildOptions{Progress: progress, Nice: 5})
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

// verdict is one case checked once.
type verdict struct {
	kind  string // ok, diverged, refused, invalid, error
	diffs []compare.Difference
	pred  *predictor.Prediction
	msg   string
}

// Checker checks cases on one version with one set of backend processes.
type Checker struct {
	Version versions.Version
	pool    *backend.Pool
}

// NewChecker checks cases on v with the backend binary bin.
func NewChecker(v versions.Version, bin string) *Checker {
	return &Checker{Version: v, pool: backend.NewPool(bin, nil)}
}

// Close ends the checker's backend processes.
func (c *Checker) Close() error { return c.pool.Close() }

func caseName(seed uint64) string { return fmt.Sprintf("fuzz-%d", seed) }

// check loads, resolves, predicts, runs and compares one case.
func (c *Checker) check(ctx context.Context, k *scenariogen.Case) verdict {
	name := caseName(k.Seed)
	y, err := k.YAML(name)
	if err != nil {
		return verdict{kind: "invalid", msg: err.Error()}
	}
	sc, err := scenario.Parse(name+".yaml", y)
	if err != nil {
		return verdict{kind: "invalid", msg: err.Error()}
	}
	w, err := resolve.Simulate(sc, c.Version)
	if err != nil {
		return verdict{kind: "invalid", msg: err.Error()}
	}
	res, err := c.pool.Run(ctx, w)
	if errors.Is(err, backend.ErrRefused) {
		return verdict{kind: "refused", msg: err.Error()}
	}
	if err != nil {
		return verdict{kind: "error", msg: err.Error()}
	}
	pred, err := predictor.Predict(w, c.Version)
	if err != nil {
		return verdict{kind: "diverged", diffs: []compare.Difference{{Level: LevelPredictor, Listener: "-", Want: "error: " + err.Error(), Got: "listeners"}}}
	}
	d, err := verify.ParseDump(res.ConfigDump)
	if err != nil {
		return verdict{kind: "error", msg: err.Error()}
	}
	diffs := compare.Prediction(pred, compare.Real{Dump: d, Conflicts: res.Conflicts})
	if len(diffs) > 0 {
		return verdict{kind: "diverged", diffs: diffs, pred: pred}
	}
	return verdict{kind: "ok", pred: pred}
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
	r := &versionRun{opt: opt, v: v, bin: bin, deadline: deadline, progress: progress, start: time.Now(),
		vs:     VersionSummary{Version: v.Label, ByLevel: map[compare.Level]int{}},
		shrunk: map[string]bool{}, busy: make([]task, opt.Workers)}
	done := make(chan struct{})
	go r.reportEvery(5*time.Second, done)
	var wg sync.WaitGroup
	for wk := 0; wk < opt.Workers; wk++ {
		wg.Go(func() { r.work(ctx, wk) })
	}
	wg.Wait()
	close(done)
	r.vs.Elapsed = time.Since(r.start)
	sort.Slice(r.vs.Divergences, func(i, j int) bool { return r.vs.Divergences[i].Seed < r.vs.Divergences[j].Seed })
	r.report(true)
	return r.vs, ctx.Err()
}

// versionRun is one version's run, shared by its workers.
type versionRun struct {
	opt      Options
	v        versions.Version
	bin      string
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
	n, div := r.vs.Worlds, len(r.vs.Divergences)
	refused, invalid, errs := r.vs.Refused, r.vs.Invalid, r.vs.Errors
	var slow []string
	for _, b := range r.busy {
		if b.what != "" && time.Since(b.since) > 30*time.Second {
			slow = append(slow, fmt.Sprintf("; %s for %s", b.what, time.Since(b.since).Round(time.Second)))
		}
	}
	r.mu.Unlock()
	el := time.Since(r.start).Seconds()
	fmt.Fprintf(r.progress, "fuzz %s: %d worlds, %d divergences, %d refused by Istio, %d invalid, %d errors, %.1f worlds/s%s%s\n",
		r.v.Label, n, div, refused, invalid, errs, float64(n)/max(el, 0.001), strings.Join(slow, ""), map[bool]string{true: " (done)"}[final])
}

// doing records what worker wk does from now on.
func (r *versionRun) doing(wk int, what string) {
	r.mu.Lock()
	r.busy[wk] = task{what, time.Now()}
	r.mu.Unlock()
}

// work is worker wk: it checks cases until none is left.
func (r *versionRun) work(ctx context.Context, wk int) {
	chk := NewChecker(r.v, r.bin)
	defer chk.Close()
	for {
		seed, ok := r.nextSeed(ctx)
		if !ok {
			return
		}
		k := scenariogen.Scenario(seed)
		r.doing(wk, fmt.Sprintf("checking seed %d", seed))
		vd := chk.check(ctx, k)
		if vd.kind != "diverged" {
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
	case "ok":
		vs.Worlds++
	case "refused":
		vs.Refused++
		if vs.Refused <= 3 {
			vs.Messages = append(vs.Messages, fmt.Sprintf("seed %d: refused: %s", seed, lastLine(vd.msg)))
		}
	case "invalid":
		vs.Invalid++
		if len(vs.Messages) < 5 {
			vs.Messages = append(vs.Messages, fmt.Sprintf("seed %d: invalid: %s", seed, vd.msg))
		}
	case "error":
		vs.Errors++
		if len(vs.Messages) < 5 {
			vs.Messages = append(vs.Messages, fmt.Sprintf("seed %d: %s", seed, vd.msg))
		}
	}
}

// diverged adds the divergent case k to the summary, shrunk and written
// when it is the first of its kind and opt.Out is set.
func (r *versionRun) diverged(ctx context.Context, chk *Checker, wk int, k *scenariogen.Case, vd verdict) {
	first := vd.diffs[0]
	sig := signature(first)
	div := Divergence{Seed: k.Seed, Version: r.v.Label, First: first, Signature: sig, Original: len(k.Objects),
		NotModelled: notModelled(vd.pred, vd.diffs)}
	if r.firstOfKind(div) && r.opt.Out != "" {
		r.doing(wk, fmt.Sprintf("shrinking seed %d", k.Seed))
		small := Shrink(k, func(c *scenariogen.Case) bool { return ctx.Err() == nil && stillDiverges(ctx, chk, c, sig) }, r.opt.ShrinkRuns)
		file, err := write(r.opt.Out, small, r.v, first, chk, ctx)
		if err != nil {
			r.mu.Lock()
			r.vs.Messages = append(r.vs.Messages, fmt.Sprintf("seed %d: writing the shrunk scenario: %v", k.Seed, err))
			r.mu.Unlock()
		}
		div.File, div.Objects = file, len(small.Objects)
	}
	r.mu.Lock()
	r.vs.Divergences = append(r.vs.Divergences, div)
	r.mu.Unlock()
}

// firstOfKind counts div's case and level, and reports whether div is the
// first of its signature. Explained divergences are counted apart, so that
// a "not modelled" case never hides a new one.
func (r *versionRun) firstOfKind(div Divergence) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.vs.Worlds++
	r.vs.ByLevel[div.First.Level]++
	key := div.Signature
	if div.NotModelled != "" {
		key += "/explained"
	}
	again := r.shrunk[key]
	r.shrunk[key] = true
	return !again
}

// stillDiverges reports whether k still shows a difference of signature
// sig.
func stillDiverges(ctx context.Context, chk *Checker, k *scenariogen.Case, sig string) bool {
	vd := chk.check(ctx, k)
	if vd.kind != "diverged" {
		return false
	}
	return slices.ContainsFunc(vd.diffs, func(d compare.Difference) bool { return signature(d) == sig })
}

// write renders the shrunk case as a scenario file in dir: its header names
// the seed, the version and the first difference of the shrunk case.
func write(dir string, k *scenariogen.Case, v versions.Version, orig compare.Difference, chk *Checker, ctx context.Context) (string, error) {
	vd := chk.check(ctx, k)
	first := orig
	if vd.kind == "diverged" {
		first = vd.diffs[0]
	}
	name := fmt.Sprintf("fuzz-%d-%s", k.Seed, strings.ReplaceAll(v.Label, ".", "-"))
	desc := fmt.Sprintf("Found by listenerlab fuzz --seed %d --count 1 --istio %s, shrunk; first difference (-predicted +real): %s",
		k.Seed, v.Label, first.String())
	k = k.Clone()
	k.Header["description"] = desc
	y, err := k.YAML(name,
		fmt.Sprintf("listenerlab fuzz: seed %d, Istio %s (%s)", k.Seed, v.Label, v.Module),
		"first difference (-predicted +real):", first.String())
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
