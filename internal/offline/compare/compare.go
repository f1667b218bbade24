package compare

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/listenerlab/listenerlab/listener"
	"github.com/listenerlab/listenerlab/predictor/versions"
	"github.com/listenerlab/listenerlab/scenario"
)

// Level is how deep a difference lies: which part of a listener differs.
type Level string

// Comparison levels, shallow to deep.
const (
	LevelListener    Level = "listener"    // a listener exists on one side only
	LevelAddress     Level = "address"     // address, additional addresses, bind_to_port, listener filters
	LevelMatch       Level = "match"       // a filter chain match exists on one side only
	LevelDestination Level = "destination" // same match, different destination
	LevelConflict    Level = "conflict"    // istiod's conflict records differ
	// LevelWitness: a finding's witness connection goes elsewhere on the
	// real listeners than the finding says.
	LevelWitness Level = "witness"
)

// Difference is one disagreement. Want is the prediction (or expectation),
// Got what real Istio built; an empty side means "absent".
type Difference struct {
	Level    Level  `json:"level"`
	Listener string `json:"listener"`
	Want     string `json:"want,omitempty"`
	Got      string `json:"got,omitempty"`
}

func (d Difference) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s:", d.Level, d.Listener)
	if d.Want != "" {
		fmt.Fprintf(&b, "\n  -%s", d.Want)
	}
	if d.Got != "" {
		fmt.Fprintf(&b, "\n  +%s", d.Got)
	}
	return b.String()
}

// Chains renders a listener's chains as "MATCH -> DESTINATION" lines, the
// default chain as "default -> DESTINATION", sorted.
func Chains(l listener.Listener) []string {
	var out []string
	for _, c := range l.FilterChains {
		out = append(out, c.Match.String()+" -> "+c.Destination.String())
	}
	if l.DefaultChain != nil {
		out = append(out, "default -> "+l.DefaultChain.Destination.String())
	}
	sort.Strings(out)
	return out
}

func header(l listener.Listener) string {
	return fmt.Sprintf("address=%s extra=[%s] bind_to_port=%t filters=[%s]", l.Address,
		strings.Join(l.AdditionalAddresses, ","), l.BindToPort, strings.Join(l.ListenerFilters, ","))
}

// Listeners compares predicted (want) with real (got) listeners by name.
func Listeners(want, got []listener.Listener) []Difference {
	w, g := byName(want), byName(got)
	var out []Difference
	for _, name := range unionKeys(w, g) {
		a, inW := w[name]
		b, inG := g[name]
		switch {
		case !inG:
			out = append(out, Difference{Level: LevelListener, Listener: name, Want: header(a)})
			continue
		case !inW:
			out = append(out, Difference{Level: LevelListener, Listener: name, Got: header(b)})
			continue
		}
		if header(a) != header(b) {
			out = append(out, Difference{Level: LevelAddress, Listener: name, Want: header(a), Got: header(b)})
		}
		out = append(out, chainDiffs(name, a, b)...)
	}
	return out
}

// chainDiffs pairs chains by match as Envoy reads it (prefix ranges
// masked: "10.1.2.3/24" and "10.1.2.0/24" are one match, a difference in
// text alone is none): a match on one side only is a match difference;
// the same match with another destination is a destination difference.
// Each side is shown in its own text.
func chainDiffs(name string, a, b listener.Listener) []Difference {
	type side struct {
		text  string
		dests []string
	}
	dests := func(l listener.Listener) map[string]*side {
		m := map[string]*side{}
		add := func(key, text, dest string) {
			if m[key] == nil {
				m[key] = &side{text: text}
			}
			m[key].dests = append(m[key].dests, dest)
		}
		for _, c := range l.FilterChains {
			add(c.Match.Masked().String(), c.Match.String(), c.Destination.String())
		}
		if l.DefaultChain != nil {
			add("default", "default", l.DefaultChain.Destination.String())
		}
		for _, s := range m {
			sort.Strings(s.dests)
		}
		return m
	}
	da, db := dests(a), dests(b)
	var out []Difference
	for _, key := range unionKeys(da, db) {
		x, inA := da[key]
		y, inB := db[key]
		switch {
		case !inB:
			out = append(out, Difference{Level: LevelMatch, Listener: name, Want: x.text + " -> " + strings.Join(x.dests, " | ")})
		case !inA:
			out = append(out, Difference{Level: LevelMatch, Listener: name, Got: y.text + " -> " + strings.Join(y.dests, " | ")})
		case strings.Join(x.dests, "|") != strings.Join(y.dests, "|"):
			out = append(out, Difference{Level: LevelDestination, Listener: name, Want: x.text + " -> " + strings.Join(x.dests, " | "), Got: y.text + " -> " + strings.Join(y.dests, " | ")})
		}
	}
	return out
}

