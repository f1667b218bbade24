package dump

import (
	"errors"
	"fmt"
	"sort"

	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/listenerlab/listenerlab/listener"
	"github.com/listenerlab/listenerlab/route"
)

// ErrNoListeners is wrapped by the error of Parse when the input is JSON but
// yields no listener at all: it has no listeners part, an empty one, or none
// of its listeners could be read.
var ErrNoListeners = errors.New("no listeners")

// State says where in the dump a listener was found.
type State string

const (
	// Static is a listener from the bootstrap (static_listeners), or one from
	// a bare list of listeners.
	Static State = "static"
	// Active is a dynamic listener's active_state: what Envoy serves.
	Active State = "active"
	// Warming is a dynamic listener's warming_state, used only when it has no
	// active state: Envoy accepted it but waits for its dependencies (RDS,
	// for Istio) before serving it.
	Warming State = "warming"
)

// Dump is the listener part of an Envoy config dump.
type Dump struct {
	// Listeners are every listener read, normalized and sorted like
	// listener.Sort (port, address, name).
	Listeners []Entry `json:"listeners"`
	// Rejected are the listeners in error_state: the last update Envoy got
	// for them was rejected (NACKed). A rejected listener that still has an
	// older active state is also in Listeners. Sorted by name.
	Rejected []Failure `json:"rejected,omitempty"`
	// Unreadable are listeners of the dump that this package could not read.
	// Sorted by name, then message.
	Unreadable []Failure `json:"unreadable,omitempty"`
	// Routes are the route configurations Envoy got over RDS (the
	// dump's dynamic_route_configs), normalized, sorted by name.
	Routes []route.Config `json:"routes,omitempty"`
	// UnreadableRoutes are route configurations this package could not
	// read, or that hold what the route model does not (a JWT claim
	// condition, a cluster header): they are not in Routes. Sorted by
	// name, then message.
	UnreadableRoutes []Failure `json:"unreadableRoutes,omitempty"`
	// RoutesRead says the dump has a route part at all (Envoy's dumps
	// and the backends' from this session on do; a listeners-only dump,
	// or a backend answer recorded before, does not): without one,
	// Routes is empty because nothing was read, not because Envoy holds
	// no route.
	RoutesRead bool `json:"-"`
}

// Entry is one listener of the dump with what the normalized form leaves out.
type Entry struct {
	Listener listener.Listener `json:"listener"`
	State    State             `json:"state"`
	// UseOriginalDst is the listener's use_original_dst: it hands connections
	// to the listener of their original destination (Istio's virtualOutbound).
	UseOriginalDst bool `json:"useOriginalDst,omitempty"`
	// FilterChainMatcher is true when the listener selects its chains with a
	// filter_chain_matcher tree, which is not interpreted: chain matches are
	// then empty.
	FilterChainMatcher bool `json:"filterChainMatcher,omitempty"`
	// Opaque are the type URLs of the network filters of the listener that
	// were kept opaque: every one but http_connection_manager, tcp_proxy and
	// redis_proxy (Istio's stats, metadata exchange, RBAC, and types unknown to this
	// binary). Sorted, without duplicates.
	Opaque []string `json:"opaque,omitempty"`
	// InlineRoutes are the route configurations that the connection
	// managers of the capturing listener (UseOriginalDst) carry inline,
	// named listener.InlineRoutePrefix+NAME as their chains' destinations
	// name them (Istio 1.31's ALLOW_ANY_DYNAMIC_DNS chain): a trace of a
	// call that stays on that listener follows its route. Each is read like
	// an RDS one; one that cannot be is left out, and such a trace then
	// says its configuration is not known.
	InlineRoutes []route.Config `json:"inlineRoutes,omitempty"`
}

// Failure is a listener that failed, named when the dump names it.
type Failure struct {
	// Name is the listener's name, "" when the dump does not give it.
	Name string `json:"name,omitempty"`
	// Message is Envoy's error details for a rejected listener, or why this
	// package could not read one, with where in the dump it is.
	Message string `json:"message"`
}

// unmarshal reads listener JSON leniently: unknown fields and enum names (a
// newer Envoy's) are dropped and every Any but the terminal filters is kept
// opaque (see resolver).
var unmarshal = protojson.UnmarshalOptions{DiscardUnknown: true, Resolver: resolver{}}

