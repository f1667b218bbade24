package listener

import (
	"cmp"
	"fmt"
	"net/netip"
	"slices"
	"sort"
	"strings"
)

// DestinationKind is the terminal network filter of a chain: where a filter
// chain sends traffic.
type DestinationKind string

// Destination kinds.
const (
	// HTTP is an HTTP connection manager; Route names its RDS route config.
	HTTP DestinationKind = "http"
	// TCP is a tcp_proxy; Cluster names its upstream cluster.
	TCP DestinationKind = "tcp"
	// Redis is a redis_proxy; Cluster names the cluster of its catch-all
	// prefix route, where every command goes.
	Redis DestinationKind = "redis"
)

// PassthroughCluster is the cluster Istio sends unmatched outbound traffic to
// when the mesh allows any outbound traffic.
const PassthroughCluster = "PassthroughCluster"

// BlackHoleCluster is the cluster of unmatched traffic under REGISTRY_ONLY.
const BlackHoleCluster = "BlackHoleCluster"

// Listener is one outbound Envoy listener, reduced to what decides where a
// connection goes.
type Listener struct {
	Name                string   `json:"name"`
	Address             string   `json:"address"`
	Port                uint32   `json:"port"`
	AdditionalAddresses []string `json:"additionalAddresses,omitempty"`
	BindToPort          bool     `json:"bindToPort"`
	// Direction is Envoy's traffic direction: OUTBOUND, INBOUND or "".
	Direction       string        `json:"direction,omitempty"`
	ListenerFilters []string      `json:"listenerFilters,omitempty"`
	FilterChains    []FilterChain `json:"filterChains"`
	DefaultChain    *FilterChain  `json:"defaultChain,omitempty"`
	// Reason says which rule produced the listener (predictions only).
	Reason string `json:"reason,omitempty"`
}

// FilterChain is one filter chain: what it matches and where it sends.
type FilterChain struct {
	Match       Match       `json:"match"`
	Destination Destination `json:"destination"`
	// Reason says which rule produced the chain (predictions only).
	Reason string `json:"reason,omitempty"`
}

// Match is Envoy's filter chain match, limited to the fields Istio sets on
// outbound listeners.
type Match struct {
	DestinationPort uint32 `json:"destinationPort,omitempty"`
	// PrefixRanges are written as istiod sends them: the address as
	// written, host bits kept, with its prefix length; Masked is how
	// Envoy matches them.
	PrefixRanges         []string `json:"prefixRanges,omitempty"`
	ServerNames          []string `json:"serverNames,omitempty"`
	TransportProtocol    string   `json:"transportProtocol,omitempty"`
	ApplicationProtocols []string `json:"applicationProtocols,omitempty"`
}

// Destination is the terminal network filter of a chain.
type Destination struct {
	Kind DestinationKind `json:"kind"`
	// Route is an HTTP connection manager's route configuration: the name
	// it asks RDS for, or InlineRoutePrefix and the name of one it carries.
	Route   string `json:"route,omitempty"`
	Cluster string `json:"cluster,omitempty"`
	// Weighted holds a tcp_proxy's weighted_clusters, sorted by name by
	// Normalize; Cluster is then empty, as in Envoy's TcpProxy.
	Weighted []WeightedCluster `json:"weightedClusters,omitempty"`
}

// InlineRoutePrefix marks a Destination's Route as a route configuration
// carried inline by the connection manager, not asked for over RDS.
const InlineRoutePrefix = "inline:"

// WeightedCluster is one cluster of a tcp_proxy's weighted_clusters.
type WeightedCluster struct {
	Name   string `json:"name"`
	Weight uint32 `json:"weight"`
}

// WeightedDestination is a tcp_proxy to weighted clusters, sorted by name.
func WeightedDestination(ws []WeightedCluster) Destination {
	d := Destination{Kind: TCP, Weighted: slices.Clone(ws)}
	d.normalize()
	return d
}

func (d *Destination) normalize() {
	if len(d.Weighted) == 0 {
		return
	}
	sort.SliceStable(d.Weighted, func(i, j int) bool { return d.Weighted[i].Name < d.Weighted[j].Name })
	d.Cluster = "" // files written before Cluster was left empty joined the names
}

// String renders a destination compactly: "route 80", "cluster outbound|...",
// "clusters outbound|...=80,outbound|...=20" (weighted), "passthrough",
// "redis cluster outbound|..." (a redis_proxy).
func (d Destination) String() string {
	switch {
	case d.Kind == TCP && len(d.Weighted) > 0:
		parts := make([]string, len(d.Weighted))
		for i, w := range d.Weighted {
			parts[i] = fmt.Sprintf("%s=%d", w.Name, w.Weight)
		}
		return "clusters " + strings.Join(parts, ",")
	case d.Kind == HTTP:
		return "route " + d.Route
	case d.Kind == TCP && d.Cluster == PassthroughCluster:
		return "passthrough"
	case d.Kind == TCP:
		return "cluster " + d.Cluster
	case d.Kind == Redis:
		return "redis cluster " + d.Cluster
	case d.Kind == "":
		return "-"
	}
	return string(d.Kind)
}

// SingleCluster is the one cluster the destination sends every connection
// to: a tcp_proxy's cluster (not weighted clusters) or a redis_proxy's
// catch-all cluster; "" for anything else.
func (d Destination) SingleCluster() string {
	if (d.Kind == TCP && len(d.Weighted) == 0) || d.Kind == Redis {
		return d.Cluster
	}
	return ""
}

