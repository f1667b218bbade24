package predictor

import (
	"maps"
	"slices"
	"sort"

	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"

	"github.com/listenerlab/listenerlab/listener"
	"github.com/listenerlab/listenerlab/predictor/versions"
	"github.com/listenerlab/listenerlab/world"
)

// listenerBuild is a sidecar's listeners, conflicts and listener findings:
// the first of the two phases of a prediction. The second, predict, adds
// the route configurations, which also depend on the proxy's namespace
// (the short names of its own services), so Shared can keep one
// listenerBuild for clients of many namespaces. A listenerBuild is not
// changed by predict.
type listenerBuild struct {
	w         *world.World
	v         versions.Version
	b         *builder
	egresses  []egress
	sidecar   *networkingv1.Sidecar
	listeners []listener.Listener
	conflicts []listener.Conflict
	catchAll  listener.Destination
	// split is how many of b.findings come before the route findings; the
	// rest (import order, EnvoyFilters) follow them, as istiod's order of
	// rules has it.
	split int
}

// buildListeners runs the listener rules for proxy p over its sidecar
// scope's egress listeners.
func buildListeners(w *world.World, v versions.Version, o options, p *proxy, egresses []egress, sidecar *networkingv1.Sidecar) *listenerBuild {
	// A listener per service port at most: sized so that the index does
	// not grow step by step on a large mesh.
	b := &builder{p: p, entries: make(map[string]*entry, len(w.Services)+len(w.ServiceEntries)), opts: o, routing: newRouting(w, p, egresses), redis: redisFilter(w),
		headlessChains: headlessFilterChainFeature(w, v)}
	b.run(egresses)
	b.httpRouteNotes()
	lb := &listenerBuild{w: w, v: v, b: b, egresses: egresses, sidecar: sidecar, conflicts: lastConflicts(b.conflicts)}
	catchAll, why := outboundCatchAll(w, sidecar, v)
	lb.catchAll, b.catchAllWhy = catchAll, why
	lb.listeners = make([]listener.Listener, 0, len(b.order))
	for _, key := range b.order {
		lb.listeners = append(lb.listeners, b.finalize(b.entries[key], catchAll))
	}
	b.overlapFindings(egresses)
	b.serverFirstSniffed()
	listener.Sort(lb.listeners)
	lb.split = len(b.findings)
	b.importUndetermined(w, egresses, lb.listeners, catchAll)
	listener.SortConflicts(lb.conflicts)
	b.envoyFilterFindings(w, lb.listeners)
	return lb
}

// predict completes the prediction for proxy p, lb's own or one that
// differs from it in namespace only: the route configurations (unless
// WithoutRoutes), their findings, and every finding's witness. The prediction shares lb's listeners and conflicts.
func (lb *listenerBuild) predict(p *proxy) *Prediction {
	b := *lb.b
	b.p = p
	b.findings = slices.Clip(lb.b.findings[:lb.split])
	b.unreachable, b.proxyScoped = maps.Clone(lb.b.unreachable), maps.Clone(lb.b.proxyScoped)
	pred := &Prediction{Version: lb.v.Label, Listeners: lb.listeners, Conflicts: lb.conflicts, NotModelled: notModelled(lb.w, lb.v)}
	if !b.opts.noRoutes {
		var routeNotes []string
		pred.Routes, routeNotes = b.routeConfigs(pred.Listeners, lb.egresses, catchAllVirtualHost(lb.w, lb.sidecar, lb.v))
		pred.NotModelled = append(pred.NotModelled, routeNotes...)
		sort.Strings(pred.NotModelled)
		b.routeFindings(lb.w, pred.Routes)
	}
	b.findings = append(b.findings, lb.b.findings[lb.split:]...)
	pred.Findings = uniqueFindings(b.findings)
	vo := newVirtualOutbound(lb.w, lb.sidecar, lb.v, p.CaptureNone, lb.catchAll)
	fillWitnesses(pred.Findings, pred.Listeners, vo, pred.Routes)
	pred.Findings = slices.DeleteFunc(pred.Findings, moot(pred.Findings))
	sort.SliceStable(pred.Findings, func(i, j int) bool {
		a, c := pred.Findings[i], pred.Findings[j]
		if a.Port != c.Port {
			return a.Port < c.Port
		}
		if a.Listener != c.Listener {
			return a.Listener < c.Listener
		}
		if a.Message != c.Message {
			return a.Message < c.Message
		}
		return a.Why < c.Why
	})
	return pred
}

// forCaller is pred as the options give it to the caller: without its
// route configurations under WithRouteFindingsOnly.
func (o options) forCaller(pred *Prediction) *Prediction {
	if o.routeFindingsOnly {
		pred.Routes = nil
	}
	return pred
}
