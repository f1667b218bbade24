package fuzz

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/listenerlab/listenerlab/internal/offline/compare"
	"github.com/listenerlab/listenerlab/internal/realpilot/backend"
	"github.com/listenerlab/listenerlab/world"
)

// DefaultReruns is how many more times a World that diverged runs on real
// pilot before the divergence counts. Real pilot's own nondeterminism is a
// tie between two orders that a map decides; `verify` saw the rarer order
// in 1 to 2 runs of 10 (README, seed 100001937), and seed 777001537's
// diverging order came in 10 of 41, 11 of 31 and 10 of 12 runs of three
// batch processes. A divergence that is the common order of a tie whose rarer
// one comes 1 run in 5 shows no flip in 11 more runs with probability
// 0.8^11, under 9% (a half-and-half tie: 0.05%); a divergence that is the
// rare order flips on the first rerun 4 times in 5. The reruns are paid
// only on a divergence (about 40 ms of CPU each on 1.31-dev), so a run
// without divergences costs nothing more.
const DefaultReruns = 11

// shrinkConfirm is how many more runs confirm each step of a shrink that
// keeps a divergence seen on every run, so that the shrunk case does not
// become one that diverges only now and then.
const shrinkConfirm = 2

// pilot answers Worlds on one version's real pilot: the backend's batch
// processes (backend.Pool) in a run, a fake in tests.
type pilot interface {
	Run(ctx context.Context, w *world.World) (*backend.Result, error)
	Close() error
}

// outcome is what one check of a case found.
type outcome string

const (
	outcomeOK       outcome = "ok"
	outcomeDiverged outcome = "diverged"
	// outcomeNondeterministic: real pilot answered the same World
	// differently between runs, and some answer diverged.
	outcomeNondeterministic outcome = "nondeterministic"
	outcomeRefused          outcome = "refused"
	outcomeInvalid          outcome = "invalid"
	outcomeError            outcome = "error"
)

// classify runs a World whose first answer diverged (first) c.reruns more
// times on real pilot. When every answer differs from the prediction in
// the same way, the divergence stands; when one agrees or differs
// otherwise, the case is nondeterministic, and its differences are those of
// every diverging answer (the first answer's first). A rerun that fails is
// a backend error.
func (c *Checker) classify(ctx context.Context, pr prepared, first verdict) verdict {
	out := first
	out.runs, out.diverging = 1, 1
	key := diffKey(first.diffs)
	for i := 0; i < c.reruns; i++ {
		vd := c.runOnce(ctx, pr)
		switch vd.kind {
		case outcomeRefused, outcomeError, outcomeInvalid:
			vd.msg = fmt.Sprintf("rerun %d of a diverging World: %s", i+1, vd.msg)
			return vd
		}
		out.runs++
		k := ""
		if vd.kind == outcomeDiverged {
			out.diverging++
			k = diffKey(vd.diffs)
			out.diffs = unionDiffs(out.diffs, vd.diffs)
		}
		if k != key {
			out.kind = outcomeNondeterministic
		}
	}
	return out
}

// diffKey is the text of a list of differences, which tells two answers
// of real pilot apart as the comparison sees them.
func diffKey(ds []compare.Difference) string {
	var b strings.Builder
	for _, d := range ds {
		b.WriteString(d.String())
		b.WriteByte('\n')
	}
	return b.String()
}

// unionDiffs is a followed by the differences of b that a lacks.
func unionDiffs(a, b []compare.Difference) []compare.Difference {
	out := slices.Clone(a)
	for _, d := range b {
		if !slices.Contains(out, d) {
			out = append(out, d)
		}
	}
	return out
}

// flips reports whether the World of pr, answered up to runs times,
// shows both a divergence of signature sig and an answer without it: the
// nondeterministic divergence still reproduces. It stops at the first run
// that settles it.
func (c *Checker) flips(ctx context.Context, pr prepared, sig string, runs int) bool {
	with, without := false, false
	for i := 0; i < runs && !(with && without) && ctx.Err() == nil; i++ {
		vd := c.runOnce(ctx, pr)
		switch {
		case vd.kind == outcomeDiverged && slices.ContainsFunc(vd.diffs, func(d compare.Difference) bool { return signature(d) == sig }):
			with = true
		case vd.kind == outcomeOK || vd.kind == outcomeDiverged:
			without = true
		default:
			return false
		}
	}
	return with && without
}

// steady reports whether the World of pr shows a divergence of signature
// sig on each of runs answers.
func (c *Checker) steady(ctx context.Context, pr prepared, sig string, runs int) bool {
	for i := 0; i < runs; i++ {
		vd := c.runOnce(ctx, pr)
		if ctx.Err() != nil || vd.kind != outcomeDiverged || !slices.ContainsFunc(vd.diffs, func(d compare.Difference) bool { return signature(d) == sig }) {
			return false
		}
	}
	return true
}
