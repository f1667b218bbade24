package versions

import (
	"slices"
	"strings"
	"testing"
)

// TestReleasesUnlikeTheirMinor pins every release whose source decides a
// gate otherwise than its minor's rule (byMinor): the backports and late
// changes a rule by minor gets wrong. TestReleaseTable
// (internal/mkreleases) checks the table itself against Istio's tags.
func TestReleasesUnlikeTheirMinor(t *testing.T) {
	want := map[string][]string{
		"1.24.3": {"ServiceEntryServicePerAddress=true"},
		"1.24.4": {"ServiceEntryServicePerAddress=true"},
		"1.24.5": {"ServiceEntryServicePerAddress=true"},
		"1.24.6": {"DualStackFirstFamily=true", "ServiceEntryServicePerAddress=true"},
	}
	for _, tag := range strings.Fields("1.25.0-alpha.0 1.25.0-rc.0 1.25.0-rc.1 1.25.0 1.25.1 1.25.2 1.26.0-alpha.0 1.26.0-beta.0 1.26.0-rc.0") {
		want[tag] = []string{"DualStackFirstFamily=false"}
	}
	for _, r := range releases {
		if (r.Minor == 28 || r.Minor == 29 || r.Minor == 30) && CompareReleases(r.Tag, "1.30.3") < 0 {
			want[r.Tag] = []string{"PrivateServicesFirst=true"}
		}
		// istio/istio#60701, backported to 1.30.3 with #60726.
		if r.Minor == 30 && CompareReleases(r.Tag, "1.30.3") < 0 {
			want[r.Tag] = []string{"DefaultExportToNamespaces=false", "PrivateServicesFirst=true"}
		}
	}
	for _, r := range releases {
		got := r.Version().FromSource()
		if !slices.Equal(got, want[r.Tag]) {
			t.Errorf("%s: unlike its minor's rule in %v, want %v", r.Tag, got, want[r.Tag])
		}
		if len(r.Undecided) > 0 {
			t.Errorf("%s: gates %v undecided by its source: a marker no longer finds its code; read the tag's source and fix the marker (source.go)", r.Tag, r.Undecided)
		}
	}
}

// TestPrivateServicesFirstByRelease is issue 22's done-when check: the
// private-first order holds in 1.28.x, 1.29.x and 1.30.0-1.30.2 and is
// gone from 1.30.3 (pilot/pkg/model/push_context.go, backport of #60726).
func TestPrivateServicesFirstByRelease(t *testing.T) {
	tests := []struct {
		label string
		want  bool
	}{
		{"1.27.9", true}, {"1.28.0", true}, {"1.28.4", true}, {"1.29.3", true}, {"1.30.0", true}, {"1.30.2", true},
		{"1.30.3", false}, {"1.31.0-rc.0", false}, {Master, false},
		{"1.30", false}, {"1.27", true},
	}
	for _, tt := range tests {
		v, _, err := Resolve(tt.label)
		if err != nil {
			t.Fatal(err)
		}
		if got := v.PrivateServicesFirst(); got != tt.want {
			t.Errorf("%s: PrivateServicesFirst %t, want %t", tt.label, got, tt.want)
		}
	}
}

// TestResolve takes catalogued labels as catalogued, releases and minors
// from the table, and refuses unknown releases in one line.
func TestResolve(t *testing.T) {
	tests := []struct {
		label, wantLabel, wantTook, wantErr string
		catalogued                          bool
	}{
		{label: "1.30", wantLabel: "1.30", catalogued: true},
		{label: "1.31-dev", wantLabel: "1.31-dev", catalogued: true},
		{label: "1.29.3", wantLabel: "1.29.3"},
		{label: "1.30.0", wantLabel: "1.30.0"},
		{label: "1.31.0-rc.0", wantLabel: "1.31.0-rc.0"},
		{label: "master", wantLabel: "master"},
		{label: "1.28", wantLabel: "1.28.10", wantTook: "Istio 1.28: taking 1.28.10"},
		{label: "1.31", wantLabel: "1.31.0-rc.0", wantTook: "taking 1.31.0-rc.0"},
		{label: "1.32", wantLabel: "master", wantTook: "Istio 1.32: taking master, the newest 1.32 release in the release table"},
		{label: "1.29.99", wantErr: `unknown Istio release "1.29.99": give a catalogued label (1.24, 1.26, 1.27, 1.30, 1.31-dev, 1.32-dev), a release (1.24.0-1.24.6, 1.25.0-1.25.5,`},
		{label: "1.40", wantErr: "1.29.0-1.29.6, 1.30.0-1.30.3, 1.31.0-alpha.0-1.31.0-rc.0, their alpha, beta and rc tags, or master: 1.32 of 2026-08-22)"},
		{label: "b01690e6db7d", wantErr: "not a release number"},
	}
	for _, tt := range tests {
		v, notice, err := Resolve(tt.label)
		switch {
		case tt.wantErr != "":
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) || strings.Contains(err.Error(), "\n") {
				t.Errorf("Resolve(%q) error %v, want one line with %q", tt.label, err, tt.wantErr)
			}
		case err != nil:
			t.Errorf("Resolve(%q): %v", tt.label, err)
		case v.Label != tt.wantLabel || !strings.Contains(notice, tt.wantTook) || (tt.wantTook == "") != (notice == ""):
			t.Errorf("Resolve(%q) = %s (%q), want %s (%q)", tt.label, v.Label, notice, tt.wantLabel, tt.wantTook)
		case tt.catalogued != (v.Source == nil):
			t.Errorf("Resolve(%q): catalogued %t, want %t", tt.label, v.Source == nil, tt.catalogued)
		}
	}
}

