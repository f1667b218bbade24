package predictor

import (
	"fmt"
	"slices"
	"strings"

	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"

	"github.com/listenerlab/listenerlab/predictor/versions"
	"github.com/listenerlab/listenerlab/world"
)

// Shared predicts the sidecars of many clients of one World, sharing work
// between them: the service registry is built once, the sidecar scope (the
// egress listeners) once per namespace and Sidecar (once for all
// namespaces that see the same services), and the listeners once per
// distinct scope and proxy settings. Predict(c) returns what Predict gives
// for the World with c as its client; clients with the same inputs get the
// same *Prediction, which callers must not change. A Shared is not safe
// for concurrent use.
type Shared struct {
	w         *world.World
	v         versions.Version
	o         options
	alloc     bool
	dualStack bool
	// absoluteFQDN is PILOT_ENABLE_ABSOLUTE_FQDN_VHOST_DOMAIN as istiod sees it.
	absoluteFQDN bool
	all          []*service
	// aliasNS holds the namespaces of ExternalName Services that alias
	// some host: the names such an alias adds to its target's SNI chain
	// include its short name for a proxy of its own namespace only.
	aliasNS map[string]bool
	// sensitive holds the namespaces whose view of the services differs
	// from a plain namespace's: those a service is exported to by name (or
	// "." in its own namespace), and those defining a hostname another
	// namespace defines too (selectServices prefers the proxy's own).
	sensitive map[string]bool
	// endpointAddrs holds the first address of every endpoint of a
	// passthrough service: only a client whose IP is one of them loses a
	// per-endpoint listener (perEndpoint).
	endpointAddrs map[string]bool
	// shortNames holds, by namespace, the short names its hostnames
	// NAME.NAMESPACE.svc.DOMAIN give a proxy of that namespace
	// (altVirtualHosts), lower-cased: the only domains by which the route
	// configurations of two namespaces' clients differ when no
	// VirtualService or EnvoyFilter reads the namespace.
	shortNames  map[string][]string
	scopes      map[scopeKey]*scope
	listeners   map[predictionKey]*sharedListeners
	predictions map[predictionKey]*Prediction
}

// sharedListeners is a listenerBuild and, once built, its prediction for
// a namespace without services (neutral), with the lower-cased hosts
// (ports cut off) of its route configurations' domains: present in some
// virtual host, and contested, wanted by two virtual hosts of one
// configuration (a Duplicate).
type sharedListeners struct {
	lb                 *listenerBuild
	neutral            *Prediction
	present, contested map[string]bool
}

// scopeKey identifies a sidecar scope: the Sidecar that applies and the
// namespace the services are seen from ("" for every plain namespace
// without a Sidecar with egress listeners).
type scopeKey struct {
	sidecar   *networkingv1.Sidecar
	namespace string
}

type scope struct {
	id       int
	egresses []egress
	sidecar  *networkingv1.Sidecar
}

// predictionKey is everything of the proxy the listener rules read besides
// its scope: its address families, capture and DNS settings, and its own IP
// only when that is some endpoint's address.
type predictionKey struct {
	scope                                            int
	v4, v6, captureNone, dnsCapture, dnsAuto, unpriv bool
	ownEndpoint                                      string
	// aliasNS is the proxy's namespace when an ExternalName alias lives
	// there, else "".
	aliasNS string
	// routing is routingKey: the namespace and labels, when
	// VirtualServices or EnvoyFilters make the listeners depend on them.
	routing string
	// namespace is the proxy's namespace when routes are built: the
	// virtual host domains of its route configurations name its own
	// namespace's services by their short names (altVirtualHosts).
	namespace string
}

// NewShared prepares the World w for predictions of many clients under the
// rules of version v; w's own client is not used. w must not change while
// the Shared is in use.
func NewShared(w *world.World, v versions.Version, opts ...Option) (*Shared, error) {
	o := defaultOptions()
	for _, opt := range opts {
		opt.apply(&o)
	}
	if w.Format != world.Format {
		return nil, fmt.Errorf("world format %q, predictor reads %q", w.Format, world.Format)
	}
	s := &Shared{
		w: w, v: v, o: o, alloc: allocFeature(w, v),
		dualStack:     envTrue(w, "ISTIO_DUAL_STACK") || envTrue(w, "PILOT_ENABLE_AMBIENT"),
		absoluteFQDN:  absoluteFQDNFeature(w, v),
		aliasNS:       map[string]bool{},
		sensitive:     map[string]bool{},
		endpointAddrs: map[string]bool{},
		shortNames:    map[string][]string{},
		scopes:        map[scopeKey]*scope{},
		listeners:     map[predictionKey]*sharedListeners{},
		predictions:   map[predictionKey]*Prediction{},
	}
	s.all = registry(w, v, s.alloc)
	hostNS := map[string]string{}
	for _, svc := range s.all {
		if export := svc.ExportTo; len(export) > 0 && !slices.Contains(export, "*") {
			for _, ns := range export {
				if ns == "." {
					ns = svc.Namespace
				}
				s.sensitive[ns] = true
			}
		}
		// Every namespace defining a hostname that another namespace
		// defines too is marked: the first against each later one.
		if first, ok := hostNS[svc.Hostname]; !ok {
			hostNS[svc.Hostname] = svc.Namespace
		} else if first != svc.Namespace {
			s.sensitive[first], s.sensitive[svc.Namespace] = true, true
		}
		for _, a := range svc.Aliases {
			s.aliasNS[a.Namespace] = true
			s.addShortName(a.Hostname)
		}
		s.addShortName(svc.Hostname)
		if svc.Resolution != resPassthrough {
			continue
		}
		for _, eps := range svc.Endpoints {
			for _, addrs := range eps {
				if len(addrs) > 0 {
					s.endpointAddrs[addrs[0]] = true
				}
			}
		}
	}
	return s, nil
}

