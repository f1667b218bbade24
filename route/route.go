package route

import (
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/listenerlab/listenerlab/listener"
)

// Config is one route configuration a sidecar gets over RDS: the one an
// HTTP chain's connection manager names ("9080", or "HOST:PORT" for the
// HTTP chain of a sniffed VIP listener).
type Config struct {
	Name         string        `json:"name"`
	VirtualHosts []VirtualHost `json:"virtualHosts"`
	// IgnorePortInHostMatching is Envoy's ignore_port_in_host_matching:
	// the Host's port is dropped before the domains are matched. istiod
	// sets it on every sidecar outbound configuration (a proxyless gRPC
	// client aside) and writes the domains without ports.
	IgnorePortInHostMatching bool `json:"ignorePortInHostMatching,omitempty"`
	// Reason says which rule produced the configuration (predictions only).
	Reason string `json:"reason,omitempty"`
	// Duplicates are the virtual hosts and domains istiod left out of the
	// configuration because an earlier virtual host had them
	// (pilot_vservice_dup_domain; predictions only).
	Duplicates []Duplicate `json:"duplicates,omitempty"`
}

// Duplicate is a virtual host (Domain empty) or one domain of it that
// istiod dropped because an earlier virtual host of the configuration
// holds that name or domain: which one kept it, which lost it, and why.
type Duplicate struct {
	VirtualHost string `json:"virtualHost"`
	Domain      string `json:"domain,omitempty"`
	// Kept and Dropped name the manifests ("Service ns/name",
	// "VirtualService ns/name") whose virtual hosts kept and lost it.
	Kept    string `json:"kept"`
	Dropped string `json:"dropped"`
	Reason  string `json:"reason"`
}

// VirtualHost is one virtual host: the domains a request's Host (or
// :authority) must equal or match by wildcard, and its routes in order.
type VirtualHost struct {
	Name    string   `json:"name"`
	Domains []string `json:"domains"`
	Routes  []Route  `json:"routes"`
	// Reason says which rule produced the virtual host (predictions only).
	Reason string `json:"reason,omitempty"`
}

// Route is one route of a virtual host: the first whose Match a request
// meets takes it.
type Route struct {
	// Name is Envoy's route name: the VirtualService http route's name, or
	// "default" for the route istiod adds to a service without one.
	Name   string `json:"name,omitempty"`
	Match  Match  `json:"match"`
	Action Action `json:"action"`
	// Reason says which rule produced the route (predictions only).
	Reason string `json:"reason,omitempty"`
}

// PathKind is how a route matches the request path.
type PathKind string

// Path match kinds (Envoy's RouteMatch path_specifier).
const (
	// Prefix matches paths that start with Path.
	Prefix PathKind = "prefix"
	// Exact matches the path equal to Path (Envoy's "path").
	Exact PathKind = "exact"
	// Regex matches paths the RE2 expression Path matches whole.
	Regex PathKind = "regex"
	// SeparatedPrefix matches Path and paths that continue it after a "/".
	SeparatedPrefix PathKind = "separated_prefix"
)

// Match is a route's match: path, headers (a method is the :method
// header) and query parameters, all of which must hold.
type Match struct {
	PathKind PathKind `json:"pathKind"`
	Path     string   `json:"path"`
	// CaseInsensitive is a path match that ignores case (ignoreUriCase).
	CaseInsensitive bool          `json:"caseInsensitive,omitempty"`
	Headers         []HeaderMatch `json:"headers,omitempty"`
	QueryParams     []HeaderMatch `json:"queryParams,omitempty"`
}

// ValueKind is how a header or query parameter matches.
type ValueKind string

// Value match kinds.
const (
	// ValueExact matches the value equal to Value.
	ValueExact ValueKind = "exact"
	// ValuePrefix matches values that start with Value.
	ValuePrefix ValueKind = "prefix"
	// ValueSuffix matches values that end with Value.
	ValueSuffix ValueKind = "suffix"
	// ValueRegex matches values the RE2 expression Value matches whole.
	ValueRegex ValueKind = "regex"
	// ValuePresent matches any value, or none when Invert is set.
	ValuePresent ValueKind = "present"
)

// HeaderMatch is one header or query parameter condition.
type HeaderMatch struct {
	Name  string    `json:"name"`
	Kind  ValueKind `json:"kind"`
	Value string    `json:"value,omitempty"`
	// Invert is a condition that holds when the match does not
	// (withoutHeaders, invert_match).
	Invert bool `json:"invert,omitempty"`
	// MissingAsEmpty matches a missing header as the empty value
	// (treat_missing_header_as_empty, which istiod sets on withoutHeaders
	// conditions other than a presence test).
	MissingAsEmpty bool `json:"missingAsEmpty,omitempty"`
}

// ActionKind is what a route does with a request it takes.
type ActionKind string

// Route actions.
const (
	// Forward sends the request to Cluster or to Weighted clusters.
	Forward ActionKind = "route"
	// Redirect answers with a redirect to Redirect.
	Redirect ActionKind = "redirect"
	// DirectResponse answers with Status itself.
	DirectResponse ActionKind = "direct_response"
)

