// Package versions is the catalog of Istio versions listenerlab checks
// against: one line per version. A version also needs its pilot backend
// module files, internal/realpilot/backend/modules/LABEL.mod and LABEL.sum.
package versions

import (
	"fmt"
	"os"
	"strings"
)

// Version is one catalogued Istio version.
type Version struct {
	// Label is what users type: --istio 1.26.
	Label string
	// Module is the istio.io/istio module version (a pseudo-version: Istio
	// has no semver tags).
	Module string
	// Image is the release image tag for kind installs ("" when the version
	// has no release images, e.g. a development snapshot).
	Image string
	// Minor is the minor release, for version-range rules: 26 for 1.26.
	Minor int
	// Note is shown wherever results of this version are shown.
	Note string
	// Source holds the gates read from the version's Istio source
	// (ReadSource): set for versions on demand, empty for catalogued ones,
	// whose gates follow their minor.
	Source map[Gate]bool
	// Tree, for a version built from an Istio source tree rather than a
	// module the proxy serves, names that tree and, once opened, what it
	// is; nil for module versions.
	Tree *Tree
}

// Tree names the Istio source tree a version is built from: a checkout
// (Path), or a revision of a git checkout or git directory (Path@Rev).
type Tree struct {
	// Path is the checkout or git directory; empty means the istio/istio
	// clone IstioGitDir names.
	Path string
	// Rev is the tag, branch or commit in Path's history; empty means
	// the checkout as it is.
	Rev string
	// Commit, Tag and Dirty say what the tree is, once opened: its commit
	// ("" outside git), a tag on it, and whether the checkout has
	// uncommitted changes.
	Commit, Tag string
	Dirty       bool
	// Key is the tree's content identity (commit, and a hash of its
	// uncommitted changes), the name of its cached backend module.
	Key string
	// Deps are the dependencies taken from source trees of their own
	// (--replace MODULE=DIR), each "MODULE=DIR (identity)".
	Deps []string
}

// DefaultIstioGitDir is where this project's machines keep a clone of
// istio/istio with every tag.
const DefaultIstioGitDir = "/work/.mirror/istio+istio/repo"

// IstioGitDir is the istio/istio clone that catalogued source-tree
// versions and the release table are read from: ISTIO_GIT_DIR, else
// DefaultIstioGitDir.
func IstioGitDir() string {
	if d := os.Getenv("ISTIO_GIT_DIR"); d != "" {
		return d
	}
	return DefaultIstioGitDir
}

// Catalog lists every version, oldest first.
var Catalog = []Version{
	{Label: "1.24", Module: "v0.0.0-20241105211601-8825a6b7f8c9", Image: "1.24.0", Minor: 24},
	{Label: "1.26", Module: "v0.0.0-20250506181944-c2e9871f340c", Image: "1.26.0", Minor: 26},
	{Label: "1.27", Module: "v0.0.0-20250808040725-7359d8be2504", Image: "1.27.0", Minor: 27},
	{Label: "1.30", Module: "v0.0.0-20260826214018-9739e10eb9d7", Minor: 30,
		Note: "release-1.30 branch of 2026-08-26, built with replacements for pins the module proxy refused: " +
			"istio.io/api and client-go v1.30.8 (pinned v1.30.4 pre-releases), go-control-plane envoy and contrib " +
			"at ca8ce173c36f of 2026-07-13 (pinned 2026-04-09), agentgateway api at 773586679f1c of 2026-05-01 (pinned 2026-05-06)"},
	// 1.31-dev is a release-1.31 branch commit before 1.31.0, not master:
	// its common/Makefile.common.mk says UPDATE_BRANCH ?= "release-1.31" and
	// its common/scripts/setup_env.sh builds with IMAGE_VERSION=release-1.31-...
	// (master snapshots say "master" in both, e.g. the 2026-04-23 one), and
	// it pins istio.io/api and client-go v1.31.0-rc pre-releases and
	// go-control-plane ca8ce173c36f, the release-1.30 line's choice. The
	// label stays: scenario version ranges and docs use it.
	{Label: "1.31-dev", Module: "v0.0.0-20260827124520-eed52ebb66ad", Minor: 31,
		Note: "release-1.31 branch snapshot of 2026-08-27, before 1.31.0 (VERSION 1.31; UPDATE_BRANCH release-1.31 in common/Makefile.common.mk; " +
			"istio.io/api and client-go v1.31.0-rc pre-releases, go-control-plane ca8ce173c36f)"},
	// 1.32-dev is istio/istio master (VERSION 1.32), which the module
	// proxy does not serve: it is built from a clone of istio/istio
	// (IstioGitDir) at that commit, materialized with git archive, and
	// skipped where no clone is at hand. Its gates come from its source.
	{Label: "1.32-dev", Module: "v0.0.0-20260822200018-86c9f01fd735", Minor: 32,
		Tree: &Tree{Rev: "86c9f01fd735fb01d8192f5bcaf0d424afb7f14c"},
		Note: "istio/istio master of 2026-08-22 (commit 86c9f01fd735, VERSION 1.32), built from a clone of istio/istio (ISTIO_GIT_DIR)"},
}

