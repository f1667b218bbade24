package e2erun

import (
	"context"
	"fmt"
	"io"
	corev1 "k8s.io/api/core/v1"
	"net/netip"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/listenerlab/listenerlab/internal/livecluster/deploy"
	"github.com/listenerlab/listenerlab/internal/livecluster/isolate"
	"github.com/listenerlab/listenerlab/internal/livecluster/kindcluster"
	"github.com/listenerlab/listenerlab/internal/localcluster/controlplane"
	"github.com/listenerlab/listenerlab/internal/offline/compare"
	"github.com/listenerlab/listenerlab/scenario"
)

// Group is the scenarios that share one cluster IP family and one istiod
// configuration.
type Group struct {
	// Family is the IP family of the group's scenarios (client.ipFamily):
	// the kind cluster's, or the one the local provider starts a control
	// plane of.
	Family controlplane.IPFamily
	// Config is the istiod settings (env, mesh config) of the group.
	Config kindcluster.IstiodConfig
	// Shared run beside each other.
	Shared []*deploy.Plan
	// Exclusive each run alone, after the shared ones.
	Exclusive []*deploy.Plan
}

// Plans loads the scenarios -scenarios names and plans each, paths
// relative to the module root. A scenario that does not load or cannot be
// planned is recorded as an error and returned in bad; one that does not
// apply here (version; IP family on kind, where the cluster has one) is
// recorded as skipped (and printed in a dry run). The local provider runs
// every family: it starts a control plane of each scenario's. err is a pattern that matches no file: nothing runs.
func (s *Suite) Plans(dryRun io.Writer) (plans []*deploy.Plan, bad []error, err error) {
	var paths []string
	for _, pat := range strings.Split(s.cfg.Scenarios, ",") {
		pat = abs(s.root, strings.TrimSpace(pat))
		matches, err := filepath.Glob(pat)
		if err != nil || len(matches) == 0 {
			return nil, nil, fmt.Errorf("SCENARIOS=%s matches nothing", pat)
		}
		paths = append(paths, matches...)
	}
	scs, errs := scenario.LoadAll(paths)
	for _, err := range errs {
		bad = append(bad, fmt.Errorf("bad scenario: %w", err))
	}
	opts := s.planOptions(s.cfg.IPFamily)
	for _, sc := range scs {
		if rel, err := filepath.Rel(s.root, sc.Path); err == nil {
			sc.Path = rel
		}
		o := opts
		if s.cfg.Provider == ProviderLocal {
			o.IPFamily = sc.Header.Client.IPFamily
		}
		p, err := deploy.Build(sc, o)
		if err != nil {
			bad = append(bad, fmt.Errorf("%s: %w", sc.Path, err))
			s.record(compare.Result{Scenario: sc.Header.Name, File: sc.Path, Version: s.version.Label, Outcome: compare.Error, Err: err.Error()})
			continue
		}
		if p.Skip != "" {
			s.record(compare.Result{Scenario: sc.Header.Name, File: sc.Path, Version: s.version.Label, Outcome: compare.Skip, Err: p.Skip})
			if s.cfg.DryRun && dryRun != nil {
				p.Write(dryRun)
			}
			continue
		}
		plans = append(plans, p)
	}
	return plans, bad, nil
}

// planOptions are the options every plan of the suite is built with, for
// a client of the IP family.
func (s *Suite) planOptions(family string) deploy.Options {
	return deploy.Options{Version: s.version, Isolate: isolate.Options{Run: s.run, Image: s.cfg.Image}, IPFamily: family}
}

