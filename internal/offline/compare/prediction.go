package compare

import (
	"strings"

	"github.com/listenerlab/listenerlab/internal/offline/dump"
	"github.com/listenerlab/listenerlab/listener"
	"github.com/listenerlab/listenerlab/predictor"
)

// Real is what real Istio built for one proxy, as far as it was read.
type Real struct {
	// Dump is the proxy's config dump: its listeners, and those Envoy
	// rejected or listenerlab could not read.
	Dump *dump.Dump
	// Conflicts are istiod's conflict records for the proxy.
	Conflicts []listener.Conflict
	// DumpOnly says only a config dump was read (explain --dump): a dump
	// holds no conflict records, so conflicts are not compared, and
	// rejected and unreadable listeners are the caller's warnings, not
	// differences.
	DumpOnly bool
}

// Prediction compares a prediction with what real Istio built, in this
// order: the listener set, addresses, chains and destinations (Listeners),
// conflicts (Conflicts), every finding's witness connection replayed on
// the real listeners (Witnesses), the route configurations (Routes) when
// the prediction carries routes and the dump has a route part (a
// listeners-only dump has none), then every listener Envoy rejected
// (error_state) or listenerlab could not read, and every real route
// configuration listenerlab could not read.
func Prediction(pred *predictor.Prediction, real Real) []Difference {
	d := real.Dump
	diffs := Listeners(pred.Listeners, d.Outbound())
	if !real.DumpOnly {
		diffs = append(diffs, Conflicts(pred.Conflicts, real.Conflicts)...)
	}
	diffs = append(diffs, Witnesses(pred.Findings, d)...)
	routes := pred.Routes != nil && d.RoutesRead
	if routes {
		diffs = append(diffs, Routes(pred.Routes, d.Routes)...)
	}
	if real.DumpOnly {
		return diffs
	}
	for _, f := range d.Rejected {
		diffs = append(diffs, Difference{Level: LevelListener, Listener: f.Name, Got: "error_state: " + f.Message})
	}
	for _, f := range d.Unreadable {
		diffs = append(diffs, Difference{Level: LevelListener, Listener: f.Name, Got: "unreadable: " + f.Message})
	}
	for _, f := range d.UnreadableRoutes {
		if routes {
			diffs = append(diffs, Difference{Level: LevelRoute, Listener: f.Name, Got: "unreadable: " + f.Message})
		}
	}
	return diffs
}

// Predictions compares two predictions' listeners and conflicts (a
// captured scenario's with the live World's), and their route
// configurations when both carry routes (e2e's round trip translates only
// the live listeners and conflicts into the captured World's names): want
// is the reference.
func Predictions(want, got *predictor.Prediction) []Difference {
	diffs := append(Listeners(want.Listeners, got.Listeners), Conflicts(want.Conflicts, got.Conflicts)...)
	if want.Routes != nil && got.Routes != nil {
		diffs = append(diffs, Routes(want.Routes, got.Routes)...)
	}
	return diffs
}

// Witnessed counts the findings with a witness connection.
func Witnessed(fs []predictor.Finding) int {
	n := 0
	for _, f := range fs {
		if f.Witness != nil {
			n++
		}
	}
	return n
}

// Judge sets the result's outcome from its differences and expectations
// (pass when there are none) and, on a failure, the predictor's reason
// for every predicted listener that differs.
func (r *Result) Judge() {
	r.Outcome = Pass
	if len(r.Differences) == 0 && len(r.Expectations) == 0 {
		return
	}
	r.Outcome = Fail
	for _, diff := range r.Differences {
		if diff.Level == LevelRoute {
			r.addRouteReason(diff.Listener)
			continue
		}
		for _, l := range r.Prediction.Listeners {
			if l.Name == diff.Listener {
				r.AddReason(l.Name, l.Reason)
			}
		}
	}
}

// addRouteReason records the predictor's reason for the route
// configuration or virtual host a route difference names ("NAME" or
// "NAME vhost VHOST"), under "route " and that name.
func (r *Result) addRouteReason(where string) {
	name, vhost, inVhost := strings.Cut(where, " vhost ")
	for _, c := range r.Prediction.Routes {
		if c.Name != name {
			continue
		}
		if !inVhost {
			r.AddReason("route "+where, c.Reason)
			return
		}
		for _, vh := range c.VirtualHosts {
			if vh.Name == vhost {
				r.AddReason("route "+where, vh.Reason)
				return
			}
		}
	}
}

// AddReason records why: the predictor's reason for a listener, or a
// note under its own key.
func (r *Result) AddReason(key, why string) {
	if r.Reasons == nil {
		r.Reasons = map[string]string{}
	}
	r.Reasons[key] = why
}