// Masked is the match as Envoy reads it: each prefix range masked to its
// length (CidrRange keeps only the prefix), so "10.1.2.3/24" and
// "10.1.2.0/24" are one match. Two matches are the same when their masked
// Strings are; the text of each keeps what istiod wrote.
func (m Match) Masked() Match {
	out := m
	out.PrefixRanges = make([]string, 0, len(m.PrefixRanges))
	for _, s := range m.PrefixRanges {
		if p, err := netip.ParsePrefix(s); err == nil {
			s = p.Masked().String()
		}
		out.PrefixRanges = append(out.PrefixRanges, s)
	}
	if len(out.PrefixRanges) == 0 {
		out.PrefixRanges = nil
	}
	sort.Strings(out.PrefixRanges)
	return out
}

// MaskChain rewrites the prefix ranges of a chain written "MATCH ->
// DESTINATION" (Chains, scenario expectations) masked, as Masked does.
func MaskChain(s string) string {
	fields := strings.Split(s, " ")
	for i, f := range fields {
		if f == "->" {
			break
		}
		ranges, ok := strings.CutPrefix(f, "ip=")
		if !ok {
			continue
		}
		m := Match{PrefixRanges: strings.Split(ranges, ",")}.Masked()
		fields[i] = "ip=" + strings.Join(m.PrefixRanges, ",")
	}
	return strings.Join(fields, " ")
}

// String renders a match compactly; the empty match is "all". Prefix
// ranges are written as istiod sends them: the address as written, with
// its prefix length (see Masked).
func (m Match) String() string {
	var parts []string
	if m.DestinationPort != 0 {
		parts = append(parts, fmt.Sprintf("port=%d", m.DestinationPort))
	}
	if len(m.PrefixRanges) > 0 {
		parts = append(parts, "ip="+strings.Join(m.PrefixRanges, ","))
	}
	if len(m.ServerNames) > 0 {
		parts = append(parts, "sni="+strings.Join(m.ServerNames, ","))
	}
	if m.TransportProtocol != "" {
		parts = append(parts, "transport="+m.TransportProtocol)
	}
	if len(m.ApplicationProtocols) > 0 {
		parts = append(parts, "alpn="+strings.Join(m.ApplicationProtocols, ","))
	}
	if len(parts) == 0 {
		return "all"
	}
	return strings.Join(parts, " ")
}

// IsMatchAll reports whether the match accepts every connection.
func (m Match) IsMatchAll() bool {
	return m.DestinationPort == 0 && len(m.PrefixRanges) == 0 && len(m.ServerNames) == 0 &&
		m.TransportProtocol == "" && len(m.ApplicationProtocols) == 0
}

// key orders chains by match, then destination.
func (c FilterChain) key() string {
	return c.Match.String() + "\x00" + c.Destination.String()
}

// Normalize sorts every list inside the listener so that two listeners with
// the same meaning compare equal: Envoy picks the most specific chain, so
// chain order carries no meaning.
func (l *Listener) Normalize() {
	sort.Strings(l.AdditionalAddresses)
	sort.Strings(l.ListenerFilters)
	for i := range l.FilterChains {
		l.FilterChains[i].Match.normalize()
		l.FilterChains[i].Destination.normalize()
	}
	if l.DefaultChain != nil {
		l.DefaultChain.Match.normalize()
		l.DefaultChain.Destination.normalize()
	}
	if len(l.FilterChains) < 2 {
		return
	}
	// Each chain's key once, not once per comparison.
	keyed := make([]keyedChain, len(l.FilterChains))
	for i, c := range l.FilterChains {
		keyed[i] = keyedChain{c.key(), c}
	}
	slices.SortStableFunc(keyed, func(a, b keyedChain) int { return strings.Compare(a.key, b.key) })
	for i := range keyed {
		l.FilterChains[i] = keyed[i].chain
	}
}

// keyedChain is a chain with its sort key.
type keyedChain struct {
	key   string
	chain FilterChain
}

func (m *Match) normalize() {
	sort.Strings(m.PrefixRanges)
	sort.Strings(m.ServerNames)
	sort.Strings(m.ApplicationProtocols)
}

// Sort normalizes every listener and orders them with Less.
func Sort(ls []Listener) {
	for i := range ls {
		ls[i].Normalize()
	}
	// A stable sort of the listeners themselves moves each (a large
	// struct) many times; sorting their positions moves each once.
	order := make([]int, len(ls))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(i, j int) int {
		if c := compare(&ls[i], &ls[j]); c != 0 {
			return c
		}
		return i - j // equal listeners keep their order
	})
	permute(ls, order)
}

// permute rearranges ls in place so that ls[i] becomes the old ls[order[i]],
// following each cycle of the permutation with one spare element: each
// listener moves once, and no second slice of them is allocated. order is
// used up.
func permute(ls []Listener, order []int) {
	for start := range order {
		if order[start] < 0 {
			continue
		}
		spare := ls[start]
		j := start
		for {
			k := order[j]
			order[j] = -1
			if k == start {
				ls[j] = spare
				break
			}
			ls[j] = ls[k]
			j = k
		}
	}
}

// Less orders listeners by port, then address, then name.
func Less(a, b *Listener) bool { return compare(a, b) < 0 }

// compare is Less as a three-way comparison.
func compare(a, b *Listener) int {
	if c := cmp.Compare(a.Port, b.Port); c != 0 {
		return c
	}
	if c := strings.Compare(a.Address, b.Address); c != 0 {
		return c
	}
	return strings.Compare(a.Name, b.Name)
}
