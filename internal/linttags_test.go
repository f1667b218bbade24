package internal_test

import (
	"go/build"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestLintTagsCoverDefaultBuild holds the Makefile's lint to its word: vet
// and staticcheck run once, with LINT_TAGS, which sees every file of the
// default build only if no file of the module is dropped by those tags.
func TestLintTagsCoverDefaultBuild(t *testing.T) {
	mk, err := os.ReadFile("../Makefile")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^LINT_TAGS \?= (\S+)$`).FindSubmatch(mk)
	if m == nil {
		t.Fatal("Makefile: no LINT_TAGS line")
	}
	plain := build.Default
	plain.BuildTags = nil
	tagged := plain
	tagged.BuildTags = strings.Split(string(m[1]), ",")
	err = filepath.WalkDir("..", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if d.IsDir() {
			if path != ".." && (strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_") || name == "testdata" || name == "artifacts") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(name, ".go") {
			return nil
		}
		dir := filepath.Dir(path)
		inPlain, err := plain.MatchFile(dir, name)
		if err != nil {
			return err
		}
		inTagged, err := tagged.MatchFile(dir, name)
		if err != nil {
			return err
		}
		if inPlain && !inTagged {
			t.Errorf("%s is in the default build but not in the one with LINT_TAGS %s: lint would not see it", path, m[1])
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
