package analyze

import (
	"fmt"
	"strings"

	"github.com/listenerlab/listenerlab/internal/offline/resolve"
	"github.com/listenerlab/listenerlab/predictor"
	"github.com/listenerlab/listenerlab/predictor/versions"
	"github.com/listenerlab/listenerlab/world"
)

// witness is pf's witness as client c sees it, with the trace command
// that replays it: on the scenario file for a scenario, else on Run's
// paths for client c.
func (f *folder) witness(pf predictor.Finding, c Client, o options) *Witness {
	if pf.Witness == nil {
		return nil
	}
	w := &Witness{Witness: *pf.Witness, Client: c.Name}
	args := append([]string{"listenerlab", "trace"}, w.Flags()...)
	args = append(args, "--istio", versionOf(c, o).Label)
	if f.sc.Headerless {
		args = append(args, "--client", selectorName(c.Namespace, c.Labels))
		args = append(args, o.traceArgs...)
		args = append(args, o.paths...)
	} else {
		args = append(args, f.sc.Path)
	}
	quoted := make([]string, len(args))
	for i, a := range args {
		quoted[i] = shellQuote(a)
	}
	w.Command = strings.Join(quoted, " ")
	return w
}

// shellQuote quotes an argument for a POSIX shell when it holds anything
// but letters, digits and -_./:=,@+ (a path with spaces, an IPv6
// address in brackets, which the shell would take for a pattern).
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./:=,@+") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// PredictClient predicts the sidecar of client c from the plain manifests
// under paths, loaded as Run loads them (all plain files form one cluster;
// scenario files are left out): what a witness's trace command traces on.
// It returns the World and the version whose rules applied too, for its
// outbound traffic policy.
func PredictClient(paths []string, c Client, opts ...Option) (*predictor.Prediction, *world.World, versions.Version, error) {
	o := options{version: versions.Newest(), maxEndpointListeners: 100}
	for _, opt := range opts {
		opt.apply(&o)
	}
	o.clients = []Client{c}
	folders, _, _, _, refused, err := load(paths, o)
	if err != nil {
		return nil, nil, versions.Version{}, err
	}
	if len(refused) > 0 {
		// One connection's answer is not given on part of the input.
		return nil, nil, versions.Version{}, &InputError{Errs: refused}
	}
	for _, f := range folders {
		if !f.sc.Headerless {
			continue
		}
		sc := f.scenarioFor(c)
		for _, fc := range f.clients {
			if fc.Name == c.Name {
				sc = f.scenarioFor(fc) // with its control plane
				c = fc
			}
		}
		v := versionOf(c, o)
		w, err := resolve.Simulate(&sc, v)
		if err != nil {
			return nil, nil, versions.Version{}, err
		}
		if err := pinClient(w, c); err != nil {
			return nil, nil, versions.Version{}, fmt.Errorf("client %s: %w", c.Name, err)
		}
		p, err := predictor.Predict(w, v, predictor.WithMaxEndpointListeners(o.maxEndpointListeners))
		if err != nil {
			return nil, nil, versions.Version{}, fmt.Errorf("client %s: %w", c.Name, err)
		}
		return p, w, v, nil
	}
	return nil, nil, versions.Version{}, fmt.Errorf("no plain manifests under %s: --client picks a workload of plain manifests; a scenario file names its own client", strings.Join(paths, ", "))
}
