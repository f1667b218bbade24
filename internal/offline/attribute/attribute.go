// Package attribute explains a real sidecar's config dump: it attributes
// every outbound listener and filter chain of the dump to the service
// behind it (from the cluster name outbound|PORT|SUBSET|HOST or the route
// name HOST:PORT, else the predicted chain's reason) and to the manifests
// that declare that service. `listenerlab explain --dump` prints it.
package attribute

import (
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/listenerlab/listenerlab/internal/clusterdefaults"
	"github.com/listenerlab/listenerlab/listener"
	"github.com/listenerlab/listenerlab/scenario"
	"github.com/listenerlab/listenerlab/world"
)

// DefaultChain is the Match of a listener's default filter chain in Chain.
const DefaultChain = "default"

// Chain is one filter chain of a dump listener and what it serves.
type Chain struct {
	// Match is the chain's match as listener.Match.String writes it, or
	// DefaultChain.
	Match string
	// Destination is where the chain sends connections.
	Destination listener.Destination
	// Service is the hostname of the service it serves, "" when none or
	// unknown.
	Service string
	// Text says what it serves and how that was found out, e.g.
	// "sql-a.example.com:3306: ServiceEntry default/sql-a [by cluster name]".
	Text string
	// Attributed is false when neither the destination nor the prediction
	// says what the chain is for.
	Attributed bool
}

// Listener is one outbound listener of the dump, attributed.
type Listener struct {
	Name string
	// Predicted is true when the prediction has a listener of that name;
	// Reason is then its reason.
	Predicted bool
	Reason    string
	// Chains are the filter chains in the dump's order, the default chain
	// last.
	Chains []Chain
	// Services are the services of its chains, sorted, each once.
	Services []string
}

// Report attributes a dump's outbound listeners.
type Report struct {
	Listeners []Listener
	// Chains counts the chains of all listeners; Unattributed those not
	// attributed.
	Chains, Unattributed int
}

// Dump attributes the outbound listeners of a real dump (real) with the
// help of the predicted listeners of the same client, the World they were
// predicted from and the scenario (manifests) that World was resolved
// from.
func Dump(real, predicted []listener.Listener, w *world.World, sc *scenario.Scenario) Report {
	hosts := HostSources(w, sc)
	byName := map[string]listener.Listener{}
	for _, l := range predicted {
		byName[l.Name] = l
	}
	var r Report
	for _, l := range real {
		pl, ok := byName[l.Name]
		out := Listener{Name: l.Name, Predicted: ok}
		if ok {
			out.Reason = pl.Reason
		}
		add := func(match string, c listener.FilterChain, pc *listener.FilterChain) {
			a := chain(c, pc, hosts)
			a.Match = match
			out.Chains = append(out.Chains, a)
			r.Chains++
			if a.Service != "" && !slices.Contains(out.Services, a.Service) {
				out.Services = append(out.Services, a.Service)
			}
			if !a.Attributed {
				r.Unattributed++
			}
		}
		for _, c := range l.FilterChains {
			add(c.Match.String(), c, predictedChain(pl, ok, c.Match))
		}
		if l.DefaultChain != nil {
			var pc *listener.FilterChain
			if ok {
				pc = pl.DefaultChain
			}
			add(DefaultChain, *l.DefaultChain, pc)
		}
		sort.Strings(out.Services)
		r.Listeners = append(r.Listeners, out)
	}
	return r
}

// HostSources maps every service hostname of the World to the objects that
// declare it: "ServiceEntry default/sql-a", "Service kube-system/kube-dns
// (built in)" for the objects the resolver adds.
func HostSources(w *world.World, sc *scenario.Scenario) map[string][]string {
	out := map[string][]string{}
	add := func(host, kind, ns, name string) {
		src := kind + " " + ns + "/" + name
		if _, ok := sc.Find(kind + "/" + ns + "/" + name); !ok {
			src += " (built in)"
		}
		if !slices.Contains(out[host], src) {
			out[host] = append(out[host], src)
		}
	}
	for _, s := range w.Services {
		add(s.Name+"."+s.Namespace+"."+clusterdefaults.ServiceDomain, "Service", s.Namespace, s.Name)
	}
	for _, se := range w.ServiceEntries {
		for _, h := range se.Spec.Hosts {
			add(h, "ServiceEntry", se.Namespace, se.Name)
		}
	}
	return out
}

// chain names the service behind a chain: from its cluster name
// outbound|PORT|SUBSET|HOST, or its route name HOST:PORT; a port-wide route
// ("80") or anything else is explained by the predicted chain with the same
// match. The catch-all clusters belong to no service.
func chain(c listener.FilterChain, predicted *listener.FilterChain, hosts map[string][]string) Chain {
	why := ""
	if predicted != nil && predicted.Reason != "" {
		why = "; predicted: " + predicted.Reason
	}
	d := c.Destination
	service := func(host, port, subset, via string) Chain {
		what := host + ":" + port
		if subset != "" {
			what += " subset " + subset
		}
		src := "declared by no manifest"
		if s := hosts[host]; len(s) > 0 {
			src = strings.Join(s, ", ")
		}
		return Chain{Destination: d, Service: host, Attributed: true, Text: fmt.Sprintf("%s: %s [by %s]%s", what, src, via, why)}
	}
	cluster, isService := listener.ParseServiceCluster(d.SingleCluster())
	switch {
	case isService:
		return service(cluster.Host, strconv.Itoa(cluster.Port), cluster.Subset, "cluster name")
	case d.Kind == listener.TCP && (d.Cluster == listener.PassthroughCluster || d.Cluster == listener.BlackHoleCluster):
		return Chain{Destination: d, Attributed: true, Text: "no service: the catch-all for connections no other chain matches (outboundTrafficPolicy) [by cluster name]" + why}
	case d.Kind == listener.HTTP:
		if host, port, ok := strings.Cut(d.Route, ":"); ok && host != "" && isDigits(port) {
			return service(host, port, "", "route name")
		}
	}
	if why == "" {
		return Chain{Destination: d, Text: "not attributed: the destination names no service and the prediction has no such chain"}
	}
	if d.Kind == listener.HTTP && isDigits(d.Route) {
		return Chain{Destination: d, Attributed: true, Text: fmt.Sprintf("route %s is port-wide: every HTTP service on port %s has a virtual host in it (RDS, not modelled) [by predicted chain]%s", d.Route, d.Route, why)}
	}
	return Chain{Destination: d, Attributed: true, Text: "[by predicted chain]" + why}
}

// predictedChain is the predicted listener's chain with the same match.
func predictedChain(l listener.Listener, ok bool, m listener.Match) *listener.FilterChain {
	if !ok {
		return nil
	}
	for i := range l.FilterChains {
		if l.FilterChains[i].Match.String() == m.String() {
			return &l.FilterChains[i]
		}
	}
	return nil
}

func isDigits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return s != ""
}
