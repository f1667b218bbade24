package app

import (
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/listenerlab/listenerlab/internal/offline/analyze"
	"github.com/listenerlab/listenerlab/predictor/versions"
	"github.com/listenerlab/listenerlab/scenario/install"
)

// valuesList is the repeatable --values flag: istiod Helm values files.
type valuesList []string

func (l *valuesList) String() string { return strings.Join(*l, " ") }

func (l *valuesList) Set(s string) error { *l = append(*l, s); return nil }

// valuesUsage is --values' help line.
const valuesUsage = "istiod Helm values file (repeatable; the later wins): meshConfig, env and pilot.env, revision, revisionTags and the globals the chart feeds into the mesh config; over the input's values of the same revision"

// istioUsage is --istio's help line where the install is read.
const istioUsage = "Istio version whose rules to apply, or REVISION=VERSION[,REVISION=VERSION] per control plane revision (e.g. default=1.26,canary=1.30; a revision not named takes the newest catalogued)"

// installOptions turns --istio (a version, or REVISION=VERSION pairs) and
// --values into analyze options; the version is the one of revisions
// --istio does not name.
func installOptions(istio string, values []string, stderr io.Writer) (versions.Version, []analyze.Option, error) {
	def, byRev, err := parseIstio(istio, stderr)
	if err != nil {
		return versions.Version{}, nil, err
	}
	opts := []analyze.Option{analyze.WithVersion(def)}
	if len(byRev) > 0 {
		opts = append(opts, analyze.WithRevisionVersions(byRev))
	}
	for _, path := range values {
		data, err := os.ReadFile(path)
		if err != nil {
			return versions.Version{}, nil, fmt.Errorf("--values: %w", err)
		}
		opts = append(opts, analyze.WithValues(install.ValuesFile{Path: path, Data: data}), analyze.WithTraceArgs("--values", path))
	}
	return def, opts, nil
}

// parseIstio reads --istio: one version for every revision, or
// REVISION=VERSION pairs (the revisions not named take the newest
// catalogued version).
func parseIstio(s string, stderr io.Writer) (versions.Version, map[string]versions.Version, error) {
	if !strings.Contains(s, "=") {
		v, err := offlineVersion(s, stderr)
		if err != nil {
			return versions.Version{}, nil, fmt.Errorf("listenerlab: %w", err)
		}
		return v, nil, nil
	}
	byRev := map[string]versions.Version{}
	for _, pair := range strings.Split(s, ",") {
		rev, label, ok := strings.Cut(strings.TrimSpace(pair), "=")
		if !ok || !dnsLabelRE.MatchString(rev) || label == "" {
			return versions.Version{}, nil, fmt.Errorf("--istio: %q is not REVISION=VERSION (in %q)", pair, s)
		}
		if _, dup := byRev[rev]; dup {
			return versions.Version{}, nil, fmt.Errorf("--istio: revision %s given twice (in %q)", rev, s)
		}
		v, err := offlineVersion(label, stderr)
		if err != nil {
			return versions.Version{}, nil, fmt.Errorf("--istio %s=%s: %w", rev, label, err)
		}
		byRev[rev] = v
	}
	return versions.Newest(), byRev, nil
}
