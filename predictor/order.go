package predictor

import (
	"encoding/json"
	"slices"
	"strconv"
	"strings"

	"github.com/listenerlab/listenerlab/listener"
	"github.com/listenerlab/listenerlab/predictor/versions"
	"github.com/listenerlab/listenerlab/world"
)

// orderKey names the key of SortServicesByCreationTime that orders two
// services.
type orderKey int

const (
	// byNothing: every key is equal, and Istio keeps the order the
	// registry listed the services in.
	byNothing orderKey = iota
	byCreation
	byName
	byNamespace
)

// compareCreation models the comparison of SortServicesByCreationTime
// (pilot/pkg/model/push_context.go): creation time, then name, then
// namespace. It returns a negative number when a sorts first, a positive
// one when b does, 0 when no key orders them, and the key that decided.
func compareCreation(a, b *service) (int, orderKey) {
	switch {
	case !a.Created.Equal(b.Created):
		return a.Created.Compare(b.Created), byCreation
	case a.Name != b.Name:
		return strings.Compare(a.Name, b.Name), byName
	case a.Namespace != b.Namespace:
		return strings.Compare(a.Namespace, b.Namespace), byNamespace
	}
	return 0, byNothing
}

// sortByCreation models SortServicesByCreationTime
// (pilot/pkg/model/push_context.go): a stable sort by compareCreation.
func sortByCreation(ss []*service) {
	slices.SortStableFunc(ss, func(a, b *service) int {
		c, _ := compareCreation(a, b)
		return c
	})
}

// whyFirst explains why a was processed before b: the key of
// compareCreation that ordered them.
func whyFirst(a, b *service) string {
	if a == b {
		return "it is the same service"
	}
	switch _, by := compareCreation(a, b); by {
	case byCreation:
		return "it is older (" + a.Created.UTC().Format("15:04:05") + " vs " + b.Created.UTC().Format("15:04:05") + ")"
	case byName:
		return "both were created in the same second and " + strconv.Quote(a.Name) + " sorts first"
	case byNamespace:
		return "same name and age; namespace " + a.Namespace + " sorts first"
	}
	return "it was imported first"
}

// tied reports whether istiod cannot order a and c: services of
// ServiceEntries that compareCreation cannot order (the same host and
// namespace, created in the same second). SortServicesByCreationTime then
// keeps the order the registry listed them in, which comes from a map:
// across entries in every version (serviceStore.servicesBySE), and between
// one entry's addresses too from 1.30 (a krt collection's List).
func (b *builder) tied(a, c *service) bool {
	return tiedServices(b.p.version, a, c)
}

// tiedServices is tied for version v.
func tiedServices(v versions.Version, a, c *service) bool {
	if a == c || a.Registry != registryExternal || c.Registry != registryExternal {
		return false
	}
	if order, _ := compareCreation(a, c); order != 0 {
		return false
	}
	return a.Source != c.Source || v.ServiceEntryServicesByResourceName()
}

// tiedWith is the first of others that ties with s, or nil.
func (b *builder) tiedWith(s *service, others []*service) *service {
	for _, o := range others {
		if o != nil && b.tied(o, s) {
			return o
		}
	}
	return nil
}

// tieStake is what the order between two tied services decides on a
// listener.
type tieStake int

const (
	// keptChain: which one's chain the listener keeps, the other's being
	// dropped (ServerFirstConflict, SniffedListenerTaken).
	keptChain tieStake = iota
	// builtListener: what an HTTP_PROXY port and a port of another
	// protocol make of the listener they share.
	builtListener
)

// decides says what the order decides for host's listener key.
func (t tieStake) decides(host, key string) string {
	if t == builtListener {
		return host + "'s listener " + key + " depends on which of its services istiod takes first"
	}
	return "which of " + host + "'s services istiod keeps on " + key + " is not determined"
}

// outcome says what each order gives, and which one the prediction shows.
func (t tieStake) outcome() string {
	if t == builtListener {
		return "an HTTP_PROXY port taken second replaces the listener of the ports before it, while a port taken after an HTTP_PROXY port is merged into its listener, replaces it or adds nothing, by its protocol; the prediction takes them in the order listed, real Istio in either"
	}
	return "the prediction keeps the one listed first, real Istio either one"
}

// orderUndetermined raises OrderUndetermined: the port o and a port of
// other, a service tied with o's, reach the listener key, and their order,
// which istiod takes from a map, decides what stake says.
func (b *builder) orderUndetermined(stake tieStake, o opts, key string, other *service) {
	s, sp := o.svc, o.port
	b.finding(OrderUndetermined, s, sp, key, "%s: %s (%s) or %s (%s)",
		stake.decides(s.Hostname, key), describeAddr(other), other.Source, describeAddr(s), s.Source)
	b.why("both are services of host %s in namespace %s created in the same second, so SortServicesByCreationTime cannot order them and keeps the registry's order, which comes from a map; %s, and it may change on any push",
		s.Hostname, s.Namespace, stake.outcome())
	b.witness(b.chainConn(&chain{svc: s, port: sp, cidrs: o.cidrs}, first(o.binds)))
	b.related(other)
}

// undetermined raises OrderUndetermined when the port o, dropped from the
// listener key in favour of cur's chains, ties with the service of one of
// them: istiod may as well have kept o and dropped the other.
func (b *builder) undetermined(cur *entry, o opts, key string) {
	kept := make([]*service, 0, len(cur.chains))
	for _, c := range cur.chains {
		kept = append(kept, c.svc)
	}
	if t := b.tiedWith(o.svc, kept); t != nil {
		b.orderUndetermined(keptChain, o, key, t)
	}
}

