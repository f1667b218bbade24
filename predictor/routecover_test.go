package predictor

import (
	"fmt"
	"testing"

	rds "github.com/listenerlab/listenerlab/route"
)

// TestCovers checks the cover rule against Envoy's route matching
// (RouteMatch: prefix on the path with its query, path exact without it,
// safe_regex whole; case_sensitive false compares lower-cased; every
// header and query condition must hold): a covers b only when every
// request b takes is taken by a.
func TestCovers(t *testing.T) {
	p := func(kind rds.PathKind, path string, ci bool, hs ...rds.HeaderMatch) rds.Match {
		return rds.Match{PathKind: kind, Path: path, CaseInsensitive: ci, Headers: hs}
	}
	jason := rds.HeaderMatch{Name: "end-user", Kind: rds.ValueExact, Value: "jason"}
	beta := rds.HeaderMatch{Name: "x-beta", Kind: rds.ValuePresent}
	tests := []struct {
		name string
		a, b rds.Match
		want bool
	}{
		{"prefix / covers a regex with a header", p(rds.Prefix, "/", false), p(rds.Regex, "/a.*", false, jason), true},
		{"regex .* covers everything", p(rds.Regex, ".*", false), p(rds.Exact, "/x", true), true},
		{"same match with the same header", p(rds.Exact, "/x", false, jason), p(rds.Exact, "/x", false, jason), true},
		{"a header b lacks: not covered", p(rds.Prefix, "/", false, jason), p(rds.Prefix, "/api", false), false},
		{"b's extra header: covered", p(rds.Prefix, "/api", false, jason), p(rds.Exact, "/api/x", false, beta, jason), true},
		{"prefix of a separated prefix", p(rds.Prefix, "/api", false), p(rds.SeparatedPrefix, "/api/v1", false), true},
		{"not a prefix", p(rds.Prefix, "/api/v1", false), p(rds.Prefix, "/api", false), false},
		{"case-insensitive prefix covers another case", p(rds.Prefix, "/API", true), p(rds.Exact, "/api/x", false), true},
		{"case-sensitive prefix does not cover a case-insensitive path", p(rds.Prefix, "/api", false), p(rds.Prefix, "/api/x", true), false},
		{"case-insensitive exact covers the same path in another case", p(rds.Exact, "/Login", true), p(rds.Exact, "/login", false), true},
		{"exact does not cover a prefix", p(rds.Exact, "/api", false), p(rds.Prefix, "/api", false), false},
		{"other regular expressions are not decided", p(rds.Regex, "/api/.*", false), p(rds.Exact, "/api/x", false), false},
		{"an inverted condition is not the condition", p(rds.Prefix, "/", false, rds.HeaderMatch{Name: "end-user", Kind: rds.ValueExact, Value: "jason", Invert: true}), p(rds.Prefix, "/", false, jason), false},
	}
	for _, tt := range tests {
		if got := covers(tt.a, tt.b); got != tt.want {
			t.Errorf("%s: covers(%s, %s) = %v, want %v", tt.name, tt.a, tt.b, got, tt.want)
		}
	}
}

// TestRequestFor checks that the request built for a match is one the
// match takes, and that a match needing the Host or a non-literal regular
// expression gets none.
func TestRequestFor(t *testing.T) {
	tests := []struct {
		m    rds.Match
		want string
		ok   bool
	}{
		{rds.Match{PathKind: rds.Prefix, Path: "/api", Headers: []rds.HeaderMatch{{Name: ":method", Kind: rds.ValueExact, Value: "POST"}, {Name: "X-A", Kind: rds.ValueSuffix, Value: "z"}}, QueryParams: []rds.HeaderMatch{{Name: "q", Kind: rds.ValuePresent}}}, "POST /api?q=x map[x-a:z]", true},
		{rds.Match{PathKind: rds.Exact, Path: "/x", Headers: []rds.HeaderMatch{{Name: "x-b", Kind: rds.ValueExact, Value: "b", Invert: true, MissingAsEmpty: true}}}, " /x map[]", true},
		{rds.Match{PathKind: rds.Regex, Path: "/v[0-9]+"}, "", false},
		{rds.Match{PathKind: rds.Prefix, Path: "/", Headers: []rds.HeaderMatch{{Name: ":authority", Kind: rds.ValueExact, Value: "a"}}}, "", false},
		{rds.Match{PathKind: rds.Prefix, Path: "/", Headers: []rds.HeaderMatch{{Name: "x", Kind: rds.ValueRegex, Value: "^a+$"}}}, "", false},
	}
	for _, tt := range tests {
		req, ok := requestFor(tt.m)
		if ok != tt.ok {
			t.Errorf("%s: ok %v, want %v", tt.m, ok, tt.ok)
			continue
		}
		if !ok {
			continue
		}
		if got := req.Method + " " + req.Path + " " + fmt.Sprint(req.Headers); got != tt.want {
			t.Errorf("%s: request %q, want %q", tt.m, got, tt.want)
		}
	}
}
