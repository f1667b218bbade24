package internal_test

import (
	"bufio"
	"go/build/constraint"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
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
	extra := strings.Split(string(m[1]), ",")
	plain := func(tag string) bool {
		return tag == runtime.GOOS || tag == runtime.GOARCH || tag == "unix" && runtime.GOOS != "windows"
	}
	tagged := func(tag string) bool {
		for _, e := range extra {
			if tag == e {
				return true
			}
		}
		return plain(tag)
	}
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
		expr, err := buildConstraint(path)
		if err != nil || expr == nil {
			return err
		}
		if expr.Eval(plain) && !expr.Eval(tagged) {
			t.Errorf("%s is in the default build but not in the one with LINT_TAGS %s: lint would not see it", path, m[1])
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// buildConstraint returns a file's //go:build expression, nil when it has
// none.
func buildConstraint(path string) (constraint.Expr, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if strings.HasPrefix(line, "package ") {
			return nil, nil
		}
		if constraint.IsGoBuild(line) {
			return constraint.Parse(line)
		}
	}
	return nil, sc.Err()
}
