package e2erun

import (
	"bytes"
	"context"
	"fmt"

	"github.com/listenerlab/listenerlab/internal/livecluster/deploy"
	"github.com/listenerlab/listenerlab/internal/livecluster/livestate"
	"github.com/listenerlab/listenerlab/internal/offline/compare"
	"github.com/listenerlab/listenerlab/internal/offline/report"
	"github.com/listenerlab/listenerlab/internal/offline/resolve"
	"github.com/listenerlab/listenerlab/predictor"
)

// Stage is one named part of a scenario's assessment, one or more steps
// of its plan. The e2e suite runs each as an Assess step of the
// scenario's feature, so a failure names its stage.
type Stage struct {
	// Name says what the stage establishes, as the test names it.
	Name  string
	steps []deploy.Step
	last  bool
}

// Stage names, in the order a plan's steps run.
const (
	StagePods        = "the scenario's pods are ready"
	StageAddresses   = "the ServiceEntries have their allocated addresses"
	StageSynced      = "istiod pushed the scenario to the client"
	StagePrediction  = "the live World is read and predicted"
	StageRealConfig  = "the client's config dump and istiod's conflicts are read"
	StageComparison  = "the client's listeners are the predicted ones"
	StageCaptureTrip = "the captured client predicts the same listeners"
)

// stageOf is the stage each step kind of the assessment belongs to; the
// other kinds are Setup's and Teardown's.
var stageOf = map[string]string{
	deploy.WaitPods:         StagePods,
	deploy.WaitAddresses:    StageAddresses,
	deploy.WaitSynced:       StageSynced,
	deploy.ReadWorld:        StagePrediction,
	deploy.Predict:          StagePrediction,
	deploy.FetchConfigDump:  StageRealConfig,
	deploy.ReadConflicts:    StageRealConfig,
	deploy.Compare:          StageComparison,
	deploy.CaptureRoundTrip: StageCaptureTrip,
}

// Stages are the stages of p's assessment, in the plan's order: its
// steps after the deployment, consecutive steps of one stage together.
func Stages(p *deploy.Plan) []Stage {
	var out []Stage
	for _, s := range p.Steps {
		name, ok := stageOf[s.Kind]
		switch {
		case !ok:
			continue
		case len(out) > 0 && out[len(out)-1].Name == name:
			out[len(out)-1].steps = append(out[len(out)-1].steps, s)
		default:
			out = append(out, Stage{Name: name, steps: []deploy.Step{s}})
		}
	}
	if len(out) > 0 {
		out[len(out)-1].last = true
	}
	return out
}

// Concluded says whether the assessment has its verdict: after the last
// stage, or after a stage that could not be carried out (the later
// stages then have nothing to do).
func (r *Run) Concluded() bool { return r.verdict != nil }

// AssessStage runs one stage of the assessment and says what the test
// reports: failed when the stage failed, text the verdict when the
// assessment concluded at this stage (recorded for the reports, evidence
// written for a scenario that did not pass), else what the stage found
// wrong, if anything. A listener comparison that finds differences fails
// its stage without concluding: the capture round trip still runs.
func (r *Run) AssessStage(ctx context.Context, st Stage) (text string, failed bool) {
	if r.verdict != nil {
		return "", false
	}
	if r.res.Scenario == "" {
		r.res = compare.Result{Scenario: r.p.Scenario, File: r.p.File, Version: r.s.version.Label}
	}
	if r.sim == nil {
		sim, err := resolve.Simulate(r.p.Iso.Live, r.s.version)
		if err != nil {
			r.res.Outcome, r.res.Err = compare.Error, err.Error()
			return r.conclude(ctx).Text, true
		}
		r.sim = sim
	}
	for _, s := range st.steps {
		if err := r.step(ctx, s); err != nil {
			r.res.Outcome, r.res.Err = compare.Error, fmt.Errorf("%s: %w", s.Kind, err).Error()
			return r.conclude(ctx).Text, true
		}
	}
	if r.res.Outcome == compare.Error {
		return r.conclude(ctx).Text, true
	}
	failed = st.Name == StageComparison && r.res.Outcome == compare.Fail ||
		st.Name == StageCaptureTrip && r.rt != nil && !r.rt.OK
	if st.last {
		return r.conclude(ctx).Text, failed
	}
	if failed {
		var b bytes.Buffer
		report.Verdict(&b, r.res)
		return b.String(), true
	}
	return "", false
}

// step carries out one step of the plan's assessment.
func (r *Run) step(ctx context.Context, s deploy.Step) error {
	var err error
	switch s.Kind {
	case deploy.WaitPods:
		err = r.waitPods(ctx, s, len(r.sim.Pods))
	case deploy.WaitAddresses:
		err = r.waitAddresses(ctx, s, r.sim)
	case deploy.WaitSynced:
		err = r.waitSynced(ctx, s.Timeout)
	case deploy.ReadWorld:
		r.live, err = livestate.Read(ctx, livestate.Clients{Kube: r.cs, Istio: r.ic}, livestate.ForIsolated(r.p.Iso))
	case deploy.Predict:
		r.pred, err = predictor.Predict(r.live, r.s.version)
		r.res.Prediction = r.pred
	case deploy.FetchConfigDump:
		r.configDump, err = r.s.provider.configDump(ctx, r, s)
	case deploy.ReadConflicts:
		r.conflicts, r.gauges, err = r.readConflicts(ctx, s)
	case deploy.Compare:
		r.compare()
	case deploy.CaptureRoundTrip:
		if r.res.Outcome == compare.Pass || r.res.Outcome == compare.Fail {
			got := r.roundTrip(ctx)
			r.s.recordRoundTrip(got)
			r.rt = &got
		}
	}
	return err
}