// Predict predicts the sidecar of client c.
func (s *Shared) Predict(c world.Client) (*Prediction, error) {
	if len(c.IPs) == 0 {
		return nil, fmt.Errorf("scenario %s: the client has no IP", s.w.Scenario)
	}
	p := newProxy(c, s.alloc)
	p.version = s.v
	p.DualStackFeature = s.dualStack
	p.AbsoluteFQDN = s.absoluteFQDN
	sc := s.scopeOf(p)
	key := predictionKey{scope: sc.id, v4: p.V4, v6: p.V6, captureNone: p.CaptureNone,
		dnsCapture: p.DNSCapture, dnsAuto: p.DNSAuto, unpriv: p.Unprivileged}
	if s.endpointAddrs[p.IPs[0]] {
		key.ownEndpoint = p.IPs[0]
	}
	if s.aliasNS[p.Namespace] {
		key.aliasNS = p.Namespace
	}
	key.routing = routingKey(s.w, p)
	sl, ok := s.listeners[key]
	if !ok {
		sl = &sharedListeners{lb: buildListeners(s.w, s.v, s.o, p, sc.egresses, sc.sidecar)}
		s.listeners[key] = sl
	}
	if !s.o.noRoutes {
		if !s.o.routeFindingsOnly || key.routing != "" || key.aliasNS != "" {
			key.namespace = p.Namespace
		} else if pred := s.neutral(sl, p); !s.collides(sl, p.Namespace) {
			return pred, nil
		} else {
			key.namespace = p.Namespace
		}
	}
	if pred, ok := s.predictions[key]; ok {
		return pred, nil
	}
	pred := s.o.forCaller(sl.lb.predict(p))
	s.predictions[key] = pred
	return pred, nil
}

// neutral returns sl's prediction for a proxy like p in a namespace
// without services: its route configurations hold no short name.
func (s *Shared) neutral(sl *sharedListeners, p *proxy) *Prediction {
	if sl.neutral != nil {
		return sl.neutral
	}
	np := *p
	np.Namespace = ""
	full := sl.lb.predict(&np)
	sl.present, sl.contested = map[string]bool{}, map[string]bool{}
	hostOf := func(d string) string {
		host, _, _ := strings.Cut(strings.ToLower(d), ":")
		return host
	}
	for _, c := range full.Routes {
		for _, vh := range c.VirtualHosts {
			for _, d := range vh.Domains {
				sl.present[hostOf(d)] = true
			}
		}
		// dedupeDomains has left a contested domain in one virtual host:
		// its Duplicates name the others.
		for _, d := range c.Duplicates {
			host := hostOf(d.Domain)
			if d.Domain == "" {
				host = hostOf(d.VirtualHost) // dropped whole
			}
			sl.present[host], sl.contested[host] = true, true
		}
	}
	sl.neutral = s.o.forCaller(full)
	return sl.neutral
}

// collides reports whether a client of namespace ns may get other route
// findings than sl's neutral prediction: some short name of ns is a
// domain's host there, or a name its forms NAME.NS and NAME.NS.svc (which
// a proxy of ns gets in another order) is contested.
func (s *Shared) collides(sl *sharedListeners, ns string) bool {
	for _, name := range s.shortNames[ns] {
		if sl.present[name] || sl.contested[name+"."+ns] || sl.contested[name+"."+ns+".svc"] {
			return true
		}
	}
	return false
}

// addShortName records the short name a Kubernetes hostname
// NAME.NS.svc.DOMAIN gives the proxies of NS.
func (s *Shared) addShortName(h string) {
	h = strings.ToLower(h)
	rest, ok := strings.CutSuffix(h, ".svc."+domainSuffix)
	if !ok {
		return
	}
	name, ns, ok := strings.Cut(rest, ".")
	if !ok || strings.Contains(ns, ".") {
		return
	}
	if !slices.Contains(s.shortNames[ns], name) {
		s.shortNames[ns] = append(s.shortNames[ns], name)
	}
}

// Distinct reports how many distinct scopes, listener builds and
// predictions were computed.
func (s *Shared) Distinct() (scopes, listeners, predictions int) {
	predictions = len(s.predictions)
	for _, sl := range s.listeners {
		if sl.neutral != nil {
			predictions++
		}
	}
	return len(s.scopes), len(s.listeners), predictions
}

// scopeOf returns the egress listeners of p's sidecar scope, computed once
// per Sidecar and namespace, and once for every plain namespace without a
// Sidecar that has egress listeners: such a namespace sees the public
// services, in creation order, and picks among same-named hosts the same
// way from any of them.
func (s *Shared) scopeOf(p *proxy) *scope {
	sc := selectSidecar(s.w, p)
	key := scopeKey{sidecar: sc, namespace: p.Namespace}
	if (sc == nil || len(sc.Spec.Egress) == 0) && !s.sensitive[p.Namespace] {
		key.namespace = ""
	}
	if got, ok := s.scopes[key]; ok {
		return got
	}
	egresses, sidecar := egressListeners(s.w, p, s.all)
	got := &scope{id: len(s.scopes), egresses: egresses, sidecar: sidecar}
	s.scopes[key] = got
	return got
}
