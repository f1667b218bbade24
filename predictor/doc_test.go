package predictor

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/listenerlab/listenerlab/predictor/versions"
)

// indexRow is one row of the rule index in doc.go.
type indexRow struct {
	line                                int
	rule, here, istio, applies, finding string
}

// ruleIndex reads the rule index: the table rows of doc.go's comment.
func ruleIndex(t *testing.T) []indexRow {
	t.Helper()
	data, err := os.ReadFile("doc.go")
	if err != nil {
		t.Fatal(err)
	}
	var rows []indexRow
	for i, l := range strings.Split(string(data), "\n") {
		l, ok := strings.CutPrefix(l, "//\t|")
		if !ok || strings.HasPrefix(l, "---") || strings.HasPrefix(l, " rule |") {
			continue
		}
		cols := strings.Split(strings.TrimSuffix(strings.TrimSpace(l), "|"), " | ")
		if len(cols) != 5 {
			t.Errorf("doc.go:%d: %d columns, want 5 (rule | here | Istio | applies to | finding)", i+1, len(cols))
			continue
		}
		for j := range cols {
			cols[j] = strings.TrimSpace(cols[j])
		}
		rows = append(rows, indexRow{i + 1, cols[0], cols[1], cols[2], cols[3], cols[4]})
	}
	if len(rows) == 0 {
		t.Fatal("doc.go: no rule index rows")
	}
	return rows
}

// declared maps file name to the functions and methods it declares.
func declared(fset *token.FileSet, files []*ast.File) map[string]map[string]bool {
	out := map[string]map[string]bool{}
	for _, f := range files {
		name := fset.Position(f.Pos()).Filename
		out[name] = map[string]bool{}
		for _, d := range f.Decls {
			if fd, ok := d.(*ast.FuncDecl); ok {
				out[name][fd.Name.Name] = true
			}
		}
	}
	return out
}

// TestRuleIndex checks the rule index against the package: every function
// it names exists in the file it names; every function that models Istio
// (its doc comment says "NAME models") or raises a finding has a row; every
// finding code is in the table and has a row; every version gate named
// exists in predictor/versions.
func TestRuleIndex(t *testing.T) {
	fset, files := parsePackage(t)
	decls := declared(fset, files)
	indexed := map[string]bool{}
	codes := map[Code]bool{}
	for _, r := range ruleIndex(t) {
		if r.rule == "" || r.istio == "" {
			t.Errorf("doc.go:%d: empty rule or Istio column", r.line)
		}
		for _, part := range strings.Split(r.here, ";") {
			file, funcs, ok := strings.Cut(strings.TrimSpace(part), " ")
			if !ok || decls[file] == nil {
				t.Errorf("doc.go:%d: %q names no file of the package", r.line, part)
				continue
			}
			for _, fn := range strings.Split(funcs, ",") {
				fn = strings.TrimSpace(fn)
				if !decls[file][fn] {
					t.Errorf("doc.go:%d: %s declares no function %s", r.line, file, fn)
				}
				indexed[fn] = true
			}
		}
		if r.finding != "-" {
			for _, c := range strings.Split(r.finding, ",") {
				code := Code(strings.TrimSpace(c))
				if _, ok := code.Type(); !ok {
					t.Errorf("doc.go:%d: unknown finding code %q", r.line, code)
				}
				codes[code] = true
			}
		}
		if r.applies != "all" {
			for _, m := range regexp.MustCompile(`\(!?([A-Z]\w+)\)`).FindAllStringSubmatch(r.applies, -1) {
				if !versionGates(t)[m[1]] {
					t.Errorf("doc.go:%d: %s is no method of versions.Version", r.line, m[1])
				}
			}
			if !strings.Contains(r.applies, "(") {
				t.Errorf("doc.go:%d: a version range without the gate that selects it: %q", r.line, r.applies)
			}
		}
	}
	for _, ft := range FindingTypes() {
		if !codes[ft.Code] {
			t.Errorf("finding %s: no rule in the index raises it", ft.Code)
		}
	}
	// Every modelling function and every function that raises a finding
	// needs a row.
	for _, f := range files {
		for _, d := range f.Decls {
			fd, ok := d.(*ast.FuncDecl)
			if !ok || indexed[fd.Name.Name] || fd.Name.Name == "finding" || fd.Name.Name == "findingAt" {
				continue
			}
			pos := fset.Position(fd.Pos())
			if fd.Doc != nil && strings.HasPrefix(fd.Doc.Text(), fd.Name.Name+" models ") {
				t.Errorf("%s: %s models Istio but the rule index has no row naming it", pos, fd.Name.Name)
			}
			ast.Inspect(fd, func(n ast.Node) bool {
				if call, ok := n.(*ast.CallExpr); ok {
					if sel, ok := call.Fun.(*ast.SelectorExpr); ok && (sel.Sel.Name == "finding" || sel.Sel.Name == "findingAt") {
						t.Errorf("%s: %s raises a finding but the rule index has no row naming it", pos, fd.Name.Name)
						return false
					}
				}
				return true
			})
		}
	}
}

