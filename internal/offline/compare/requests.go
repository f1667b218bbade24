package compare

import (
	"strings"

	"github.com/listenerlab/listenerlab/listener"
	"github.com/listenerlab/listenerlab/predictor/versions"
	"github.com/listenerlab/listenerlab/route"
	"github.com/listenerlab/listenerlab/scenario"
	"github.com/listenerlab/listenerlab/trace"
)

// LevelRequest: an HTTP request of a scenario's expectations goes
// elsewhere than the expectation says (Listener names the request).
const LevelRequest Level = "request"

// Requests checks the request expectations of a scenario that apply to
// version v on one sidecar's listeners ls and route configurations rs (a
// prediction's, or real pilot's): each request is traced from its address
// through the listeners to the route configuration its HTTP chain names,
// or sent to the configuration it names, and matched there
// (trace.Follow). o says where a connection no listener takes goes. Nil
// rs means the routes are not known: each request is then a difference
// saying so, never a pass.
func Requests(exps []scenario.Expectation, v versions.Version, ls []listener.Listener, rs []route.Config, o trace.Options) []Difference {
	var out []Difference
	for _, e := range exps {
		r, err := versions.ParseRange(e.Versions)
		if err != nil || !r.Includes(v) {
			continue
		}
		for _, q := range e.Requests {
			got := RequestOutcome(q, ls, rs, o)
			if rs == nil {
				got.Outcome, got.Detail = "route configurations not known", ""
			}
			if got.Outcome != q.Want {
				g := got.Outcome
				if got.Detail != "" {
					g += " (" + got.Detail + ")"
				}
				out = append(out, Difference{Level: LevelRequest, Listener: got.Request, Want: q.Want, Got: g})
			}
		}
	}
	return out
}

// Reached is where one expected request went.
type Reached struct {
	// Request names the request: its address or route configuration, then
	// method, Host, path and headers.
	Request string
	// Outcome is trace.Routed's outcome, or the trace's answer prefixed
	// "not an HTTP route: " when the request reached no HTTP chain.
	Outcome string
	// Detail is the virtual host and route, or why none.
	Detail string
}

// RequestOutcome follows one expected request on listeners ls and route
// configurations rs.
func RequestOutcome(q scenario.RequestExpectation, ls []listener.Listener, rs []route.Config, o trace.Options) Reached {
	req := route.Request{Host: q.Host, Path: q.Path, Method: q.Method, Headers: lowerKeys(q.Headers)}
	if q.RouteConfig != "" {
		rt := trace.Follow(rs, q.RouteConfig, req)
		return Reached{Request: "route " + q.RouteConfig + " " + rt.Request.String(), Outcome: rt.Outcome, Detail: rt.Detail()}
	}
	out := Reached{Request: q.To + " " + trace.NewRequest(req).String()}
	to, err := trace.ParseAddress(q.To)
	if err != nil {
		out.Outcome = err.Error()
		return out
	}
	o.Routes = rs
	if o.Routes == nil {
		o.Routes = []route.Config{}
	}
	res := trace.Trace(ls, trace.Call{To: to, Host: q.Host, Path: q.Path, Method: q.Method, Headers: req.Headers}, o)
	if res.HTTP == nil || res.HTTP.Routed == nil {
		out.Outcome = "not an HTTP route: " + res.Summary
		return out
	}
	out.Outcome, out.Detail = res.HTTP.Routed.Outcome, "listener "+res.Listener+", "+res.HTTP.Routed.Detail()
	return out
}

func lowerKeys(h map[string]string) map[string]string {
	if len(h) == 0 {
		return nil
	}
	out := make(map[string]string, len(h))
	for k, v := range h {
		out[strings.ToLower(k)] = v
	}
	return out
}