// proxyOrderUndetermined raises OrderUndetermined when an HTTP_PROXY port
// and a port of another protocol of two tied services reach the listener
// key: which istiod takes first decides the listener. An HTTP_PROXY port
// never conflicts, so taken second it replaces the listener outright;
// taken first, the other port meets an HTTP listener and is merged into it
// (TCP, TLS), replaces it (auto-detect) or adds nothing (HTTP). The earlier
// port may have been dropped already, so every arrival counts, not only the
// listener's chains. It records o as arrived on key.
func (b *builder) proxyOrderUndetermined(o opts, key string) {
	if b.arrived == nil {
		b.arrived = map[string]*arrivals{}
	}
	a := b.arrived[key]
	if a == nil {
		a = &arrivals{}
		b.arrived[key] = a
	}
	// The other kind's services, in arrival order: an HTTP_PROXY port
	// meets the others', any other port the HTTP_PROXY ones'.
	others := a.proxy
	if o.port.Protocol == pHTTPProxy {
		others = a.other
		a.proxy = append(a.proxy, o.svc)
	} else {
		a.other = append(a.other, o.svc)
	}
	if t := b.tiedWith(o.svc, others); t != nil {
		b.orderUndetermined(builtListener, o, key, t)
	}
}

// arrivals are the services whose ports reached a listener key so far,
// kept or not: those of HTTP_PROXY ports and those of other ports.
type arrivals struct{ proxy, other []*service }

// describeAddr names a ServiceEntry service by its address.
func describeAddr(s *service) string {
	if s.DefaultAddress == "" || s.DefaultAddress == wildcardV4 {
		return "the one without an address"
	}
	return "the one for " + s.DefaultAddress
}

// importUndetermined raises OrderUndetermined on every listener that an
// egress listener's other possible import (egress.Undetermined) builds
// otherwise: the listeners are built again with that import, finalized
// against catchAll and compared with ls, the prediction's sorted listeners,
// and with its conflict records.
func (b *builder) importUndetermined(w *world.World, egresses []egress, ls []listener.Listener, catchAll listener.Destination) {
	for i := range egresses {
		for _, alt := range egresses[i].Undetermined {
			other := slices.Clone(egresses)
			other[i].Services, other[i].Undetermined = alt.Services, nil
			ob := &builder{p: b.p, entries: map[string]*entry{}, opts: b.opts, routing: newRouting(w, b.p, other), redis: b.redis}
			ob.run(other)
			var ols []listener.Listener
			for _, key := range ob.order {
				ols = append(ols, ob.finalize(ob.entries[key], catchAll))
			}
			listener.Sort(ols)
			for _, name := range differing(ls, ols, lastConflicts(b.conflicts), lastConflicts(ob.conflicts)) {
				b.importOrderUndetermined(&egresses[i], alt, name, ob)
			}
		}
	}
}

// importOrderUndetermined raises OrderUndetermined on the listener name,
// which the import alt.Alt (built by ob) makes otherwise than alt.Pick.
func (b *builder) importOrderUndetermined(eg *egress, alt alternative, name string, ob *builder) {
	pick, other := alt.Pick, alt.Alt
	var spec *witnessSpec
	for _, side := range []struct {
		b   *builder
		svc *service
	}{{b, pick}, {ob, other}} {
		if e := side.b.entries[name]; e != nil && spec == nil {
			for _, c := range e.chains {
				if c.svc != nil && c.svc.Hostname == side.svc.Hostname {
					s := b.chainConn(c, first(e.binds))
					spec = &s
					break
				}
			}
		}
	}
	number := 0
	if _, p, ok := strings.Cut(name, "_"); ok {
		number, _ = strconv.Atoi(p)
	}
	b.finding(OrderUndetermined, pick, port{Number: number}, name, "%s's listener %s depends on which of its services istiod's host index holds: %s (%s) or %s (%s)",
		pick.Hostname, name, describeAddr(pick), pick.Source, describeAddr(other), other.Source)
	b.why("%s imports only exact namespace/host pairs, so istiod looks each up in PushContext's HostnameAndNamespace index (servicesForExactHosts), which holds one service per host and namespace, the first SortServicesByCreationTime lists; both are services of host %s in namespace %s created in the same second, so that order is the registry's, which comes from a map, and it may change on any push; the prediction imports the one listed first, real Istio either one",
		eg.Source, pick.Hostname, pick.Namespace)
	if spec != nil {
		b.witness(*spec)
	}
	b.related(other)
}

// differing names the listeners that differ between two sorted listener
// lists a and c (reasons aside), or whose conflict records ca and cc
// differ, in name order.
func differing(a, c []listener.Listener, ca, cc []listener.Conflict) []string {
	text := func(ls []listener.Listener, cs []listener.Conflict) map[string]string {
		m := map[string]string{}
		for _, l := range ls {
			l.Reason = ""
			l.FilterChains = slices.Clone(l.FilterChains)
			for i := range l.FilterChains {
				l.FilterChains[i].Reason = ""
			}
			if l.DefaultChain != nil {
				d := *l.DefaultChain
				d.Reason = ""
				l.DefaultChain = &d
			}
			j, _ := json.Marshal(l)
			m[l.Name] += string(j)
		}
		for _, k := range cs {
			j, _ := json.Marshal(k)
			m[k.Listener] += "\n" + string(j)
		}
		return m
	}
	ta, tc := text(a, ca), text(c, cc)
	var out []string
	for name, t := range ta {
		if tc[name] != t {
			out = append(out, name)
		}
	}
	for name := range tc {
		if _, ok := ta[name]; !ok {
			out = append(out, name)
		}
	}
	slices.Sort(out)
	return out
}
