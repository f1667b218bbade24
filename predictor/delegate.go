package predictor

import (
	"maps"
	"slices"
	"strings"

	apiv1alpha3 "istio.io/api/networking/v1alpha3"
	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"
)

// delegateHTTP models the merge of delegate VirtualServices into their
// roots (mergeVirtualServicesIfNeeded; from 1.30 the VirtualService
// controller's mergeVirtualServices): an http route naming a delegate is
// replaced by the delegate's http routes merged with it, each delegate
// route whose matches fit none of the root route's left out; a delegate
// that does not exist, or is not exported to the root's namespace, drops
// the root route. Delegates (VirtualServices without hosts) are resolved
// in their own namespace first. It returns the merged http routes of
// every root, by Source, and the routes the merge dropped, by Source.
func delegateHTTP(all []*networkingv1.VirtualService, defaultExport []string) (map[string][]*apiv1alpha3.HTTPRoute, map[string][]string) {
	delegates := map[string]*virtualService{}
	exports := map[string][]string{}
	for _, v := range all {
		if len(v.Spec.Hosts) > 0 {
			continue
		}
		key := v.Namespace + "/" + v.Name
		delegates[key] = resolveVirtualService(v)
		export := v.Spec.ExportTo
		if len(export) == 0 {
			export = defaultExport
		}
		if len(export) == 0 {
			export = []string{"*"}
		}
		for _, e := range export {
			if e == "." {
				e = v.Namespace
			}
			exports[key] = append(exports[key], e)
		}
	}
	out := map[string][]*apiv1alpha3.HTTPRoute{}
	notes := map[string][]string{}
	for _, v := range all {
		if len(v.Spec.Hosts) == 0 || !slices.ContainsFunc(v.Spec.Http, func(h *apiv1alpha3.HTTPRoute) bool { return h.Delegate != nil }) {
			continue
		}
		root := resolveVirtualService(v)
		var merged []*apiv1alpha3.HTTPRoute
		for _, h := range root.Spec.Http {
			if h.Delegate == nil {
				merged = append(merged, h)
				continue
			}
			ns := h.Delegate.Namespace
			if ns == "" {
				ns = v.Namespace
			}
			key := ns + "/" + h.Delegate.Name
			d, ok := delegates[key]
			switch {
			case !ok:
				notes[root.Source] = append(notes[root.Source], "delegate VirtualService "+key+" not found: its http route is dropped")
				continue
			case !slices.Contains(exports[key], "*") && !slices.Contains(exports[key], v.Namespace):
				notes[root.Source] = append(notes[root.Source], "delegate VirtualService "+key+" is not exported to "+v.Namespace+": its http route is dropped")
				continue
			}
			for _, sub := range d.Spec.DeepCopy().Http {
				if m := mergeHTTPRoute(h, sub); m != nil {
					merged = append(merged, m)
				}
			}
		}
		out[root.Source] = merged
	}
	return out, notes
}

// mergeHTTPRoute models mergeHTTPRoute (pilot/pkg/model/virtualservice.go):
// the delegate route with the root's matches merged in (nil when they
// conflict), its name prefixed by the root's, and the root's settings
// where it has none.
func mergeHTTPRoute(root, sub *apiv1alpha3.HTTPRoute) *apiv1alpha3.HTTPRoute {
	matches, ok := mergeHTTPMatches(root.Match, sub.Match)
	if !ok {
		return nil
	}
	sub.Match = matches
	switch {
	case sub.Name == "":
		sub.Name = root.Name
	case root.Name != "":
		sub.Name = root.Name + "-" + sub.Name
	}
	if sub.Rewrite == nil {
		sub.Rewrite = root.Rewrite
	}
	if sub.DirectResponse == nil {
		sub.DirectResponse = root.DirectResponse
	}
	if sub.Mirror == nil {
		sub.Mirror = root.Mirror
	}
	//lint:ignore SA1019 Istio still reads mirror_percent
	if sub.MirrorPercent == nil {
		//lint:ignore SA1019 Istio still reads mirror_percent
		sub.MirrorPercent = root.MirrorPercent
	}
	if sub.MirrorPercentage == nil {
		sub.MirrorPercentage = root.MirrorPercentage
	}
	if sub.Mirrors == nil {
		sub.Mirrors = root.Mirrors
	}
	return sub
}

// mergeHTTPMatches models mergeHTTPMatchRequests: without matches on one
// side, the other's; else each delegate match merged with every root
// match it does not conflict with, false when one fits none.
func mergeHTTPMatches(root, sub []*apiv1alpha3.HTTPMatchRequest) ([]*apiv1alpha3.HTTPMatchRequest, bool) {
	if len(root) == 0 {
		return sub, true
	}
	if len(sub) == 0 {
		return root, true
	}
	var out []*apiv1alpha3.HTTPMatchRequest
	for _, s := range sub {
		found := false
		for _, r := range root {
			if matchConflict(r, s) {
				continue
			}
			out = append(out, mergeHTTPMatch(r, s))
			found = true
		}
		if !found {
			return nil, false
		}
	}
	return out, len(out) > 0
}

