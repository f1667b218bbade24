package attribute

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"k8s.io/apimachinery/pkg/labels"

	"github.com/listenerlab/listenerlab/internal/offline/compare"
	"github.com/listenerlab/listenerlab/internal/offline/dump"
	"github.com/listenerlab/listenerlab/internal/offline/resolve"
	"github.com/listenerlab/listenerlab/listener"
	"github.com/listenerlab/listenerlab/predictor"
	"github.com/listenerlab/listenerlab/predictor/versions"
	"github.com/listenerlab/listenerlab/scenario"
)

// Explanation is a real sidecar's config dump explained by the manifests
// of its cluster: the prediction for the same client, the dump's outbound
// listeners attributed, and what the two do not share.
type Explanation struct {
	// Scenario holds the manifests, with the client the dump belongs to.
	Scenario *scenario.Scenario
	// Prediction is the client's prediction on the manifests.
	Prediction *predictor.Prediction
	// Dump is the config dump; Real its outbound listeners.
	Dump *dump.Dump
	Real []listener.Listener
	// Report attributes every listener and chain of Real.
	Report Report
	// Differences are the prediction against the dump (want: predicted),
	// the findings' witness connections replayed on the dump included.
	Differences []compare.Difference
}

// Explain predicts the client of sc with the rules of v, attributes the
// dump's outbound listeners and compares the two.
func Explain(d *dump.Dump, sc *scenario.Scenario, v versions.Version) (*Explanation, error) {
	w, p, err := resolve.Predict(sc, v)
	if err != nil {
		return nil, err
	}
	real := d.Outbound()
	return &Explanation{
		Scenario: sc, Prediction: p, Dump: d, Real: real,
		Report: Dump(real, p.Listeners, w, sc),
		// A dump holds no conflict records; its rejected and unreadable
		// listeners are warnings.
		Differences: compare.Prediction(p, compare.Real{Dump: d, DumpOnly: true}),
	}, nil
}

// ReadDump reads a sidecar's config dump file; a dump without outbound
// listeners is refused.
func ReadDump(file string) (*dump.Dump, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	d, err := dump.Parse(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	if len(d.Outbound()) == 0 {
		return nil, fmt.Errorf("%s: no outbound listeners: not an Istio sidecar's config dump?", file)
	}
	return d, nil
}

// LoadManifests reads a scenario file or plain manifests (files or
// directories) as the one cluster the dump's sidecar lives in. A Scenario
// header, if any, names the client; more than one is an error.
func LoadManifests(paths []string) (*scenario.Scenario, error) {
	scs, errs := scenario.LoadAllManifests(paths)
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	if len(scs) == 0 {
		return nil, fmt.Errorf("no manifests in %s", strings.Join(paths, ", "))
	}
	base := scs[0]
	var files []string
	for _, sc := range scs {
		files = append(files, sc.Path)
		if !sc.Headerless {
			if !base.Headerless && base != sc {
				return nil, fmt.Errorf("two Scenario headers (%s and %s): give one scenario, or plain manifests", base.Path, sc.Path)
			}
			base = sc
		}
	}
	if len(scs) == 1 {
		return base, nil
	}
	merged := *base
	merged.Path = strings.Join(files, ", ")
	merged.Manifests = nil
	seen := map[string]string{}
	for _, sc := range scs {
		for _, m := range sc.Manifests {
			if f, dup := seen[m.Ref()]; dup {
				return nil, fmt.Errorf("%s is in %s and %s", m.Ref(), f, sc.Path)
			}
			seen[m.Ref()] = sc.Path
			merged.Manifests = append(merged.Manifests, m)
		}
	}
	return &merged, nil
}

// SetClient sets the scenario's client from NAMESPACE/KEY=VALUE[,KEY=VALUE]
// and checks that it names at most one workload of the manifests (none: the
// standard client is added with these labels).
func SetClient(sc *scenario.Scenario, s string) error {
	ns, sel, ok := strings.Cut(s, "/")
	if !ok || ns == "" || sel == "" {
		return fmt.Errorf("%q: want NAMESPACE/LABELKEY=VALUE", s)
	}
	set := map[string]string{}
	for _, kv := range strings.Split(sel, ",") {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return fmt.Errorf("%q: %q is not LABELKEY=VALUE", s, kv)
		}
		set[k] = v
	}
	// --client replaces the header's client, its named pod included.
	sc.Header.Client.Namespace, sc.Header.Client.Labels, sc.Header.Client.Pod = ns, set, ""
	var matched []string
	for _, m := range sc.Manifests {
		if l, ok := scenario.PodLabels(m.Object); ok && m.Namespace == ns && labels.SelectorFromSet(set).Matches(labels.Set(l)) {
			matched = append(matched, m.Ref())
		}
	}
	if len(matched) > 1 {
		return fmt.Errorf("%q matches %d workloads (%s): the client must be one", s, len(matched), strings.Join(matched, ", "))
	}
	return nil
}
