package app

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"strings"

	"github.com/listenerlab/listenerlab/internal/offline/compare"
	"github.com/listenerlab/listenerlab/internal/offline/resolve"
	"github.com/listenerlab/listenerlab/internal/realpilot/verify"
	"github.com/listenerlab/listenerlab/listener"
	"github.com/listenerlab/listenerlab/predictor/versions"
	"github.com/listenerlab/listenerlab/route"
	"github.com/listenerlab/listenerlab/scenario"
)

// runUpgradeDiff runs the real pilot of two versions on the same manifests
// and prints every listener and chain that appears, disappears or changes.
func runUpgradeDiff(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("upgrade-diff", flag.ContinueOnError)
	from := fs.String("from", "", "the Istio version upgraded from (with --from-revision: that revision's version)")
	to := fs.String("to", versions.Newest().Label, "the Istio version upgraded to (with --to-revision: that revision's version)")
	fromRev := fs.String("from-revision", "", "compare two control plane revisions of the input: the revision the namespaces move from (plain manifests; each file's install objects give each revision's mesh config and istiod env)")
	toRev := fs.String("to-revision", "", "the revision the namespaces move to")
	paths, status, ok := parseFlags(fs, args, stderr)
	if !ok {
		return status
	}
	if (*fromRev == "") != (*toRev == "") || *fromRev != "" && *fromRev == *toRev {
		fmt.Fprintln(stderr, "listenerlab upgrade-diff: give --from-revision and --to-revision together, two different revisions")
		return exitBadInput
	}
	vFrom, err := lookupVersion(*from, nil, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "listenerlab upgrade-diff: --from: %v\n", err)
		return exitBadInput
	}
	vTo, err := lookupVersion(*to, nil, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "listenerlab upgrade-diff: --to: %v\n", err)
		return exitBadInput
	}
	scs, status := load(paths, scenario.LoadAllManifests, stderr)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	opts := verify.Options{Progress: stderr}
	bins := map[string]string{}
	for _, v := range []versions.Version{vFrom, vTo} {
		bin, err := verify.Backend(ctx, v, opts)
		if err != nil {
			fmt.Fprintf(stderr, "error: Istio %s: %v\n", v.Label, err)
			return exitMismatch
		}
		bins[v.Label] = bin
	}
	var buf bytes.Buffer
	for _, v := range []versions.Version{vFrom, vTo} {
		if v.Note != "" {
			fmt.Fprintf(&buf, "# Istio %s: %s\n", v.Label, v.Note)
		}
	}
	pairs := diffPairs(scs, *fromRev, *toRev, stderr)
	changed := 0
	for _, pair := range pairs {
		sc := pair[0]
		var sides [2][]listener.Listener
		var routes [2][]route.Config
		failed := false
		for i, v := range []versions.Version{vFrom, vTo} {
			w, err := resolve.Simulate(pair[i], v)
			if err == nil {
				var obs *verify.Observation
				if obs, err = verify.Observe(ctx, w, sc.Header.Name, v, verify.Process(bins[v.Label]), opts); err == nil {
					sides[i], routes[i] = obs.Dump.Outbound(), obs.Dump.Routes
				}
			}
			if err != nil {
				fmt.Fprintf(stderr, "error: scenario %s: Istio %s: %v\n", sc.Header.Name, v.Label, err)
				status, failed = exitMismatch, true
			}
		}
		if failed {
			continue
		}
		diffs := append(compare.Listeners(sides[0], sides[1]), compare.Routes(routes[0], routes[1])...)
		fmt.Fprintf(&buf, "# %s (%s, client in %s): %sIstio %s -> %s: %d changes\n", sc.Header.Name, sc.Path, sc.Header.ClientNamespace(), moveText(*fromRev, *toRev), vFrom.Label, vTo.Label, len(diffs))
		for _, d := range diffs {
			fmt.Fprintf(&buf, "%s\n", describeChange(d, sides))
		}
		if len(diffs) > 0 {
			changed++
		}
	}
	stdout.Write(buf.Bytes())
	fmt.Fprintf(stdout, "\n%d of %d scenarios change from Istio %s to %s\n", changed, len(pairs), vFrom.Label, vTo.Label)
	return status
}

