package compare

import (
	"time"

	"github.com/listenerlab/listenerlab/internal/offline/dump"
	"github.com/listenerlab/listenerlab/listener"
	"github.com/listenerlab/listenerlab/predictor"
	"github.com/listenerlab/listenerlab/route"
)

// Outcome is the verdict on one scenario on one version.
type Outcome string

// Outcomes.
const (
	Pass  Outcome = "pass"
	Fail  Outcome = "fail"
	Error Outcome = "error" // the backend could not give an answer
	Skip  Outcome = "skip"  // the scenario does not apply to this version
)

// Result is one scenario checked on one Istio version.
type Result struct {
	Scenario string  `json:"scenario"`
	File     string  `json:"file"`
	Version  string  `json:"version"`
	Outcome  Outcome `json:"outcome"`
	// Differences between prediction (want) and real pilot (got).
	Differences []Difference `json:"differences,omitempty"`
	// Expectations the real result does not meet (want: the scenario).
	Expectations []Difference `json:"expectations,omitempty"`
	// Witnesses is how many findings' witness connections were replayed
	// on the real listeners (a witness that goes elsewhere is a
	// difference at level witness).
	Witnesses int `json:"witnesses,omitempty"`
	// Reasons are the predictor's reasons for the listeners that differ.
	Reasons map[string]string `json:"reasons,omitempty"`
	Err     string            `json:"error,omitempty"`
	// Duration is how long the backend ran.
	Duration time.Duration `json:"duration"`
	// Prediction and Real are the two listener sets compared.
	Prediction *predictor.Prediction `json:"-"`
	Real       []listener.Listener   `json:"-"`
	// RealRoutes are the route configurations real pilot sent for the
	// HTTP chains of Real.
	RealRoutes []route.Config `json:"-"`
	// RealUnreadableRoutes are real route configurations that could not be
	// read into the route model.
	RealUnreadableRoutes []dump.Failure `json:"-"`
}
