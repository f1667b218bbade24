package versions

import (
	"cmp"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

//go:generate go run ./internal/mkreleases -o releases_gen.go

// Master is the release table's name for istio/istio's master branch.
const Master = "master"

// Release is one istio/istio tag (or master) of the release table
// (releases_gen.go): the gates its source decides, read with the markers
// of source.go, so that commands which build no pilot take any release
// offline.
type Release struct {
	// Tag is the git tag: "1.29.3", "1.31.0-rc.0", or Master.
	Tag string
	// Commit is the tagged commit.
	Commit string
	// Time is the commit time, UTC.
	Time time.Time
	// Minor is the tag's minor (master's from its VERSION file).
	Minor int
	// Source holds every gate the tag's source decides.
	Source map[Gate]bool
	// Undecided lists the gates whose marker found neither form in the
	// tag's source (the code moved): they follow Minor's rule.
	Undecided []Gate
}

// Releases returns the release table, oldest first, master last.
func Releases() []Release { return slices.Clone(releases) }

// Module is the istio.io/istio pseudo-version of the release's commit, as
// the Go module proxy serves it: Istio's tags are not module versions.
func (r Release) Module() string {
	return fmt.Sprintf("v0.0.0-%s-%s", r.Time.Format("20060102150405"), r.Commit[:12])
}

// Version is the release as a Version: gates from its source, an
// undecided gate by its minor.
func (r Release) Version() Version {
	v := Version{Label: r.Tag, Module: r.Module(), Minor: r.Minor, Source: r.Source, Note: r.note()}
	if r.Tag != Master {
		v.Image = r.Tag
	}
	return v
}

// note says where the release's gates come from, which of them its minor's
// rule would get wrong, and which follow the minor because the source did
// not decide them.
func (r Release) note() string {
	name := "tag " + r.Tag
	if r.Tag == Master {
		name = fmt.Sprintf("master (VERSION 1.%d)", r.Minor)
	}
	n := fmt.Sprintf("istio/istio %s, commit %s of %s, gates from its source (release table)", name, r.Commit[:12], r.Time.Format(time.DateOnly))
	if diff := (Version{Minor: r.Minor, Source: r.Source}).FromSource(); len(diff) > 0 {
		n += fmt.Sprintf(" (unlike 1.%d's rule: %s)", r.Minor, strings.Join(diff, ", "))
	}
	if len(r.Undecided) > 0 {
		var gs []string
		for _, g := range r.Undecided {
			gs = append(gs, string(g))
		}
		n += fmt.Sprintf("; %s undecided by its source, taken from 1.%d's rule", strings.Join(gs, ", "), r.Minor)
	}
	return n
}

// releaseNumber parses an Istio release number: 1.29.3, 1.31.0-rc.0.
var releaseNumber = regexp.MustCompile(`^(\d+)\.(\d+)\.(\d+)(?:-(alpha|beta|rc)\.(\d+))?$`)

// minorNumber matches a minor alone: 1.28.
var minorNumber = regexp.MustCompile(`^1\.(\d+)$`)

// CompareReleases orders release tags: by minor and patch, a pre-release
// before its release (alpha, beta, rc), master last.
func CompareReleases(a, b string) int {
	key := func(t string) []int {
		if t == Master {
			return []int{1 << 30}
		}
		m := releaseNumber.FindStringSubmatch(t)
		if m == nil {
			return nil
		}
		k := make([]int, 5)
		for i, s := range []string{m[1], m[2], m[3], "", m[5]} {
			k[i], _ = strconv.Atoi(s)
		}
		k[3] = map[string]int{"alpha": 0, "beta": 1, "rc": 2, "": 3}[m[4]]
		return k
	}
	return cmp.Or(slices.Compare(key(a), key(b)), strings.Compare(a, b))
}

// ErrNotRelease says a value is neither a catalogued label nor shaped like
// a release number: an istio.io/istio module version or commit, perhaps.
var ErrNotRelease = errors.New("not a release number")

// Resolve finds what an --istio value names without any download: a
// catalogued label as catalogued, a release of the table ("1.29.3",
// "1.31.0-rc.0", "master"), or a minor ("1.28": its newest release in the
// table, else its newest pre-release, else master when master is that
// minor). notice, for the user, says which release a minor stood for and
// which gates the release's source left undecided ("" when neither). A
// value shaped like a release number that the table lacks is an error
// listing what is accepted; any other value is ErrNotRelease.
func Resolve(label string) (v Version, notice string, err error) {
	for _, c := range Catalog {
		if c.Label == label {
			return c, "", nil
		}
	}
	if i := slices.IndexFunc(releases, func(r Release) bool { return r.Tag == label }); i >= 0 {
		return releases[i].Version(), notices(releases[i]), nil
	}
	if m := minorNumber.FindStringSubmatch(label); m != nil {
		if r, ok := newestOfMinor(m[1]); ok {
			n := fmt.Sprintf("Istio %s: taking %s, the newest %s release in the release table", label, r.Tag, label)
			if u := notices(r); u != "" {
				n += "\n" + u
			}
			return r.Version(), n, nil
		}
	}
	if minorNumber.MatchString(label) || releaseNumber.MatchString(label) {
		return Version{}, "", fmt.Errorf("unknown Istio release %q: give %s", label, Accepted())
	}
	return Version{}, "", fmt.Errorf("%q: %w", label, ErrNotRelease)
}

// notices are what a user of release r is told: the gates its source
// left undecided, and whether it is newer than every version checked
// against real pilot.
func notices(r Release) string {
	var ns []string
	for _, n := range []string{undecidedNotice(r), unverifiedNotice(r)} {
		if n != "" {
			ns = append(ns, n)
		}
	}
	return strings.Join(ns, "\n")
}

// unverifiedNotice says when a release's minor is newer than every
// catalogued version (Unverified).
func unverifiedNotice(r Release) string {
	n := Unverified(Version{Label: r.Tag, Minor: r.Minor})
	if n == "" {
		return ""
	}
	return "not modelled: " + n
}

// Unverified says, for a version whose minor is newer than every
// catalogued version (those built from a source tree included: 1.32-dev
// models master's listener changes behind gates read from its source),
// that its own changes to outbound listener generation are not modelled
// and nothing checked the prediction against its pilot; "" otherwise.
func Unverified(v Version) string {
	newest := Catalog[0]
	for _, c := range Catalog {
		if c.Minor >= newest.Minor {
			newest = c
		}
	}
	if v.Minor <= newest.Minor {
		return ""
	}
	return fmt.Sprintf("Istio %s (1.%d) is newer than every version checked against real pilot (newest %s); "+
		"its own changes to outbound listeners are not modelled: the prediction applies the gates its source shows and %s's rules otherwise",
		v.Label, v.Minor, newest.Label, newest.Label)
}

// undecidedNotice names the gates a release's source left undecided,
// which follow its minor's rule.
func undecidedNotice(r Release) string {
	if len(r.Undecided) == 0 {
		return ""
	}
	var gs []string
	for _, g := range r.Undecided {
		gs = append(gs, string(g))
	}
	return fmt.Sprintf("Istio %s: %s undecided by its source (the code moved), taken from 1.%d's rule", r.Tag, strings.Join(gs, ", "), r.Minor)
}

// newestOfMinor is the newest release of minor (its decimal digits) in
// the table: releases before pre-releases, master last.
func newestOfMinor(minor string) (Release, bool) {
	var best Release
	found := false
	for _, r := range releases {
		if strconv.Itoa(r.Minor) != minor {
			continue
		}
		if !found || rank(r) > rank(best) || (rank(r) == rank(best) && CompareReleases(r.Tag, best.Tag) > 0) {
			best, found = r, true
		}
	}
	return best, found
}

// rank prefers a release to a pre-release, and either to master.
func rank(r Release) int {
	switch {
	case r.Tag == Master:
		return 0
	case strings.Contains(r.Tag, "-"):
		return 1
	}
	return 2
}

// Accepted says, in one line, what --istio takes.
func Accepted() string {
	var spans []string
	for i := 0; i < len(releases); {
		j := i
		for j+1 < len(releases) && releases[j+1].Minor == releases[i].Minor && releases[j+1].Tag != Master {
			j++
		}
		first, last := "", ""
		for _, r := range releases[i : j+1] {
			if r.Tag == Master || strings.Contains(r.Tag, "-") {
				continue
			}
			if first == "" {
				first = r.Tag
			}
			last = r.Tag
		}
		if first == "" && releases[i].Tag != Master {
			first, last = releases[i].Tag, releases[j].Tag
		}
		if first != "" {
			spans = append(spans, first+"-"+last)
		}
		i = j + 1
	}
	m := releases[len(releases)-1]
	return fmt.Sprintf("a catalogued label (%s), a release (%s, their alpha, beta and rc tags, or master: 1.%d of %s), "+
		"a minor (1.%d-1.%d: its newest release), or an istio.io/istio module version or commit",
		strings.Join(Labels(), ", "), strings.Join(spans, ", "), m.Minor, m.Time.Format(time.DateOnly), releases[0].Minor, m.Minor)
}