// Groups groups plans by IP family (IPv4, IPv6, dual stack) and, within
// one, by istiod settings, the default settings first, then in the order
// the plans first name them.
func Groups(plans []*deploy.Plan) []*Group {
	type key struct {
		family controlplane.IPFamily
		config string
	}
	byKey := map[key]*Group{}
	var keys []key
	for _, p := range plans {
		h := p.Iso.Original.Header
		mc := h.MeshConfig
		if p.Iso.Live != nil {
			mc = p.Iso.Live.Header.MeshConfig // namespaces renamed
		}
		c := kindcluster.IstiodConfig{Env: h.Istiod.Env, MeshConfig: mc}
		f, err := controlplane.ParseIPFamily(h.Client.IPFamily)
		if err != nil {
			f = controlplane.IPv4 // the loader refuses other families
		}
		k := key{f, c.Key()}
		g, ok := byKey[k]
		if !ok {
			g = &Group{Family: f, Config: c}
			byKey[k] = g
			keys = append(keys, k)
		}
		if p.Iso.Exclusive != "" {
			g.Exclusive = append(g.Exclusive, p)
		} else {
			g.Shared = append(g.Shared, p)
		}
	}
	for _, g := range byKey {
		g.Shared, g.Exclusive = apartPinnedClusterIPs(g.Shared, g.Exclusive)
	}
	def := kindcluster.IstiodConfig{}.Key()
	rank := map[controlplane.IPFamily]int{controlplane.IPv4: 0, controlplane.IPv6: 1, controlplane.DualStack: 2}
	sort.SliceStable(keys, func(i, j int) bool {
		if a, b := rank[keys[i].family], rank[keys[j].family]; a != b {
			return a < b
		}
		return keys[i].config == def && keys[j].config != def
	})
	out := make([]*Group, 0, len(keys))
	for _, k := range keys {
		out = append(out, byKey[k])
	}
	return out
}

// PrintGroup is a group's part of the dry run: how istiod gets its
// settings, then every plan.
func (s *Suite) PrintGroup(w io.Writer, g *Group) {
	if s.cfg.Provider == ProviderLocal {
		r := g.Family.Ranges()
		fmt.Fprintf(w, "### %s control plane (services %s, pods %s), istiod settings %s: istiod process with this env and mesh config\n", g.Family, joinPrefixes(r.Services), joinPrefixes(r.Pods), g.Config)
	} else {
		overlay, _ := g.Config.Overlay()
		args, err := kindcluster.InstallArgs(s.version, "OVERLAY")
		fmt.Fprintf(w, "### istiod settings %s: istioctl %s (%v)\n--- # OVERLAY\n%s\n", g.Config, strings.Join(args, " "), err, overlay)
	}
	for _, p := range append(append([]*deploy.Plan(nil), g.Shared...), g.Exclusive...) {
		p.Write(w)
	}
}

// Acquire takes one of the -max-parallel slots for a scenario's
// deployment, or fails when ctx ends first. Release gives it back.
func (s *Suite) Acquire(ctx context.Context) error {
	select {
	case s.slots <- struct{}{}:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("interrupted while waiting for one of %d deployment slots: %w", cap(s.slots), context.Cause(ctx))
	}
}

// Release gives back the slot Acquire took.
func (s *Suite) Release() { <-s.slots }

// joinPrefixes writes address ranges as the Kubernetes flags take them.
func joinPrefixes(ps []netip.Prefix) string {
	s := make([]string, len(ps))
	for i, p := range ps {
		s[i] = p.String()
	}
	return strings.Join(s, ",")
}

// apartPinnedClusterIPs moves to the exclusive plans each shared plan that
// pins a ClusterIP an earlier shared plan pins too: the API server gives
// an address to one Service at a time, so the two cannot be deployed side
// by side (found by e2e-local: scenarios/routes pin bookinfo's addresses).
func apartPinnedClusterIPs(shared, exclusive []*deploy.Plan) ([]*deploy.Plan, []*deploy.Plan) {
	taken := map[string]string{} // ClusterIP: the scenario deployed with it
	var keep []*deploy.Plan
	for _, p := range shared {
		ips := pinnedClusterIPs(p)
		if i := slices.IndexFunc(ips, func(ip string) bool { return taken[ip] != "" }); i >= 0 {
			p.Iso.Exclusive = fmt.Sprintf("it pins ClusterIP %s, as %s does, and the API server gives an address to one Service at a time", ips[i], taken[ips[i]])
			exclusive = append(exclusive, p)
			continue
		}
		for _, ip := range ips {
			taken[ip] = p.Scenario
		}
		keep = append(keep, p)
	}
	return keep, exclusive
}

// pinnedClusterIPs are the ClusterIPs the live scenario's Services name.
func pinnedClusterIPs(p *deploy.Plan) []string {
	if p.Iso == nil || p.Iso.Live == nil {
		return nil
	}
	var out []string
	for _, m := range p.Iso.Live.Manifests {
		svc, ok := m.Object.(*corev1.Service)
		if !ok {
			continue
		}
		for _, ip := range append([]string{svc.Spec.ClusterIP}, svc.Spec.ClusterIPs...) {
			if ip != "" && ip != corev1.ClusterIPNone {
				out = append(out, ip)
			}
		}
	}
	return out
}