// ModuleVersions lists the catalogued versions built from a module the
// proxy serves (committed module files): what --istio all runs. The
// versions built from a source tree are left out: they need a clone, and
// their first build costs minutes that `make test` does not spend.
func ModuleVersions() []Version {
	var out []Version
	for _, v := range Catalog {
		if v.Tree == nil {
			out = append(out, v)
		}
	}
	return out
}

// Newest is the newest catalogued version built from a module the proxy
// serves: the one the predictor models by default.
func Newest() Version {
	vs := ModuleVersions()
	return vs[len(vs)-1]
}

// Lookup finds a version by label, or by the release its module is
// ("1.26.0" finds "1.26"); "1.30.0" is not the catalog's 1.30, a later
// release-1.30 branch commit.
func Lookup(label string) (Version, error) {
	for _, v := range Catalog {
		if v.Label == label || (v.Image != "" && v.Image == label) {
			return v, nil
		}
	}
	return Version{}, fmt.Errorf("unknown Istio version %q (known: %s)", label, strings.Join(Labels(), ", "))
}

// Labels lists the labels of every catalogued version.
func Labels() []string {
	out := make([]string, len(Catalog))
	for i, v := range Catalog {
		out[i] = v.Label
	}
	return out
}

// Range is a set of versions: minors written ">=1.25", "<1.25",
// "1.24-1.26", "1.26" or "" (every version), or the versions that have a
// gate's behaviour ("SidecarExactHostLookup") or lack it
// ("!SidecarExactHostLookup"), for behaviours a development snapshot may
// have or lack whatever its minor says.
type Range struct {
	Min, Max int // inclusive minors; 0 means unbounded
	// Gate, when set, makes the range the versions that have it (or, with
	// Without, lack it); Min and Max are then 0.
	Gate    Gate
	Without bool
}

// ParseRange parses a version range.
func ParseRange(s string) (Range, error) {
	s = strings.TrimSpace(s)
	if name := strings.TrimPrefix(s, "!"); name != "" && name[0] >= 'A' && name[0] <= 'Z' {
		if _, ok := byMinor[Gate(name)]; !ok {
			return Range{}, fmt.Errorf("version range %q: no gate %s (gates: %v)", s, name, Gates())
		}
		return Range{Gate: Gate(name), Without: name != s}, nil
	}
	minor := func(v string) (int, error) {
		v = strings.TrimSpace(v)
		v = strings.TrimSuffix(v, "-dev")
		var major, m int
		if _, err := fmt.Sscanf(v, "%d.%d", &major, &m); err != nil || major != 1 {
			return 0, fmt.Errorf("version range %q: %q is not a 1.N version", s, v)
		}
		return m, nil
	}
	switch {
	case s == "" || s == "*":
		return Range{}, nil
	case strings.HasPrefix(s, ">="):
		m, err := minor(s[2:])
		return Range{Min: m}, err
	case strings.HasPrefix(s, "<="):
		m, err := minor(s[2:])
		return Range{Max: m}, err
	case strings.HasPrefix(s, "<"):
		m, err := minor(s[1:])
		return Range{Max: m - 1}, err
	case strings.HasPrefix(s, ">"):
		m, err := minor(s[1:])
		return Range{Min: m + 1}, err
	case strings.Contains(s, "-") && !strings.HasSuffix(s, "-dev"):
		lo, hi, _ := strings.Cut(s, "-")
		a, err := minor(lo)
		if err != nil {
			return Range{}, err
		}
		b, err := minor(hi)
		return Range{Min: a, Max: b}, err
	}
	m, err := minor(s)
	return Range{Min: m, Max: m}, err
}

// Includes reports whether the version lies in the range: its minor, or
// whether it has the range's gate (from its source where read).
func (r Range) Includes(v Version) bool {
	if r.Gate != "" {
		return v.Has(r.Gate) != r.Without
	}
	return (r.Min == 0 || v.Minor >= r.Min) && (r.Max == 0 || v.Minor <= r.Max)
}
