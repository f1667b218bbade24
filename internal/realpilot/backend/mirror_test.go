package backend

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/listenerlab/listenerlab/world"
)

// The backend is its own module per Istio version and cannot import package
// world: _program/world.go mirrors world.World by hand and decodes strictly.
// These tests read that file as source and fail when the mirror drifts from
// the main module: a field added, renamed or dropped on either side, or a
// format constant that no longer agrees.

// mirrorFile parses the backend's mirror of the World.
func mirrorFile(t *testing.T) *ast.File {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), filepath.Join("_program", "world.go"), nil, parser.SkipObjectResolution)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func TestMirrorFormatsMatchMainModule(t *testing.T) {
	consts := map[string]string{}
	for _, d := range mirrorFile(t).Decls {
		g, ok := d.(*ast.GenDecl)
		if !ok || g.Tok != token.CONST {
			continue
		}
		for _, s := range g.Specs {
			vs := s.(*ast.ValueSpec)
			for i, n := range vs.Names {
				if lit, ok := vs.Values[i].(*ast.BasicLit); ok && lit.Kind == token.STRING {
					consts[n.Name], _ = strconv.Unquote(lit.Value)
				}
			}
		}
	}
	for _, tc := range []struct{ name, want string }{
		{"worldFormat", world.Format},
		{"resultFormat", ResultFormat},
	} {
		if got := consts[tc.name]; got != tc.want {
			t.Errorf("_program/world.go: %s = %q, want %q as in the main module", tc.name, got, tc.want)
		}
	}
}

// jsonField is one field of a JSON object as encoding/json writes it.
type jsonField struct {
	name      string
	omitempty bool
}

func parseTag(tag string) (jsonField, bool) {
	v, ok := reflect.StructTag(tag).Lookup("json")
	if !ok || v == "-" {
		return jsonField{}, false
	}
	name, opts, _ := strings.Cut(v, ",")
	return jsonField{name: name, omitempty: slices.Contains(strings.Split(opts, ","), "omitempty")}, true
}

// mirrorStructs are the struct types _program/world.go declares, by name.
func mirrorStructs(f *ast.File) map[string]*ast.StructType {
	out := map[string]*ast.StructType{}
	ast.Inspect(f, func(n ast.Node) bool {
		if ts, ok := n.(*ast.TypeSpec); ok {
			if st, ok := ts.Type.(*ast.StructType); ok {
				out[ts.Name.Name] = st
			}
		}
		return true
	})
	return out
}

// elemIdent is the type name a field's type comes down to through slices,
// pointers and maps' values: world in []*world, "" for a qualified type.
func elemIdent(e ast.Expr) string {
	for {
		switch x := e.(type) {
		case *ast.Ident:
			return x.Name
		case *ast.StarExpr:
			e = x.X
		case *ast.ArrayType:
			e = x.Elt
		case *ast.MapType:
			e = x.Value
		default:
			return ""
		}
	}
}

// elemType is the same for a reflect type.
func elemType(t reflect.Type) reflect.Type {
	for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice || t.Kind() == reflect.Array || t.Kind() == reflect.Map {
		t = t.Elem()
	}
	return t
}

// reporter is what compareMirror needs of a *testing.T.
type reporter interface {
	Helper()
	Errorf(format string, args ...any)
}

// recorder keeps the errors instead of failing a test.
type recorder struct{ errs []string }

func (r *recorder) Helper() {}

func (r *recorder) Errorf(format string, args ...any) {
	r.errs = append(r.errs, fmt.Sprintf(format, args...))
}

// compareMirror checks that the mirror struct st has the JSON fields of t,
// and recurses where t's field is a struct of package world.
func compareMirror(t reporter, path string, st *ast.StructType, typ reflect.Type, structs map[string]*ast.StructType) {
	t.Helper()
	type mfield struct {
		jsonField
		typ ast.Expr
	}
	mirror := map[string]mfield{}
	for _, f := range st.Fields.List {
		if f.Tag == nil {
			t.Errorf("%s: mirror field %s has no json tag", path, f.Names[0].Name)
			continue
		}
		tag, _ := strconv.Unquote(f.Tag.Value)
		jf, ok := parseTag(tag)
		if !ok {
			continue
		}
		mirror[jf.name] = mfield{jf, f.Type}
	}
	seen := map[string]bool{}
	for i := 0; i < typ.NumField(); i++ {
		sf := typ.Field(i)
		if !sf.IsExported() {
			continue
		}
		jf, ok := parseTag(string(sf.Tag))
		if !ok {
			continue
		}
		seen[jf.name] = true
		m, ok := mirror[jf.name]
		switch {
		case !ok:
			t.Errorf("%s.%s (json %q) has no counterpart in _program/world.go: the backend would refuse every World that sets it", path, sf.Name, jf.name)
			continue
		case m.omitempty != jf.omitempty:
			t.Errorf("%s.%s (json %q): omitempty is %v in the main module, %v in the mirror", path, sf.Name, jf.name, jf.omitempty, m.omitempty)
		}
		et := elemType(sf.Type)
		if et.Kind() != reflect.Struct || et.PkgPath() != reflect.TypeOf(world.World{}).PkgPath() {
			continue
		}
		ms, ok := structs[elemIdent(m.typ)]
		if !ok {
			t.Errorf("%s.%s (json %q) is %s, but the mirror's field is not a struct of _program/world.go", path, sf.Name, jf.name, et)
			continue
		}
		compareMirror(t, path+"."+sf.Name, ms, et, structs)
	}
	for name := range mirror {
		if !seen[name] {
			t.Errorf("%s: the mirror in _program/world.go has json %q, which the main module's %s does not write", path, name, typ)
		}
	}
}

func TestMirrorFieldsMatchWorld(t *testing.T) {
	f := mirrorFile(t)
	structs := mirrorStructs(f)
	st, ok := structs["world"]
	if !ok {
		t.Fatal("_program/world.go declares no struct type world")
	}
	compareMirror(t, "world.World", st, reflect.TypeOf(world.World{}), structs)
}

// TestMirrorComparisonFails checks that compareMirror catches drift: a
// mirror with a field renamed, one missing, one extra and a nested struct
// out of step.
func TestMirrorComparisonFails(t *testing.T) {
	src := `package main
type world struct {
	Format   string ` + "`json:\"format\"`" + `
	Scenario string ` + "`json:\"scenarioName\"`" + `
	Client   client ` + "`json:\"client\"`" + `
	Extra    int    ` + "`json:\"extra,omitempty\"`" + `
}
type client struct {
	Name string ` + "`json:\"name,omitempty\"`" + `
}`
	f, err := parser.ParseFile(token.NewFileSet(), "drift.go", src, 0)
	if err != nil {
		t.Fatal(err)
	}
	ft := &recorder{}
	compareMirror(ft, "world.World", mirrorStructs(f)["world"], reflect.TypeOf(world.World{}), mirrorStructs(f))
	for _, want := range []string{`"scenario"`, `"scenarioName"`, `"extra"`, `world.World.Client.Name (json "name"): omitempty`, `"namespace"`, `"env"`} {
		if !slices.ContainsFunc(ft.errs, func(e string) bool { return strings.Contains(e, want) }) {
			t.Errorf("no drift error mentions %s; got:\n%s", want, strings.Join(ft.errs, "\n"))
		}
	}
}
