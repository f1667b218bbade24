package analyze

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"

	networkingv1 "istio.io/client-go/pkg/apis/networking/v1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/listenerlab/listenerlab/internal/offline/resolve"
	"github.com/listenerlab/listenerlab/predictor"
	"github.com/listenerlab/listenerlab/predictor/versions"
	"github.com/listenerlab/listenerlab/scenario"
	"github.com/listenerlab/listenerlab/world"
)

// This file is analyze at monorepo scale. The unshared computation
// (analyzeEach) resolves the folder into a World and predicts it once per
// client, and the World of a folder does not depend on which of its
// workloads is the client: only the World's client does. So clients whose
// scenario header is the same but for the client's namespace and labels,
// with no pinned IP, and whose labels select one of the folder's workloads
// (no standard client workload is added), share one resolved World and one
// predictor.Shared, which predicts each distinct sidecar scope and proxy
// once. Other clients (standard clients, pinned IPs) are resolved on their
// own, as analyzeEach does. Findings are merged client by client in the
// same order as analyzeEach, so the report is the same, byte for byte;
// TestSharedMatchesUnshared checks it.

// scenarioFor is the folder's scenario with c as the header's client: what
// both computations resolve for c.
func (f *folder) scenarioFor(c Client) scenario.Scenario {
	sc := *f.sc
	h := &sc.Header
	if h.Client.Pod != "" && (c.Namespace != h.ClientNamespace() || !maps.Equal(c.Labels, h.ClientLabels())) {
		h.Client.Pod = "" // the header's named pod is not this client's
	}
	h.Client.Namespace, h.Client.Labels = c.Namespace, c.Labels
	if p := c.plane; p != nil {
		// The control plane that injects c: its mesh config and istiod
		// env (its version is versionOf's).
		h.MeshConfig, h.Istiod.Env = p.MeshConfig, p.Env
	}
	return sc
}

// worldGroup is one World resolved for all clients whose headers differ
// only in the client's namespace and labels.
type worldGroup struct {
	w      *world.World
	shared *predictor.Shared
	// workloads lists, by namespace, the folder's workload manifests with
	// the index of their first pod in w.Pods; nil when the World's pods do
	// not line up with the manifests, and then no client uses the group.
	workloads map[string][]workloadPods
	// standard marks a World resolved for a standard client: every
	// standard client of the group is that World's client moved to its
	// own namespace and labels.
	standard bool
}

type workloadPods struct {
	m     *scenario.Manifest
	first int
}

// sharedKey is the header with the client's namespace and labels left
// out, and whether the client is one of the folder's workloads or the
// standard client the resolver adds; "" when the client cannot share a
// World: its IPs are pinned or its pod is named (the resolver gives the
// client's pod those addresses, or picks that pod), or the standard client
// workload would change the World (see fixtureUnseen).
func (f *folder) sharedKey(sc *scenario.Scenario) (string, error) {
	h := sc.Header
	if h.Client.IP != "" || len(h.Client.IPs) > 0 || h.Client.Pod != "" {
		return "", nil
	}
	kind := "workload "
	if !hasWorkload(sc.Manifests, h.ClientNamespace(), h.ClientLabels()) {
		if !fixtureUnseen(sc.Manifests, h.ClientNamespace(), h.ClientLabels()) {
			return "", nil
		}
		kind = "standard "
	}
	h.Client.Namespace, h.Client.Labels = "", nil
	data, err := json.Marshal(h)
	if err != nil {
		return "", fmt.Errorf("%s: header: %w", sc.Path, err)
	}
	return kind + string(data), nil
}

// fixtureUnseen reports whether the standard client workload the resolver
// adds in ns with these labels leaves the World as the predictor reads it
// unchanged but for its own pod and the World's client: ns already has
// manifests (so the namespace list is the same), no Service there selects
// the pod (no endpoint), no ServiceEntry there selects it (the predictor
// reads pods only for those). The pod is made last, so every standard
// client gets the same IP, and the pods before it are the same.
func fixtureUnseen(ms []scenario.Manifest, ns string, lbls map[string]string) bool {
	known := ns == "default" || ns == "kube-system" || ns == "istio-system"
	set := labels.Set(lbls)
	for i := range ms {
		m := &ms[i]
		if m.Namespace != ns {
			continue
		}
		known = true
		switch o := m.Object.(type) {
		case *corev1.Service:
			if len(o.Spec.Selector) > 0 && labels.SelectorFromSet(o.Spec.Selector).Matches(set) {
				return false
			}
		case *networkingv1.ServiceEntry:
			if ws := o.Spec.WorkloadSelector; ws != nil && labels.SelectorFromSet(ws.Labels).Matches(set) {
				return false
			}
		}
	}
	return known
}