// Parse reads the listeners of an Envoy admin config dump, and the route
// configurations it got over RDS (Dump.Routes): the output of Envoy's
// /config_dump, of pilot-agent request GET config_dump, or of istioctl
// proxy-config all -o json; a bare ListenersConfigDump; or the JSON array
// of listeners that istioctl proxy-config listeners -o json prints.
// Everything but the listeners and dynamic route configurations is
// skipped without being decoded.
//
// A listener that cannot be read lands in Dump.Unreadable, a route
// configuration in Dump.UnreadableRoutes. Parse fails only
// when the input is not JSON (the error gives the offset), or when no
// listener at all can be read (the error wraps ErrNoListeners).
func Parse(data []byte) (*Dump, error) {
	c, err := walk(data)
	if err != nil {
		return nil, err
	}
	if !c.found {
		return nil, fmt.Errorf("config dump: %w: none of its %d configs is a %s (it has %v)",
			ErrNoListeners, len(c.types), listenersDumpName, c.types)
	}
	d := &Dump{Rejected: c.rejected, Unreadable: c.unreadable, RoutesRead: c.routesFound}
	d.readRoutes(c.routes)
	var firstErr error
	for _, raw := range c.listeners {
		e, err := read(raw)
		if err != nil {
			if firstErr == nil {
				firstErr = err
			}
			d.Unreadable = append(d.Unreadable, Failure{Name: raw.name, Message: err.Error()})
			continue
		}
		d.Listeners = append(d.Listeners, e)
	}
	if len(d.Listeners) == 0 && len(d.Rejected) == 0 {
		switch {
		case firstErr != nil:
			return nil, fmt.Errorf("config dump: %w: none of its %d listeners could be read: %w",
				ErrNoListeners, len(c.listeners), firstErr)
		case len(d.Unreadable) > 0:
			return nil, fmt.Errorf("config dump: %w: %s", ErrNoListeners, d.Unreadable[0].Message)
		}
		return nil, fmt.Errorf("config dump: %w: its listeners part is empty", ErrNoListeners)
	}
	for i := range d.Rejected {
		if d.Rejected[i].Message == "" {
			d.Rejected[i].Message = "rejected (the dump gives no details)"
		}
	}
	d.sort()
	return d, nil
}

// read decodes and normalizes one listener.
func read(raw rawListener) (Entry, error) {
	if len(raw.json) == 0 || string(raw.json) == "null" {
		return Entry{}, fmt.Errorf("%s: no listener", raw.where)
	}
	if name := anyName(raw.json); name != "" && name != listenerName {
		return Entry{}, fmt.Errorf("%s: listener has type %s, want %s", raw.where, name, listenerName)
	}
	var l listenerv3.Listener
	if err := unmarshal.Unmarshal(raw.json, &l); err != nil {
		return Entry{}, fmt.Errorf("%s: %w", raw.where, err)
	}
	e, err := convert(&l)
	if err != nil {
		return Entry{}, fmt.Errorf("%s: listener %q: %w", raw.where, l.GetName(), err)
	}
	if e.Listener.Name == "" {
		e.Listener.Name = raw.name
	}
	e.State = raw.state
	return e, nil
}

// readRoutes reads every route configuration found, each that fails into
// UnreadableRoutes.
func (d *Dump) readRoutes(raws []rawRoute) {
	for _, raw := range raws {
		rc, err := readRoute(raw)
		if err != nil {
			d.UnreadableRoutes = append(d.UnreadableRoutes, Failure{Name: routeName(raw.json), Message: err.Error()})
			continue
		}
		d.Routes = append(d.Routes, rc)
	}
}

func (d *Dump) sort() {
	for i := range d.Listeners {
		d.Listeners[i].Listener.Normalize()
	}
	sort.SliceStable(d.Listeners, func(i, j int) bool {
		return listener.Less(&d.Listeners[i].Listener, &d.Listeners[j].Listener)
	})
	sortFailures(d.Rejected)
	sortFailures(d.Unreadable)
	route.Sort(d.Routes)
	sortFailures(d.UnreadableRoutes)
}

func sortFailures(fs []Failure) {
	sort.SliceStable(fs, func(i, j int) bool {
		if fs[i].Name != fs[j].Name {
			return fs[i].Name < fs[j].Name
		}
		return fs[i].Message < fs[j].Message
	})
}

// Istio's virtual listeners: virtualOutbound (15001) takes every captured
// outbound connection and hands it, by use_original_dst, to the listener of
// its original destination; virtualInbound (15006) takes inbound ones.
const (
	virtualOutboundName = "virtualOutbound"
	virtualInboundName  = "virtualInbound"
)

// Outbound returns the listeners with traffic_direction OUTBOUND (active,
// static or warming), as copies that share nothing with d, normalized and
// sorted with listener.Sort, leaving out
// Istio's virtual listeners: a listener named virtualOutbound or
// virtualInbound, and any listener with use_original_dst set, since such a
// listener only redirects connections to the others. A dump that is not from
// Istio sets no direction, so it has no outbound listeners.
func (d *Dump) Outbound() []listener.Listener {
	var out []listener.Listener
	for _, e := range d.Listeners {
		l := e.Listener
		if l.Direction != "OUTBOUND" || e.UseOriginalDst || l.Name == virtualOutboundName || l.Name == virtualInboundName {
			continue
		}
		out = append(out, clone(l))
	}
	listener.Sort(out)
	return out
}

// clone copies a listener deeply, so that callers may change what they get.
func clone(l listener.Listener) listener.Listener {
	l.AdditionalAddresses = cloneStrings(l.AdditionalAddresses)
	l.ListenerFilters = cloneStrings(l.ListenerFilters)
	if l.FilterChains != nil {
		chains := make([]listener.FilterChain, len(l.FilterChains))
		for i, c := range l.FilterChains {
			chains[i] = cloneChain(c)
		}
		l.FilterChains = chains
	}
	if l.DefaultChain != nil {
		c := cloneChain(*l.DefaultChain)
		l.DefaultChain = &c
	}
	return l
}

func cloneChain(c listener.FilterChain) listener.FilterChain {
	c.Match.PrefixRanges = cloneStrings(c.Match.PrefixRanges)
	c.Match.ServerNames = cloneStrings(c.Match.ServerNames)
	c.Match.ApplicationProtocols = cloneStrings(c.Match.ApplicationProtocols)
	return c
}

func cloneStrings(s []string) []string {
	if s == nil {
		return nil
	}
	return append([]string(nil), s...)
}
