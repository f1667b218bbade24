package main

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/listenerlab/listenerlab/predictor/versions"
)

// TestReleaseTable derives the release table again from an istio/istio
// clone (ISTIO_GIT_DIR, else DefaultGitDir) and compares every tag's every
// gate with the committed one, so each gate's boundary is checked against
// every release tag; skipped, saying why, where no clone is at hand.
func TestReleaseTable(t *testing.T) {
	dir := GitDir()
	if _, err := os.Stat(filepath.Join(dir, "HEAD")); err != nil {
		t.Skipf("no istio/istio git directory at %s (set ISTIO_GIT_DIR to a clone holding its tags): the committed release table is not derived again", dir)
	}
	if testing.Short() {
		t.Skip("-short: deriving the table reads every tag (about a minute)")
	}
	derived, err := Derive(dir)
	if err != nil {
		t.Fatal(err)
	}
	table := map[string]versions.Release{}
	for _, r := range versions.Releases() {
		table[r.Tag] = r
	}
	for _, got := range derived {
		want, ok := table[got.Tag]
		delete(table, got.Tag)
		switch {
		case !ok:
			t.Errorf("%s: tagged in %s but not in the table: run go generate ./predictor/versions", got.Tag, dir)
			continue
		case got.Tag == versions.Master && got.Commit != want.Commit:
			t.Logf("master: the clone's master is %s, the table's %s: not compared (master moves; go generate records the newer one)", got.Commit[:12], want.Commit[:12])
			continue
		case got.Commit != want.Commit || !got.Time.Equal(want.Time) || got.Minor != want.Minor:
			t.Errorf("%s: commit %s of %s, minor %d; the table says %s of %s, minor %d",
				got.Tag, got.Commit, got.Time, got.Minor, want.Commit, want.Time, want.Minor)
		}
		for _, g := range versions.Gates() {
			gv, gok := got.Source[g]
			wv, wok := want.Source[g]
			if gv != wv || gok != wok {
				t.Errorf("%s: %s is %s in its source, %s in the table", got.Tag, g, decided(gv, gok), decided(wv, wok))
			}
		}
		if !slices.Equal(got.Undecided, want.Undecided) {
			t.Errorf("%s: undecided %v in its source, %v in the table", got.Tag, got.Undecided, want.Undecided)
		}
	}
	for tag := range table {
		t.Errorf("%s: in the table but not tagged in %s", tag, dir)
	}
}

// TestRenderReproducesTable renders the committed table again: the file
// on disk is what Render writes for it, so no hand edit hides there.
func TestRenderReproducesTable(t *testing.T) {
	onDisk, err := os.ReadFile("../../releases_gen.go")
	if err != nil {
		t.Fatal(err)
	}
	// The header names the clone the table was read from.
	first, _, _ := bytes.Cut(onDisk, []byte("with `go generate"))
	i := bytes.LastIndex(first, []byte("github.com/istio/istio ("))
	j := bytes.LastIndex(first, []byte(")"))
	if i < 0 || j < i {
		t.Fatalf("releases_gen.go: no clone named in its header")
	}
	gitDir := string(first[i+len("github.com/istio/istio (") : j])
	got, err := Render(gitDir, versions.Releases())
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, onDisk) {
		t.Errorf("releases_gen.go differs from what mkreleases renders for its own table: regenerate it with go generate ./predictor/versions")
	}
}

func decided(v, ok bool) string {
	if !ok {
		return "undecided"
	}
	if v {
		return "true"
	}
	return "false"
}