// versionGates returns the methods of versions.Version.
func versionGates(t *testing.T) map[string]bool {
	t.Helper()
	fset := token.NewFileSet()
	paths, err := filepath.Glob(filepath.Join("versions", "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]bool{}
	for _, p := range paths {
		if strings.HasSuffix(p, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, p, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range f.Decls {
			if fd, ok := d.(*ast.FuncDecl); ok && fd.Recv != nil {
				out[fd.Name.Name] = true
			}
		}
	}
	return out
}

// TestRuleIndexIstioSource checks the bracketed versions of the Istio
// column against the Istio sources in the Go module cache: each named
// function (or variable) is declared in the named file in exactly the
// catalogued versions listed. Versions whose module is not in the cache
// are left out (the pilot backends download them); with none, the test
// skips.
func TestRuleIndexIstioSource(t *testing.T) {
	cache := os.Getenv("GOMODCACHE")
	if cache == "" {
		gopath := os.Getenv("GOPATH")
		if gopath == "" {
			home, _ := os.UserHomeDir()
			gopath = filepath.Join(home, "go")
		}
		cache = filepath.Join(strings.Split(gopath, string(os.PathListSeparator))[0], "pkg", "mod")
	}
	var labels []string
	dirs := map[string]string{}
	for _, v := range versions.Catalog {
		labels = append(labels, v.Label)
		dir := filepath.Join(cache, "istio.io", "istio@"+v.Module)
		if _, err := os.Stat(dir); err == nil {
			dirs[v.Label] = dir
		} else {
			t.Logf("Istio %s: not in the module cache, not checked", v.Label)
		}
	}
	if len(dirs) == 0 {
		t.Skip("no catalogued Istio module in the module cache (" + cache + ")")
	}
	entry := regexp.MustCompile(`^(\S+\.go) ([^\[]+) \[([^\]]+)\]$`)
	checked := 0
	for _, r := range ruleIndex(t) {
		if strings.Contains(r.istio, "(Envoy") {
			continue
		}
		for _, part := range strings.Split(r.istio, ";") {
			m := entry.FindStringSubmatch(strings.TrimSpace(part))
			if m == nil {
				t.Errorf("doc.go:%d: Istio entry %q is not \"FILE NAME[, NAME] [VERSIONS]\"", r.line, part)
				continue
			}
			listed, err := expandVersions(m[3], labels)
			if err != nil {
				t.Errorf("doc.go:%d: %v", r.line, err)
				continue
			}
			for label, dir := range dirs {
				data, err := os.ReadFile(filepath.Join(dir, m[1]))
				for _, name := range strings.Split(m[2], ",") {
					name = strings.TrimSpace(name)
					decl := regexp.MustCompile(`func (\([^)]*\) )?` + name + `\b|\b` + name + `\s*=`)
					has := err == nil && decl.Match(data)
					if has != listed[label] {
						t.Errorf("doc.go:%d: %s %s in Istio %s: declared %t, the index says %t", r.line, m[1], name, label, has, listed[label])
					}
					checked++
				}
			}
		}
	}
	t.Logf("%d checks against %d Istio versions", checked, len(dirs))
}

// expandVersions reads "all", "1.24-1.27" or "1.30, 1.31-dev" over the
// catalog's labels.
func expandVersions(s string, labels []string) (map[string]bool, error) {
	out := map[string]bool{}
	index := func(l string) int {
		for i, x := range labels {
			if x == l {
				return i
			}
		}
		return -1
	}
	switch {
	case s == "all":
		for _, l := range labels {
			out[l] = true
		}
	case strings.Contains(s, ","):
		for _, l := range strings.Split(s, ",") {
			if index(strings.TrimSpace(l)) < 0 {
				return nil, fmt.Errorf("version %q is not catalogued", l)
			}
			out[strings.TrimSpace(l)] = true
		}
	default:
		lo, hi, ok := strings.Cut(s, "-")
		if strings.HasSuffix(s, "-dev") && strings.Count(s, "-") == 1 {
			lo, hi, ok = s, s, true
		} else if strings.Count(s, "-") == 2 { // 1.27-1.31-dev
			i := strings.Index(s, "-")
			lo, hi = s[:i], s[i+1:]
		}
		if !ok {
			lo, hi = s, s
		}
		a, b := index(lo), index(hi)
		if a < 0 || b < a {
			return nil, fmt.Errorf("version range %q is not over catalogued versions", s)
		}
		for _, l := range labels[a : b+1] {
			out[l] = true
		}
	}
	return out, nil
}