// diffPairs lists the scenarios to compare, each as its two sides: every
// scenario against itself (two versions), or with revisions, each
// namespace fromRev serves under fromRev's and toRev's control plane.
func diffPairs(scs []*scenario.Scenario, fromRev, toRev string, stderr io.Writer) [][2]*scenario.Scenario {
	var pairs [][2]*scenario.Scenario
	if fromRev == "" {
		for _, sc := range perNamespace(scs) {
			pairs = append(pairs, [2]*scenario.Scenario{sc, sc})
		}
		return pairs
	}
	moves, skipped := revisionMoves(perNamespace(scs), fromRev, toRev)
	for _, s := range skipped {
		fmt.Fprintf(stderr, "not compared: %s\n", s)
	}
	for _, mv := range moves {
		pairs = append(pairs, mv.sides)
	}
	return pairs
}

// moveText says the revision move in a scenario's heading ("" without).
func moveText(fromRev, toRev string) string {
	if fromRev == "" {
		return ""
	}
	return fmt.Sprintf("revision %s -> %s, ", fromRev, toRev)
}

// describeChange renders a difference between two versions' listeners:
// appears, disappears or changes, with the services involved.
func describeChange(d compare.Difference, sides [2][]listener.Listener) string {
	verb := "changes"
	switch {
	case d.Level == compare.LevelListener && d.Want == "":
		verb = "appears"
	case d.Level == compare.LevelListener && d.Got == "":
		verb = "disappears"
	case d.Level == compare.LevelRoute && d.Want == "":
		verb = "appears"
	case d.Level == compare.LevelRoute && d.Got == "":
		verb = "disappears"
	}
	services := map[string]bool{}
	if d.Level == compare.LevelRoute {
		// "NAME vhost HOST:PORT": the virtual host of a service.
		if _, vh, ok := strings.Cut(d.Listener, " vhost "); ok && strings.Contains(vh, ":") {
			host, _, _ := strings.Cut(vh, ":")
			services[host] = true
		}
	}
	for _, side := range sides {
		for _, l := range side {
			if l.Name != d.Listener {
				continue
			}
			for _, c := range append(append([]listener.FilterChain(nil), l.FilterChains...), derefChain(l.DefaultChain)...) {
				for _, host := range servicesOf(c.Destination) {
					services[host] = true
				}
			}
		}
	}
	var names []string
	for s := range services {
		names = append(names, s)
	}
	sort.Strings(names)
	out := fmt.Sprintf("%-11s %-30s [%s] services: %s", verb, d.Listener, d.Level, strings.Join(names, ", "))
	if d.Want != "" {
		out += "\n    -" + d.Want
	}
	if d.Got != "" {
		out += "\n    +" + d.Got
	}
	return out
}

func derefChain(c *listener.FilterChain) []listener.FilterChain {
	if c == nil {
		return nil
	}
	return []listener.FilterChain{*c}
}

// servicesOf names the services a destination leads to: the hosts of its
// outbound|PORT|SUBSET|HOST clusters (a tcp_proxy's cluster or weighted
// clusters, a redis_proxy's cluster), or of a "host:port" route.
func servicesOf(d listener.Destination) []string {
	var hosts []string
	clusters := []string{d.Cluster}
	for _, w := range d.Weighted {
		clusters = append(clusters, w.Name)
	}
	for _, c := range clusters {
		if sc, ok := listener.ParseServiceCluster(c); ok && (d.Kind == listener.TCP || d.Kind == listener.Redis) {
			hosts = append(hosts, sc.Host)
		}
	}
	if d.Kind == listener.HTTP && strings.Contains(d.Route, ":") {
		host, _, _ := strings.Cut(d.Route, ":")
		hosts = append(hosts, host)
	}
	return hosts
}

// perNamespace gives plain manifests (no Scenario header, so no client
// named) one client sidecar in each namespace they use; scenarios with a
// header are kept as they are.
func perNamespace(scs []*scenario.Scenario) []*scenario.Scenario {
	var out []*scenario.Scenario
	for _, sc := range scs {
		if !sc.Headerless {
			out = append(out, sc)
			continue
		}
		seen := map[string]bool{}
		var nss []string
		for _, m := range sc.Manifests {
			if m.Namespace != "" && !seen[m.Namespace] {
				seen[m.Namespace] = true
				nss = append(nss, m.Namespace)
			}
		}
		if len(nss) == 0 {
			nss = []string{"default"}
		}
		sort.Strings(nss)
		for _, ns := range nss {
			c := *sc
			c.Header.Name = sc.Header.Name + "." + ns
			c.Header.Client.Namespace = ns
			out = append(out, &c)
		}
	}
	return out
}
