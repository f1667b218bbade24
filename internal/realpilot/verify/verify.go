package verify

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/listenerlab/listenerlab/internal/offline/compare"
	"github.com/listenerlab/listenerlab/internal/offline/dump"
	"github.com/listenerlab/listenerlab/internal/offline/resolve"
	"github.com/listenerlab/listenerlab/internal/realpilot/backend"
	"github.com/listenerlab/listenerlab/predictor"
	"github.com/listenerlab/listenerlab/predictor/versions"
	"github.com/listenerlab/listenerlab/scenario"
	"github.com/listenerlab/listenerlab/world"
)

// Options configure a verification run.
type Options struct {
	// Keep, when set, is a folder that receives each run's config dump as
	// SCENARIO.VERSION.config_dump.json.
	Keep string
	// Progress receives build progress lines.
	Progress io.Writer
	// Timeout bounds one backend run; zero means pilot's default.
	Timeout time.Duration
	// tamper changes the prediction before its witnesses are replayed
	// (tests: a wrong witness must fail).
	tamper func(*predictor.Prediction)
}

// Backend builds (once) and returns the pilot backend binary of v.
func Backend(ctx context.Context, v versions.Version, o Options) (string, error) {
	return backend.Build(ctx, v, backend.BuildOptions{Progress: o.Progress, Nice: 5})
}

// Runner answers a World with a version's real pilot: Process starts the
// backend binary for each World; a backend.Pool answers World after World
// from batch processes, paying Istio's start-up once.
type Runner interface {
	Run(ctx context.Context, w *world.World) (*backend.Result, error)
}

// Process is the path of a built backend binary, run once per World.
type Process string

// Run runs the backend binary on w (backend.Run).
func (p Process) Run(ctx context.Context, w *world.World) (*backend.Result, error) {
	return backend.Run(ctx, string(p), w, nil)
}

// Scenario checks one scenario on one version with a runner of its built
// backend.
func Scenario(ctx context.Context, sc *scenario.Scenario, v versions.Version, pilot Runner, o Options) compare.Result {
	r := compare.Result{Scenario: sc.Header.Name, File: sc.Path, Version: v.Label}
	fail := func(err error) compare.Result {
		r.Outcome, r.Err = compare.Error, fmt.Sprintf("scenario %s: Istio %s: %v", sc.Header.Name, v.Label, err)
		return r
	}
	if !sc.Header.AppliesTo(v) {
		r.Outcome, r.Err = compare.Skip, "the scenario applies to Istio "+sc.Header.Versions
		return r
	}
	w, pred, err := resolve.Predict(sc, v)
	if err != nil {
		return fail(err)
	}
	r.Prediction = pred
	start := time.Now()
	obs, err := Observe(ctx, w, sc.Header.Name, v, pilot, o)
	r.Duration = time.Since(start)
	if err != nil {
		return fail(err)
	}
	if o.tamper != nil {
		o.tamper(pred)
	}
	r.Real = obs.Dump.Outbound()
	r.RealRoutes, r.RealUnreadableRoutes = obs.Dump.Routes, obs.Dump.UnreadableRoutes
	r.Differences = compare.Prediction(pred, compare.Real{Dump: obs.Dump, Conflicts: obs.Result.Conflicts})
	r.Witnesses = compare.Witnessed(pred.Findings)
	r.Expectations = compare.Expectations(sc.Header.Expect, v, r.Real, obs.Result.Conflicts)
	// Requests go through the real listeners (virtualOutbound included)
	// and the route configurations real pilot sent.
	ls, opts := obs.Dump.Handoff()
	r.Expectations = append(r.Expectations, compare.Requests(sc.Header.Expect, v, ls, opts.Routes, opts)...)
	r.Judge()
	return r
}

// Observation is what the real pilot of one version built for a World.
type Observation struct {
	Result *backend.Result
	Dump   *dump.Dump
}

// Observe has pilot answer w and parses the config dump it writes; with
// o.Keep set the dump is also written to that folder.
func Observe(ctx context.Context, w *world.World, name string, v versions.Version, pilot Runner, o Options) (*Observation, error) {
	if o.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, o.Timeout)
		defer cancel()
	}
	res, err := pilot.Run(ctx, w)
	if err != nil {
		return nil, err
	}
	if o.Keep != "" {
		if err := os.MkdirAll(o.Keep, 0o755); err != nil {
			return nil, err
		}
		file := filepath.Join(o.Keep, name+"."+v.Label+".config_dump.json")
		if err := os.WriteFile(file, res.ConfigDump, 0o644); err != nil {
			return nil, err
		}
	}
	d, err := ParseDump(res.ConfigDump)
	if err != nil {
		return nil, err
	}
	return &Observation{Result: res, Dump: d}, nil
}

// ParseDump reads a backend's config dump. A ListenersConfigDump without
// any listener is an answer here, not a broken dump: pilot builds none for
// a proxy with interception NONE and nothing to bind (dump.Parse refuses
// it because a real sidecar's dump always holds its virtual listeners).
func ParseDump(raw []byte) (*dump.Dump, error) {
	d, err := dump.Parse(raw)
	if errors.Is(err, dump.ErrNoListeners) && bytes.Contains(raw, []byte("ListenersConfigDump")) &&
		!bytes.Contains(raw, []byte(`"dynamic_listeners"`)) && !bytes.Contains(raw, []byte(`"static_listeners"`)) {
		return &dump.Dump{}, nil
	}
	return d, err
}
