package compare

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/listenerlab/listenerlab/route"
)

// LevelRoute: route configurations differ: one exists on one side only,
// or a virtual host, its domains, or a route's position, match or action.
const LevelRoute Level = "route"

// Routes compares predicted (want) with real (got) route configurations
// by name, then their virtual hosts by name, then each virtual host's
// domains (as a set) and routes (in order: the first route a request
// meets takes it). A difference's Listener is where it lies: the
// configuration's name, or "NAME vhost VHOST" (printed after the level:
// "route 9080 vhost reviews.bookinfo.svc.cluster.local:9080"). Neither
// side is changed.
func Routes(want, got []route.Config) []Difference {
	w, g := configsByName(want), configsByName(got)
	var out []Difference
	for _, name := range unionKeys(w, g) {
		a, inW := w[name]
		b, inG := g[name]
		where := name
		switch {
		case !inG:
			out = append(out, Difference{Level: LevelRoute, Listener: where, Want: configHeader(a)})
			continue
		case !inW:
			out = append(out, Difference{Level: LevelRoute, Listener: where, Got: configHeader(b)})
			continue
		}
		if a.IgnorePortInHostMatching != b.IgnorePortInHostMatching {
			out = append(out, Difference{Level: LevelRoute, Listener: where,
				Want: "ignore_port_in_host_matching=" + strconv.FormatBool(a.IgnorePortInHostMatching),
				Got:  "ignore_port_in_host_matching=" + strconv.FormatBool(b.IgnorePortInHostMatching)})
		}
		out = append(out, virtualHostDiffs(where, a, b)...)
	}
	return out
}

// configHeader is a configuration in one line: its virtual hosts.
func configHeader(c route.Config) string {
	names := make([]string, len(c.VirtualHosts))
	for i, vh := range c.VirtualHosts {
		names[i] = vh.Name
	}
	return fmt.Sprintf("%d virtual hosts: %s", len(names), strings.Join(names, ", "))
}

func virtualHostDiffs(where string, a, b route.Config) []Difference {
	va, vb := vhostsByName(a), vhostsByName(b)
	var out []Difference
	for _, name := range unionKeys(va, vb) {
		x, inA := va[name]
		y, inB := vb[name]
		at := where + " vhost " + name
		switch {
		case !inB:
			out = append(out, Difference{Level: LevelRoute, Listener: at, Want: vhostHeader(x)})
			continue
		case !inA:
			out = append(out, Difference{Level: LevelRoute, Listener: at, Got: vhostHeader(y)})
			continue
		}
		if !slices.Equal(x.Domains, y.Domains) {
			out = append(out, Difference{Level: LevelRoute, Listener: at,
				Want: "domains " + strings.Join(x.Domains, " "), Got: "domains " + strings.Join(y.Domains, " ")})
		}
		out = append(out, routeListDiffs(at, x.Routes, y.Routes)...)
	}
	return out
}

// vhostHeader is a virtual host in one line: its domains and how many
// routes it has.
func vhostHeader(vh route.VirtualHost) string {
	return fmt.Sprintf("domains %s, %d routes", strings.Join(vh.Domains, " "), len(vh.Routes))
}

// routeListDiffs aligns two route lists on their longest common
// subsequence (by routeKey) and reports what lies outside it: a route
// of the prediction alone (Want), of real pilot alone (Got), or one in
// place of the other (both), each with its 1-based position on its side.
func routeListDiffs(at string, want, got []route.Route) []Difference {
	ka, kb := routeKeys(want), routeKeys(got)
	if slices.Equal(ka, kb) {
		return nil
	}
	// lcs[i][j]: the longest common subsequence of ka[i:] and kb[j:].
	lcs := make([][]int, len(ka)+1)
	for i := range lcs {
		lcs[i] = make([]int, len(kb)+1)
	}
	for i := len(ka) - 1; i >= 0; i-- {
		for j := len(kb) - 1; j >= 0; j-- {
			if ka[i] == kb[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	var out []Difference
	var dels, ins []string
	flush := func() {
		for k := 0; k < max(len(dels), len(ins)); k++ {
			d := Difference{Level: LevelRoute, Listener: at}
			if k < len(dels) {
				d.Want = dels[k]
			}
			if k < len(ins) {
				d.Got = ins[k]
			}
			out = append(out, d)
		}
		dels, ins = nil, nil
	}
	i, j := 0, 0
	for i < len(ka) || j < len(kb) {
		switch {
		case i < len(ka) && j < len(kb) && ka[i] == kb[j]:
			flush()
			i, j = i+1, j+1
		case j == len(kb) || (i < len(ka) && lcs[i+1][j] >= lcs[i][j+1]):
			dels = append(dels, "#"+strconv.Itoa(i+1)+" "+ka[i])
			i++
		default:
			ins = append(ins, "#"+strconv.Itoa(j+1)+" "+kb[j])
			j++
		}
	}
	flush()
	return out
}

// routeKeys are the routes as compared: name, match, action, rewrite
// and mirrors (Route.String), with each condition that reads a missing
// header as empty marked, since that changes what it matches.
func routeKeys(rs []route.Route) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r.String()
		for _, h := range r.Match.Headers {
			if h.MissingAsEmpty {
				out[i] += " [" + h.Name + " missing as empty]"
			}
		}
	}
	return out
}

// configsByName normalizes copies of the configurations by name.
func configsByName(cs []route.Config) map[string]route.Config {
	m := make(map[string]route.Config, len(cs))
	for _, c := range cs {
		c = cloneConfig(c)
		c.Normalize()
		m[c.Name] = c
	}
	return m
}

// vhostsByName keys virtual hosts by name; a name seen again (Envoy
// refuses such a configuration) gets " (2)", " (3)", ... so that neither
// is lost.
func vhostsByName(c route.Config) map[string]route.VirtualHost {
	m := make(map[string]route.VirtualHost, len(c.VirtualHosts))
	for _, vh := range c.VirtualHosts {
		key := vh.Name
		for n := 2; ; n++ {
			if _, seen := m[key]; !seen {
				break
			}
			key = vh.Name + " (" + strconv.Itoa(n) + ")"
		}
		m[key] = vh
	}
	return m
}

// cloneConfig copies what Normalize sorts, so that normalizing the copy
// leaves the caller's configuration as it was.
func cloneConfig(c route.Config) route.Config {
	c.VirtualHosts = slices.Clone(c.VirtualHosts)
	for i := range c.VirtualHosts {
		vh := &c.VirtualHosts[i]
		vh.Domains = slices.Clone(vh.Domains)
		vh.Routes = slices.Clone(vh.Routes)
		for j := range vh.Routes {
			r := &vh.Routes[j]
			r.Match.Headers = slices.Clone(r.Match.Headers)
			r.Match.QueryParams = slices.Clone(r.Match.QueryParams)
			r.Action.Weighted = slices.Clone(r.Action.Weighted)
			r.Action.Mirrors = slices.Clone(r.Action.Mirrors)
		}
	}
	return c
}