// Action is where a route sends a request, or what it answers.
type Action struct {
	Kind    ActionKind `json:"kind"`
	Cluster string     `json:"cluster,omitempty"`
	// Weighted holds weighted_clusters, sorted by name; Cluster is then
	// empty.
	Weighted []listener.WeightedCluster `json:"weightedClusters,omitempty"`
	// Redirect is a redirect's target as "scheme://authority/path" with
	// the parts the route rewrites, "" parts left as the request had them
	// (RedirectTarget writes it).
	Redirect string `json:"redirect,omitempty"`
	// Status is a redirect's or direct response's HTTP status.
	Status uint32 `json:"status,omitempty"`
	// Rewrite notes a forwarded request's rewrite, its parts joined by
	// ", " in this order: "uri /v2" (prefix_rewrite), "uri regex PATTERN
	// SUBSTITUTION" (regex_rewrite), "authority h" (host_rewrite_literal).
	// It does not change where the request goes.
	Rewrite string `json:"rewrite,omitempty"`
	// Mirrors are the clusters a forwarded request is mirrored to, sorted.
	Mirrors []string `json:"mirrors,omitempty"`
}

// String renders an action compactly: "cluster outbound|...", "clusters
// A=80,B=20", "redirect 301 https://...", "direct response 503".
func (a Action) String() string {
	switch a.Kind {
	case Forward:
		if len(a.Weighted) > 0 {
			parts := make([]string, len(a.Weighted))
			for i, w := range a.Weighted {
				parts[i] = fmt.Sprintf("%s=%d", w.Name, w.Weight)
			}
			return "clusters " + strings.Join(parts, ",")
		}
		return "cluster " + a.Cluster
	case Redirect:
		return fmt.Sprintf("redirect %d %s", a.Status, a.Redirect)
	case DirectResponse:
		return fmt.Sprintf("direct response %d", a.Status)
	}
	return "-"
}

// String renders a match compactly: "prefix /", "exact /login
// header end-user=jason".
func (m Match) String() string {
	var b strings.Builder
	b.WriteString(string(m.PathKind) + " " + m.Path)
	if m.CaseInsensitive {
		b.WriteString(" (any case)")
	}
	for _, h := range m.Headers {
		b.WriteString(" header " + h.String())
	}
	for _, q := range m.QueryParams {
		b.WriteString(" query " + q.String())
	}
	return b.String()
}

// String renders a condition: "end-user=jason", "x~^a.*", "x present",
// "!x=y".
func (h HeaderMatch) String() string {
	not := ""
	if h.Invert {
		not = "!"
	}
	switch h.Kind {
	case ValueExact:
		return not + h.Name + "=" + h.Value
	case ValuePrefix:
		return not + h.Name + "=" + h.Value + "*"
	case ValueSuffix:
		return not + h.Name + "=*" + h.Value
	case ValueRegex:
		return not + h.Name + "~" + h.Value
	}
	return not + h.Name + " present"
}

// Normalize sorts what does not change matching: virtual hosts by name,
// domains as written, a match's header and query conditions (all must
// hold; istiod writes query parameters in map order), weighted clusters
// and mirrors by name. Routes keep their order.
func (c *Config) Normalize() {
	SortVirtualHosts(c.VirtualHosts)
	for i := range c.VirtualHosts {
		vh := &c.VirtualHosts[i]
		slices.Sort(vh.Domains)
		for j := range vh.Routes {
			m := &vh.Routes[j].Match
			sortConditions(m.Headers)
			sortConditions(m.QueryParams)
			a := &vh.Routes[j].Action
			if len(a.Weighted) > 1 {
				slices.SortStableFunc(a.Weighted, func(x, y listener.WeightedCluster) int { return strings.Compare(x.Name, y.Name) })
			}
			slices.Sort(a.Mirrors)
		}
	}
}

// sortConditions orders conditions by name, then by their text.
func sortConditions(hs []HeaderMatch) {
	sort.SliceStable(hs, func(i, j int) bool {
		if hs[i].Name != hs[j].Name {
			return hs[i].Name < hs[j].Name
		}
		return hs[i].String() < hs[j].String()
	})
}

// RedirectTarget writes a redirect's target as Action.Redirect holds it:
// "scheme://host:port" then the path part, each part "" when the redirect
// keeps the request's (a port alone is ":port"); the path part is the new
// path, or the new prefix followed by "*" for a prefix rewrite.
func RedirectTarget(scheme, host string, port uint32, path, prefix string) string {
	authority := host
	if port != 0 {
		authority += ":" + strconv.FormatUint(uint64(port), 10)
	}
	if prefix != "" {
		path = prefix + "*"
	}
	return scheme + "://" + authority + path
}

// Sort orders configurations by name, stable.
func Sort(cs []Config) { sortStableByName(cs, func(c *Config) string { return c.Name }) }

// SortVirtualHosts orders virtual hosts by name, stable (istiod's
// util.SortVirtualHosts).
func SortVirtualHosts(vhs []VirtualHost) {
	sortStableByName(vhs, func(v *VirtualHost) string { return v.Name })
}

// sortStableByName sorts xs by name, stable, moving each element once: a
// stable sort of the values themselves moves these large structs
// O(n log n) times, and a prediction sorts tens of thousands of them. An
// ordered slice (the common case) is left as it is.
func sortStableByName[T any](xs []T, name func(*T) string) {
	sorted := true
	for i := 1; i < len(xs) && sorted; i++ {
		sorted = name(&xs[i-1]) <= name(&xs[i])
	}
	if sorted {
		return
	}
	order := make([]int, len(xs))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return strings.Compare(name(&xs[a]), name(&xs[b])) })
	moved := make([]T, len(xs))
	for i, j := range order {
		moved[i] = xs[j]
	}
	copy(xs, moved)
}
