package predictor

import (
	"slices"
	"strconv"
	"strings"
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
	if a == c || a.Registry != registryExternal || c.Registry != registryExternal {
		return false
	}
	if order, _ := compareCreation(a, c); order != 0 {
		return false
	}
	return a.Source != c.Source || b.p.version.ServiceEntryServicesByResourceName()
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
	earlier := b.arrived[key]
	if b.arrived == nil {
		b.arrived = map[string][]opts{}
	}
	b.arrived[key] = append(earlier, o)
	var others []*service
	for _, e := range earlier {
		if (e.port.Protocol == pHTTPProxy) != (o.port.Protocol == pHTTPProxy) {
			others = append(others, e.svc)
		}
	}
	if t := b.tiedWith(o.svc, others); t != nil {
		b.orderUndetermined(builtListener, o, key, t)
	}
}

// describeAddr names a ServiceEntry service by its address.
func describeAddr(s *service) string {
	if s.DefaultAddress == "" || s.DefaultAddress == wildcardV4 {
		return "the one without an address"
	}
	return "the one for " + s.DefaultAddress
}