// mergeHTTPMatch models mergeHTTPMatchRequest: the delegate's match with
// the root's conditions where it has none, maps merged (the delegate's
// entries winning).
func mergeHTTPMatch(root, sub *apiv1alpha3.HTTPMatchRequest) *apiv1alpha3.HTTPMatchRequest {
	out := sub.DeepCopy()
	switch {
	case out.Name == "":
		out.Name = root.Name
	case root.Name != "":
		out.Name = root.Name + "-" + out.Name
	}
	if out.Uri == nil {
		out.Uri = root.Uri
	}
	if out.Scheme == nil {
		out.Scheme = root.Scheme
	}
	if out.Method == nil {
		out.Method = root.Method
	}
	if out.Authority == nil {
		out.Authority = root.Authority
	}
	out.Headers = mergeMaps(root.Headers, sub.Headers)
	out.WithoutHeaders = mergeMaps(root.WithoutHeaders, sub.WithoutHeaders)
	out.QueryParams = mergeMaps(root.QueryParams, sub.QueryParams)
	out.SourceLabels = mergeMaps(root.SourceLabels, sub.SourceLabels)
	if out.Port == 0 {
		out.Port = root.Port
	}
	if out.SourceNamespace == "" {
		out.SourceNamespace = root.SourceNamespace
	}
	if len(out.Gateways) == 0 {
		out.Gateways = root.Gateways
	}
	return out
}

func mergeMaps[V any](a, b map[string]V) map[string]V {
	if len(a) == 0 && len(b) == 0 {
		return nil
	}
	out := maps.Clone(a)
	if out == nil {
		out = map[string]V{}
	}
	maps.Copy(out, b)
	return out
}

// matchConflict models hasConflict: a delegate match conflicts with a
// root match when one of its uri, scheme, method, authority, headers,
// withoutHeaders or query parameters does not narrow the root's, their
// ignoreUriCase differ, their ports or sourceNamespace differ, a source
// label differs, or its gateways are not among the root's.
func matchConflict(root, leaf *apiv1alpha3.HTTPMatchRequest) bool {
	pairs := [][2]*apiv1alpha3.StringMatch{{root.Uri, leaf.Uri}, {root.Scheme, leaf.Scheme}, {root.Method, leaf.Method}, {root.Authority, leaf.Authority}}
	for k, v := range leaf.Headers {
		pairs = append(pairs, [2]*apiv1alpha3.StringMatch{root.Headers[k], v})
	}
	for k, v := range leaf.WithoutHeaders {
		pairs = append(pairs, [2]*apiv1alpha3.StringMatch{root.WithoutHeaders[k], v})
	}
	for k, v := range leaf.QueryParams {
		pairs = append(pairs, [2]*apiv1alpha3.StringMatch{root.QueryParams[k], v})
	}
	for _, p := range pairs {
		if stringMatchConflict(p[0], p[1]) {
			return true
		}
	}
	if root.IgnoreUriCase != leaf.IgnoreUriCase || root.Port > 0 && leaf.Port > 0 && root.Port != leaf.Port {
		return true
	}
	if root.SourceNamespace != "" && leaf.SourceNamespace != root.SourceNamespace {
		return true
	}
	for k, v := range leaf.SourceLabels {
		if rv, ok := root.SourceLabels[k]; ok && rv != v {
			return true
		}
	}
	if len(root.Gateways) > 0 && len(leaf.Gateways) > 0 {
		if len(root.Gateways) < len(leaf.Gateways) {
			return true
		}
		for _, g := range leaf.Gateways {
			if !slices.Contains(root.Gateways, g) {
				return true
			}
		}
	}
	return false
}

// stringMatchConflict models stringMatchConflict: none when either side
// is unset; a regex on either side conflicts with any other condition; an
// exact root takes only the same exact; a prefix root takes a prefix or
// exact that starts with it; anything else conflicts.
func stringMatchConflict(root, leaf *apiv1alpha3.StringMatch) bool {
	if root == nil || leaf == nil {
		return false
	}
	if root.GetRegex() != "" && (leaf.GetRegex() != "" || leaf.GetPrefix() != "" || leaf.GetExact() != "") {
		return true
	}
	if leaf.GetRegex() != "" && (root.GetRegex() != "" || root.GetPrefix() != "" || root.GetExact() != "") {
		return true
	}
	if exact := root.GetExact(); exact != "" {
		return leaf.GetPrefix() != "" || leaf.GetExact() != exact
	}
	if prefix := root.GetPrefix(); prefix != "" {
		if leaf.GetPrefix() != "" {
			return !strings.HasPrefix(leaf.GetPrefix(), prefix)
		}
		if leaf.GetExact() != "" {
			return !strings.HasPrefix(leaf.GetExact(), prefix)
		}
	}
	return true
}