// hasWorkload reports whether a Deployment, StatefulSet or Pod in ns has
// pods the labels select, as the resolver decides whether to add the
// standard client.
func hasWorkload(ms []scenario.Manifest, ns string, lbls map[string]string) bool {
	sel := labels.SelectorFromSet(lbls)
	for i := range ms {
		if l, ok := scenario.PodLabels(ms[i].Object); ok && ms[i].Namespace == ns && sel.Matches(labels.Set(l)) {
			return true
		}
	}
	return false
}

func (f *folder) newWorldGroup(sc *scenario.Scenario, v versions.Version, o options, standard bool) (*worldGroup, error) {
	w, err := resolve.Simulate(sc, v)
	if err != nil {
		return nil, err
	}
	shared, err := predictor.NewShared(w, v, predictor.WithMaxEndpointListeners(o.maxEndpointListeners), predictor.WithRouteFindingsOnly())
	if err != nil {
		return nil, fmt.Errorf("%s: %w", f.sc.Path, err)
	}
	g := &worldGroup{w: w, shared: shared, standard: standard}
	if !standard {
		g.workloads = lineUpPods(sc.Manifests, w.Pods)
	}
	return g, nil
}

// lineUpPods finds each workload manifest's first pod: the resolver makes
// the pods of the manifests in order, replicas pods for a Deployment or
// StatefulSet and one for a Pod. It returns nil unless the pods' names and
// namespaces confirm it.
func lineUpPods(ms []scenario.Manifest, pods []corev1.Pod) map[string][]workloadPods {
	out := map[string][]workloadPods{}
	next := 0
	for i := range ms {
		m := &ms[i]
		n, firstName := 0, ""
		switch o := m.Object.(type) {
		case *appsv1.Deployment:
			n, firstName = replicaCount(o.Spec.Replicas), m.Name+"-"
		case *appsv1.StatefulSet:
			n, firstName = replicaCount(o.Spec.Replicas), m.Name+"-0"
		case *corev1.Pod:
			n, firstName = 1, m.Name
		default:
			continue
		}
		if n == 0 {
			continue // no pods to line up
		}
		if next+n > len(pods) {
			return nil
		}
		p := &pods[next]
		ok := p.Namespace == m.Namespace && (p.Name == firstName || m.Kind == "Deployment" && strings.HasPrefix(p.Name, firstName))
		if !ok {
			return nil
		}
		out[m.Namespace] = append(out[m.Namespace], workloadPods{m: m, first: next})
		next += n
	}
	if next != len(pods) {
		return nil
	}
	return out
}

func replicaCount(r *int32) int {
	if r == nil {
		return 1
	}
	return int(*r)
}

// clientFor is the World's client as the resolver and pinClient make it for
// c: the first pod of the last workload in c's namespace whose pods the
// labels select, then c's own workload's first pod.
func (g *worldGroup) clientFor(sc *scenario.Scenario, c Client) (world.Client, bool) {
	h := sc.Header
	if g.standard {
		// The standard client's pod: same IP and settings as the group's,
		// in c's namespace with c's labels. Its name (not read by the
		// predictor) is left as the group's.
		wc := g.w.Client
		wc.Namespace, wc.Labels = h.ClientNamespace(), h.ClientLabels()
		return wc, true
	}
	sel := labels.SelectorFromSet(h.ClientLabels())
	last := -1
	for _, wp := range g.workloads[h.ClientNamespace()] {
		if sel.Matches(labels.Set(g.w.Pods[wp.first].Labels)) {
			last = wp.first
		}
	}
	if last < 0 {
		return world.Client{}, false
	}
	p := &g.w.Pods[last]
	wc := g.w.Client
	wc.Name, wc.Namespace, wc.Labels = p.Name, p.Namespace, p.Labels
	wc.ServiceAccount = p.Spec.ServiceAccountName
	if wc.ServiceAccount == "" {
		wc.ServiceAccount = "default"
	}
	wc.IPs = nil
	for _, ip := range p.Status.PodIPs {
		wc.IPs = append(wc.IPs, ip.IP)
	}
	view := *g.w
	view.Client = wc
	if err := pinClient(&view, c); err != nil {
		// predictOne reports the error.
		return world.Client{}, false
	}
	return view.Client, true
}

