package trace

import (
	"fmt"
	"sort"
	"strings"

	"github.com/listenerlab/listenerlab/route"
)

// SkippedRoute is a route of the chosen virtual host that comes before the
// one taken and does not match the request.
type SkippedRoute struct {
	// Index is the route's position in its virtual host, from 0.
	Index int    `json:"index"`
	Name  string `json:"name,omitempty"`
	Match string `json:"match"`
	Why   string `json:"why"`
}

// TakenRoute is the route a request takes.
type TakenRoute struct {
	Index  int          `json:"index"`
	Name   string       `json:"name,omitempty"`
	Match  string       `json:"match"`
	Action route.Action `json:"action"`
	// Reason is the predictor's reason for the route (predictions only).
	Reason string `json:"reason,omitempty"`
}

// Request is what the route configuration reads of an HTTP request.
type Request struct {
	Host    string            `json:"host"`
	Path    string            `json:"path"`
	Method  string            `json:"method"`
	Headers map[string]string `json:"headers,omitempty"`
}

// Routed is a request followed through one route configuration: the
// virtual host its Host chose, the routes it skipped and the one it took.
type Routed struct {
	// Config is the route configuration's name.
	Config string `json:"config"`
	// Missing is true when no configuration of that name is known: Envoy
	// has not received it over RDS and the listener does not serve.
	Missing bool    `json:"missing,omitempty"`
	Request Request `json:"request"`
	// VirtualHost is the chosen virtual host's name, "" when none matches.
	VirtualHost string `json:"virtualHost,omitempty"`
	// VirtualHostWhy says why that one (or why none).
	VirtualHostWhy string `json:"virtualHostWhy,omitempty"`
	// VirtualHostReason is the predictor's reason for the virtual host
	// (predictions only).
	VirtualHostReason string         `json:"virtualHostReason,omitempty"`
	Skipped           []SkippedRoute `json:"skipped,omitempty"`
	// Route is the route taken; nil when no route matches.
	Route *TakenRoute `json:"route,omitempty"`
	// Outcome is the answer in Outcome's words.
	Outcome string `json:"outcome"`
}

// Outcomes of a request other than a route's action (route.Action.String
// names those: "cluster ...", "clusters A=W,...", "redirect ...", "direct
// response ...").
const (
	// NoVirtualHost is Envoy's answer when no virtual host's domain
	// matches the Host: 404 (route_not_found).
	NoVirtualHost = "404 no virtual host"
	// NoRoute is Envoy's answer when the virtual host has no route the
	// request matches: 404 (route_not_found).
	NoRoute = "404 no route"
	// NoConfig is the outcome when the listener names a route
	// configuration that was never received.
	NoConfig = "no route configuration"
)

// Follow runs one request through the route configuration named name
// among cs (route.Select), and says where it goes and why.
func Follow(cs []route.Config, name string, req route.Request) Routed {
	r := Routed{Config: name, Request: NewRequest(req)}
	var c *route.Config
	for i := range cs {
		if cs[i].Name == name {
			c = &cs[i]
			break
		}
	}
	if c == nil {
		r.Missing, r.Outcome = true, NoConfig
		return r
	}
	sel := route.Select(c, req)
	r.VirtualHostWhy = sel.HostWhy
	if sel.VirtualHost == nil {
		r.Outcome = NoVirtualHost
		return r
	}
	vh := sel.VirtualHost
	r.VirtualHost, r.VirtualHostReason = vh.Name, vh.Reason
	for _, s := range sel.Skipped {
		rt := vh.Routes[s.Index]
		r.Skipped = append(r.Skipped, SkippedRoute{Index: s.Index, Name: rt.Name, Match: rt.Match.String(), Why: s.Why})
	}
	if sel.Route == nil {
		r.Outcome = NoRoute
		return r
	}
	a := sel.Route.Action
	a.Weighted = append(a.Weighted[:0:0], a.Weighted...)
	sort.SliceStable(a.Weighted, func(i, j int) bool { return a.Weighted[i].Name < a.Weighted[j].Name })
	r.Route = &TakenRoute{Index: sel.RouteIndex, Name: sel.Route.Name, Match: sel.Route.Match.String(), Action: a, Reason: sel.Route.Reason}
	r.Outcome = a.String()
	return r
}

// NewRequest is a request as a trace shows it, "/" and GET filled in.
func NewRequest(req route.Request) Request {
	return Request{Host: req.Host, Path: orDefault(req.Path, "/"), Method: orDefault(req.Method, "GET"), Headers: req.Headers}
}

// Detail says where a request ended up beside its outcome: the virtual
// host and route ("virtual host reviews:9080, route 2 \"default\""), or
// why none.
func (r Routed) Detail() string {
	switch {
	case r.Missing:
		return "route configuration " + r.Config + " is not known"
	case r.VirtualHost == "":
		return r.VirtualHostWhy
	case r.Route == nil:
		return fmt.Sprintf("virtual host %s, none of its %d routes matches", r.VirtualHost, len(r.Skipped))
	case r.Route.Name != "":
		return fmt.Sprintf("virtual host %s, route %d %q", r.VirtualHost, r.Route.Index+1, r.Route.Name)
	}
	return fmt.Sprintf("virtual host %s, route %d", r.VirtualHost, r.Route.Index+1)
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// request is the HTTP request of a call, the Host derived from the address
// when the call names none.
func (c Call) request(host string) route.Request {
	h := make(map[string]string, len(c.Headers))
	for k, v := range c.Headers {
		h[strings.ToLower(k)] = v
	}
	if len(h) == 0 {
		h = nil
	}
	return route.Request{Host: host, Path: c.Path, Method: c.Method, Headers: h}
}

// String is the request as a line: "GET reviews:9080/ end-user=jason".
func (q Request) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s%s", q.Method, q.Host, q.Path)
	keys := make([]string, 0, len(q.Headers))
	for k := range q.Headers {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(&b, " %s=%s", k, q.Headers[k])
	}
	return b.String()
}
