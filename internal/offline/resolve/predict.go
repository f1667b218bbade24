package resolve

import (
	"fmt"

	"github.com/listenerlab/listenerlab/predictor"
	"github.com/listenerlab/listenerlab/predictor/versions"
	"github.com/listenerlab/listenerlab/scenario"
	"github.com/listenerlab/listenerlab/world"
)

// Predict resolves a loaded scenario as Simulate does and predicts its
// client's outbound listeners with the rules of v: the offline pipeline
// (load, resolve, predict) that predict, explain, verify and the corpus
// tests share. It returns the World too, which verify hands to the real
// pilot. A resolve error is Simulate's; a prediction error names the
// scenario's file.
func Predict(sc *scenario.Scenario, v versions.Version, opts ...predictor.Option) (*world.World, *predictor.Prediction, error) {
	w, err := Simulate(sc, v)
	if err != nil {
		return nil, nil, err
	}
	p, err := predictor.Predict(w, v, opts...)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", sc.Path, err)
	}
	return w, p, nil
}