// analyzeShared is analyzeEach with the work shared between clients.
func (f *folder) analyzeShared(o options, prog *progress) ([]Finding, error) {
	preds, err := f.predictShared(o, prog)
	if err != nil {
		return nil, err
	}
	return f.merge(preds, o), nil
}

// predictShared predicts every client, preds[i] for f.clients[i], sharing
// Worlds and predictions where the clients' inputs allow.
func (f *folder) predictShared(o options, prog *progress) ([]*predictor.Prediction, error) {
	preds := make([]*predictor.Prediction, len(f.clients))
	groups := map[string]*worldGroup{}
	for i, c := range f.clients {
		sc := f.scenarioFor(c)
		key, err := f.sharedKey(&sc)
		if err != nil {
			return nil, err
		}
		v := versionOf(c, o)
		if key != "" {
			g, ok := groups[v.Label+"\x00"+key]
			if !ok {
				if g, err = f.newWorldGroup(&sc, v, o, strings.HasPrefix(key, "standard ")); err != nil {
					return nil, err
				}
				groups[v.Label+"\x00"+key] = g
			}
			if wc, ok := g.clientFor(&sc, c); ok {
				if preds[i], err = g.shared.Predict(wc); err != nil {
					return nil, fmt.Errorf("%s: client %s: %w", f.sc.Path, c.Name, err)
				}
				prog.client()
				continue
			}
		}
		if preds[i], err = f.predictOne(c, o); err != nil {
			return nil, err
		}
		prog.client()
	}
	return preds, nil
}

// predictOne resolves and predicts client c on its own.
func (f *folder) predictOne(c Client, o options) (*predictor.Prediction, error) {
	sc := f.scenarioFor(c)
	v := versionOf(c, o)
	w, err := resolve.Simulate(&sc, v)
	if err != nil {
		return nil, err
	}
	if err := pinClient(w, c); err != nil {
		return nil, fmt.Errorf("%s: client %s: %w", f.sc.Path, c.Name, err)
	}
	p, err := predictor.Predict(w, v, predictor.WithMaxEndpointListeners(o.maxEndpointListeners), predictor.WithRouteFindingsOnly())
	if err != nil {
		return nil, fmt.Errorf("%s: client %s: %w", f.sc.Path, c.Name, err)
	}
	return p, nil
}

// merge turns each client's prediction (preds[i] is f.clients[i]'s) into
// findings: one per code, service, port, listener and message, listing
// its clients. It walks the clients in order, as analyzeEach does, and
// works through each distinct prediction once.
func (f *folder) merge(preds []*predictor.Prediction, o options) []Finding {
	var out []Finding
	byKey := map[string]int{}
	done := map[*predictor.Prediction][]int{}
	for i, c := range f.clients {
		p := preds[i]
		at, ok := done[p]
		if !ok {
			at = make([]int, len(p.Findings))
			for j, pf := range p.Findings {
				key := findingKey(pf)
				if k, ok := byKey[key]; ok {
					at[j] = k
					continue
				}
				objs := f.objectsOf(pf)
				if !fromFolder(objs) {
					at[j] = -1
					continue
				}
				byKey[key], at[j] = len(out), len(out)
				out = append(out, Finding{
					Code: pf.Code, Severity: pf.Severity, Message: pf.Message, Why: pf.Why, Fix: ruleFor(pf.Code).Fix,
					Service: pf.Service, Port: pf.Port, Listener: pf.Listener, Objects: objs, Witness: f.witness(pf, c, o),
				})
			}
			done[p] = at
		}
		for _, k := range at {
			if k >= 0 {
				out[k].Clients = append(out[k].Clients, c.Name)
			}
		}
	}
	for i := range out {
		sort.Strings(out[i].Clients)
		out[i].Clients = slices.Compact(out[i].Clients)
	}
	return out
}