// TestReleaseModule checks the pseudo-versions the table derives against
// the catalog's, where a catalogued version is a tag, and that Lookup
// finds a catalogued version by that release only.
func TestReleaseModule(t *testing.T) {
	for _, label := range []string{"1.24", "1.26", "1.27"} {
		c, err := Lookup(label)
		if err != nil {
			t.Fatal(err)
		}
		r, _, err := Resolve(c.Image)
		if err != nil {
			t.Fatal(err)
		}
		if r.Module != c.Module {
			t.Errorf("%s: module %s, the catalog's %s has %s", c.Image, r.Module, label, c.Module)
		}
		if byRelease, err := Lookup(c.Image); err != nil || byRelease.Label != label {
			t.Errorf("Lookup(%q) = %v, %v; want the catalog's %s", c.Image, byRelease.Label, err, label)
		}
	}
	if v, err := Lookup("1.30.0"); err == nil {
		t.Errorf("Lookup(1.30.0) = %s: the catalog's 1.30 is a later branch commit, not the release", v.Label)
	}
}

// TestUndecidedFollowsMinor: a gate the source left undecided takes the
// minor's rule, and the note says so.
func TestUndecidedFollowsMinor(t *testing.T) {
	r := releases[len(releases)-1]
	r.Minor = 33 // newer than every catalogued version: the notice says so too
	r.Source = map[Gate]bool{}
	r.Undecided = []Gate{GatePrivateServicesFirst}
	v := r.Version()
	if v.PrivateServicesFirst() != byMinor[GatePrivateServicesFirst](r.Minor) {
		t.Errorf("undecided PrivateServicesFirst does not follow the minor %d", r.Minor)
	}
	if !strings.Contains(v.Note, "PrivateServicesFirst undecided by its source, taken from 1.") {
		t.Errorf("note %q does not name the undecided gate", v.Note)
	}
	saved := releases
	t.Cleanup(func() { releases = saved })
	releases = append(slices.Clone(saved[:len(saved)-1]), r)
	_, notice, err := Resolve(Master)
	if want := "Istio master: PrivateServicesFirst undecided by its source (the code moved), taken from 1.33's rule\nnot modelled: Istio master (1.33) is newer than every version checked against real pilot (newest 1.32-dev)"; err != nil || !strings.HasPrefix(notice, want) {
		t.Errorf("Resolve(master) notice %q, %v; want %q", notice, err, want)
	}
}

// TestCompareReleases orders pre-releases before their release, patches
// numerically, master last.
func TestCompareReleases(t *testing.T) {
	want := []string{"1.28.0-alpha.0", "1.28.0-beta.1", "1.28.0-rc.0", "1.28.0-rc.1", "1.28.0", "1.28.2", "1.28.10", "1.29.0", Master}
	got := slices.Clone(want)
	slices.Reverse(got)
	slices.SortFunc(got, CompareReleases)
	if !slices.Equal(got, want) {
		t.Errorf("sorted %v, want %v", got, want)
	}
	if !slices.IsSortedFunc(Releases(), func(a, b Release) int { return CompareReleases(a.Tag, b.Tag) }) {
		t.Error("the release table is not sorted")
	}
}

// TestUnverified: a minor newer than every catalogued version (source-tree
// versions included) gets the notice; a catalogued minor does not.
func TestUnverified(t *testing.T) {
	newest := 0
	for _, c := range Catalog {
		newest = max(newest, c.Minor)
	}
	if n := Unverified(Version{Label: "1.99.0", Minor: newest + 1}); !strings.Contains(n, "is newer than every version checked against real pilot") {
		t.Errorf("minor %d: notice %q", newest+1, n)
	}
	if n := Unverified(Version{Label: "x", Minor: newest}); n != "" {
		t.Errorf("minor %d: notice %q, want none", newest, n)
	}
}