// Conflicts compares conflict records by listener and rejected service.
func Conflicts(want, got []listener.Conflict) []Difference {
	key := func(c listener.Conflict) string { return c.Listener + " " + c.Rejected }
	w, g := map[string]listener.Conflict{}, map[string]listener.Conflict{}
	for _, c := range want {
		w[key(c)] = c
	}
	for _, c := range got {
		g[key(c)] = c
	}
	var out []Difference
	for _, k := range unionKeys(w, g) {
		a, inW := w[k]
		b, inG := g[k]
		switch {
		case !inG:
			out = append(out, Difference{Level: LevelConflict, Listener: a.Listener, Want: a.Rejected + " rejected (" + string(a.Kind) + ")"})
		case !inW:
			out = append(out, Difference{Level: LevelConflict, Listener: b.Listener, Got: b.Rejected + " rejected (" + string(b.Kind) + ")"})
		}
	}
	return out
}

// Expectations checks listeners and conflicts against the expectations of
// a scenario that apply to version v. Want is the expectation, Got what
// the listeners show.
func Expectations(exps []scenario.Expectation, v versions.Version, ls []listener.Listener, cs []listener.Conflict) []Difference {
	have := byName(ls)
	var out []Difference
	for _, e := range exps {
		r, err := versions.ParseRange(e.Versions)
		if err != nil || !r.Includes(v) {
			continue
		}
		names := make([]string, 0, len(e.Listeners))
		for n := range e.Listeners {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			l, ok := have[n]
			if !ok {
				out = append(out, Difference{Level: LevelListener, Listener: n, Want: "listener exists"})
				continue
			}
			want := e.Listeners[n]
			if want == nil {
				continue
			}
			want = append([]string(nil), want...)
			sort.Strings(want)
			got := Chains(l)
			if !sameChains(want, got) {
				out = append(out, Difference{Level: LevelMatch, Listener: n, Want: strings.Join(want, "; "), Got: strings.Join(got, "; ")})
			}
		}
		for _, n := range e.Absent {
			if _, ok := have[n]; ok {
				out = append(out, Difference{Level: LevelListener, Listener: n, Want: "absent", Got: strings.Join(Chains(have[n]), "; ")})
			}
		}
		rejected := map[string]bool{}
		for _, c := range cs {
			rejected[c.Listener+" "+c.Rejected] = true
		}
		var wantC []string
		for _, c := range e.Conflicts {
			wantC = append(wantC, c)
			if !rejected[c] {
				l, _, _ := strings.Cut(c, " ")
				out = append(out, Difference{Level: LevelConflict, Listener: l, Want: c + " rejected"})
			}
		}
		if e.Conflicts != nil || len(e.Listeners) > 0 {
			for k := range rejected {
				if !slices.Contains(wantC, k) && e.Conflicts != nil {
					l, _, _ := strings.Cut(k, " ")
					out = append(out, Difference{Level: LevelConflict, Listener: l, Got: k + " rejected"})
				}
			}
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Listener < out[j].Listener })
	return out
}

// sameChains compares chain lines by what Envoy matches: prefix ranges
// masked, so an expectation may write them either way.
func sameChains(want, got []string) bool {
	mask := func(xs []string) []string {
		out := make([]string, len(xs))
		for i, x := range xs {
			out[i] = listener.MaskChain(x)
		}
		sort.Strings(out)
		return out
	}
	return slices.Equal(mask(want), mask(got))
}

func byName(ls []listener.Listener) map[string]listener.Listener {
	m := make(map[string]listener.Listener, len(ls))
	for _, l := range ls {
		l.Normalize()
		m[l.Name] = l
	}
	return m
}

func unionKeys[V any](a, b map[string]V) []string {
	seen := map[string]bool{}
	var out []string
	for k := range a {
		if !seen[k] {
			seen[k], out = true, append(out, k)
		}
	}
	for k := range b {
		if !seen[k] {
			seen[k], out = true, append(out, k)
		}
	}
	sort.Strings(out)
	return out
}
