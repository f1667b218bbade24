package predictor

import (
	"bytes"
	"flag"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the README's findings table")

// parsePackage parses the predictor's non-test files.
func parsePackage(t *testing.T) (*token.FileSet, []*ast.File) {
	t.Helper()
	fset := token.NewFileSet()
	paths, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	var files []*ast.File
	for _, p := range paths {
		if strings.HasSuffix(p, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, p, nil, parser.ParseComments)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, f)
	}
	return fset, files
}

// codeConstants returns the names of the constants declared with type Code.
func codeConstants(files []*ast.File) map[string]bool {
	out := map[string]bool{}
	for _, f := range files {
		for _, d := range f.Decls {
			g, ok := d.(*ast.GenDecl)
			if !ok || g.Tok != token.CONST {
				continue
			}
			for _, spec := range g.Specs {
				vs := spec.(*ast.ValueSpec)
				if id, ok := vs.Type.(*ast.Ident); ok && id.Name == "Code" {
					for _, n := range vs.Names {
						out[n.Name] = true
					}
				}
			}
		}
	}
	return out
}

// TestFindingTable checks the table describes every code exactly once,
// with a severity, a summary and a fix, and that the code's name is its
// value.
func TestFindingTable(t *testing.T) {
	_, files := parsePackage(t)
	consts := codeConstants(files)
	seen := map[Code]bool{}
	for _, ft := range FindingTypes() {
		if seen[ft.Code] {
			t.Errorf("%s: described twice", ft.Code)
		}
		seen[ft.Code] = true
		if !consts[string(ft.Code)] {
			t.Errorf("%s: no constant of that name (the constant's name must be its value)", ft.Code)
		}
		if ft.Summary == "" || ft.Fix == "" || !strings.HasSuffix(ft.Summary, ".") || !strings.HasSuffix(ft.Fix, ".") {
			t.Errorf("%s: summary and fix must be sentences: %q %q", ft.Code, ft.Summary, ft.Fix)
		}
		// Errors and warnings are shown by a witness connection; info has none.
		if (ft.Severity == SeverityInfo) != (ft.Witness == "none") {
			t.Errorf("%s: severity %s with witness %q", ft.Code, ft.Severity, ft.Witness)
		}
		switch ft.Severity {
		case SeverityError, SeverityWarning, SeverityInfo:
		default:
			t.Errorf("%s: severity %q", ft.Code, ft.Severity)
		}
		if _, ok := ft.Code.Type(); !ok {
			t.Errorf("%s: Type() does not find it", ft.Code)
		}
	}
	for name := range consts {
		if !seen[Code(name)] {
			t.Errorf("constant %s has no entry in findingTypes", name)
		}
	}
	if _, ok := Code("NoSuchCode").Type(); ok {
		t.Error("Type() finds a code that is not in the table")
	}
}

// TestFindingsRaisedThroughTable checks every place that raises a finding
// names a Code constant (no string literal), and that only graded codes
// are raised at a severity of the caller's choosing.
func TestFindingsRaisedThroughTable(t *testing.T) {
	fset, files := parsePackage(t)
	consts := codeConstants(files)
	calls := 0
	for _, f := range files {
		ast.Inspect(f, func(n ast.Node) bool {
			if lit, ok := n.(*ast.CompositeLit); ok {
				if id, ok := lit.Type.(*ast.Ident); ok && id.Name == "Finding" {
					if pos := fset.Position(lit.Pos()); pos.Filename != "build.go" {
						t.Errorf("%s: a Finding built outside builder.findingAt", pos)
					}
				}
			}
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			sel, ok := call.Fun.(*ast.SelectorExpr)
			if !ok || sel.Sel.Name != "finding" && sel.Sel.Name != "findingAt" {
				return true
			}
			pos := fset.Position(call.Pos())
			id, ok := call.Args[0].(*ast.Ident)
			if !ok {
				t.Errorf("%s: %s called with %T, want a Code constant", pos, sel.Sel.Name, call.Args[0])
				return true
			}
			if id.Name == "code" { // finding forwarding to findingAt
				return true
			}
			calls++
			if !consts[id.Name] {
				t.Errorf("%s: %s called with %s, not a Code constant", pos, sel.Sel.Name, id.Name)
				return true
			}
			if ft, _ := Code(id.Name).Type(); sel.Sel.Name == "findingAt" && ft.Graded == "" {
				t.Errorf("%s: %s is raised at a chosen severity but the table does not say it is graded", pos, id.Name)
			}
			return true
		})
	}
	if calls < len(findingTypes) {
		t.Errorf("found %d places that raise findings, fewer than the %d codes: the parse missed some", calls, len(findingTypes))
	}
}

// findingsMarkdown renders the table for the README.
func findingsMarkdown() string {
	var b strings.Builder
	b.WriteString("| code | severity | what happens to traffic | witness | fix | istioctl analyze |\n|---|---|---|---|---|---|\n")
	for _, ft := range FindingTypes() {
		sev := string(ft.Severity)
		if ft.Graded != "" {
			sev += " (graded: " + ft.Graded + ")"
		}
		istioctl := ft.Istioctl
		if istioctl == "" {
			istioctl = "no overlapping message"
		}
		b.WriteString("| `" + string(ft.Code) + "` | " + sev + " | " + ft.Summary + " | " + ft.Witness + " | " + ft.Fix + " | " + istioctl + " |\n")
	}
	return b.String()
}

// TestReadmeFindings checks the README's findings table is the one
// findingTypes renders; -update rewrites it.
func TestReadmeFindings(t *testing.T) {
	const begin, end = "<!-- findings:begin -->\n", "<!-- findings:end -->"
	path := filepath.Join("..", "README.md")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	i, j := bytes.Index(data, []byte(begin)), bytes.Index(data, []byte(end))
	if i < 0 || j < i {
		t.Fatalf("%s: no %q ... %q markers", path, strings.TrimSpace(begin), end)
	}
	want := findingsMarkdown()
	got := string(data[i+len(begin) : j])
	if got == want {
		return
	}
	if !*update {
		t.Fatalf("%s: the findings table differs from predictor/finding.go; run: go test ./predictor -run TestReadmeFindings -update\n got:\n%s\nwant:\n%s", path, got, want)
	}
	out := append(append(append([]byte(nil), data[:i+len(begin)]...), want...), data[j:]...)
	if err := os.WriteFile(path, out, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestFindingUncertain checks which findings explain a difference from the
// real pilot on their listener: those whose prediction is incomplete or one
// of several outcomes, and no others.
func TestFindingUncertain(t *testing.T) {
	for _, tc := range []struct {
		code Code
		want bool
	}{
		{EnvoyFilterNotModelled, true},
		{OrderUndetermined, true},
		{Shadowed, false},
		{SniffedListenerTaken, false},
		{"NoSuchCode", false},
	} {
		f := Finding{Code: tc.code}
		if got := f.Uncertain(); got != tc.want {
			t.Errorf("Finding{Code: %s}.Uncertain() = %v, want %v", tc.code, got, tc.want)
		}
		if f.Code != tc.code || f.Code == Hijack {
			t.Errorf("Finding{Code: %s}.Is: compares codes wrong", tc.code)
		}
	}
}
