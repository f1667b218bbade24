package app

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"k8s.io/apimachinery/pkg/labels"

	"github.com/listenerlab/listenerlab/internal/offline/attribute"
	"github.com/listenerlab/listenerlab/internal/offline/compare"
	"github.com/listenerlab/listenerlab/internal/offline/dump"
	"github.com/listenerlab/listenerlab/internal/offline/report"
	"github.com/listenerlab/listenerlab/internal/offline/resolve"
	"github.com/listenerlab/listenerlab/scenario"
)

// explainDumpFlags are the flags explain takes to explain a real sidecar's
// config dump instead of a prediction.
type explainDumpFlags struct {
	dump, manifests, client string
}

func addExplainDumpFlags(fs *flag.FlagSet) *explainDumpFlags {
	f := &explainDumpFlags{}
	fs.StringVar(&f.dump, "dump", "", "explain this real sidecar's config dump (pilot-agent request GET config_dump, istioctl proxy-config all -o json)")
	fs.StringVar(&f.manifests, "manifests", "", "with --dump: the cluster's manifests, a scenario file or plain manifests (file or directory)")
	fs.StringVar(&f.client, "client", "", "with --dump: the sidecar's workload as NAMESPACE/LABELKEY=VALUE[,KEY=VALUE] (default: the scenario header's client, else default/app=client)")
	return f
}

func (f *explainDumpFlags) set() bool { return f.dump != "" || f.manifests != "" || f.client != "" }

// runExplainDump predicts the listeners of the dump's sidecar from the
// manifests, attributes every outbound listener and chain of the dump to
// the services that caused it, and lists what the prediction and the dump
// do not share. Differences exit with exitMismatch.
func runExplainDump(f *explainDumpFlags, istio string, paths []string, stdout, stderr io.Writer) int {
	fail := func(format string, args ...any) int {
		fmt.Fprintf(stderr, "listenerlab explain: "+format+"\n", args...)
		return exitBadInput
	}
	if f.manifests != "" {
		paths = append([]string{f.manifests}, paths...)
	}
	switch {
	case f.dump == "":
		return fail("--manifests and --client go with --dump config_dump.json")
	case len(paths) == 0:
		return fail("--dump needs the manifests: --manifests FILE_OR_DIR")
	}
	v, err := offlineVersion(istio, stderr)
	if err != nil {
		return fail("%v", err)
	}
	data, err := os.ReadFile(f.dump)
	if err != nil {
		return fail("%v", err)
	}
	d, err := dump.Parse(data)
	if err != nil {
		return fail("%s: %v", f.dump, err)
	}
	real := d.Outbound()
	if len(real) == 0 {
		return fail("%s: no outbound listeners: not an Istio sidecar's config dump?", f.dump)
	}
	sc, err := loadManifests(paths)
	if err != nil {
		return fail("%v", err)
	}
	clientFrom := "scenario header"
	switch {
	case f.client != "":
		if err := setClient(sc, f.client); err != nil {
			return fail("--client: %v", err)
		}
		clientFrom = "--client"
	case sc.Headerless:
		clientFrom = "default for plain manifests; set it with --client"
	}
	w, p, err := resolve.Predict(sc, v)
	if err != nil {
		return fail("%v", err)
	}
	var buf bytes.Buffer
	fmt.Fprintf(&buf, "# config dump %s, manifests %s\n", f.dump, sc.Path)
	fmt.Fprintf(&buf, "client %s/%s (%s), predicted with Istio %s rules: %d outbound listeners in the dump, %d predicted\n",
		sc.Header.ClientNamespace(), formatLabels(sc.Header.ClientLabels()), clientFrom, p.Version, len(real), len(p.Listeners))
	for _, u := range d.Unreadable {
		fmt.Fprintf(&buf, "warning: listener %q could not be read: %s\n", u.Name, u.Message)
	}
	for _, r := range d.Rejected {
		fmt.Fprintf(&buf, "warning: Envoy rejected an update of listener %q: %s\n", r.Name, r.Message)
	}
	att := attribute.Dump(real, p.Listeners, w, sc)
	for _, l := range att.Listeners {
		fmt.Fprintf(&buf, "\n%s\n", l.Name)
		if l.Predicted {
			fmt.Fprintf(&buf, "  why (predicted): %s\n", l.Reason)
		} else {
			fmt.Fprintf(&buf, "  not predicted\n")
		}
		for _, c := range l.Chains {
			fmt.Fprintf(&buf, "  - %s -> %s\n      %s\n", c.Match, c.Destination.String(), c.Text)
		}
		if len(l.Services) > 0 {
			fmt.Fprintf(&buf, "  services: %s\n", strings.Join(l.Services, ", "))
		}
	}
	if len(p.Conflicts) > 0 {
		fmt.Fprintf(&buf, "\nConflicts istiod records (predicted; a config dump does not show them):\n")
		for _, c := range p.Conflicts {
			fmt.Fprintf(&buf, "  %s: %s rejected, %s kept (%s)\n", c.Listener, c.Rejected, c.Accepted, c.Kind)
		}
	}
	if att.Unattributed == 0 {
		fmt.Fprintf(&buf, "\nEvery listener and chain attributed: %d listeners, %d chains.\n", len(real), att.Chains)
	} else {
		fmt.Fprintf(&buf, "\n%d of %d chains not attributed.\n", att.Unattributed, att.Chains)
	}
	// The findings' witness connections, replayed on the dump: a finding
	// whose connection goes elsewhere on the real sidecar is a difference.
	diffs := append(compare.Listeners(p.Listeners, real), compare.Witnesses(p.Findings, d)...)
	status := exitOK
	if len(diffs) == 0 {
		fmt.Fprintf(&buf, "Prediction vs dump: no difference.\n")
	} else {
		status = exitMismatch
		fmt.Fprintf(&buf, "Prediction vs dump (-predicted +dump), %d differences:\n", len(diffs))
		for _, d := range diffs {
			fmt.Fprintf(&buf, "  %s\n", strings.ReplaceAll(d.String(), "\n", "\n  "))
		}
	}
	if terms := report.Terms(buf.String()); len(terms) > 0 {
		fmt.Fprintf(&buf, "\nWhat pilot's terms above mean for traffic:\n")
		for _, t := range terms {
			fmt.Fprintf(&buf, "  %s: %s\n", t.Term, t.Meaning)
		}
	}
	stdout.Write(buf.Bytes())
	return status
}

// loadManifests reads a scenario file or plain manifests (files or
// directories) as the one cluster the dump's sidecar lives in. A Scenario
// header, if any, names the client; more than one is an error.
func loadManifests(paths []string) (*scenario.Scenario, error) {
	scs, errs := scenario.LoadAllManifests(paths)
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	if len(scs) == 0 {
		return nil, fmt.Errorf("no manifests in %s", strings.Join(paths, ", "))
	}
	base := scs[0]
	var files []string
	for _, sc := range scs {
		files = append(files, sc.Path)
		if !sc.Headerless {
			if !base.Headerless && base != sc {
				return nil, fmt.Errorf("two Scenario headers (%s and %s): give one scenario, or plain manifests", base.Path, sc.Path)
			}
			base = sc
		}
	}
	if len(scs) == 1 {
		return base, nil
	}
	merged := *base
	merged.Path = strings.Join(files, ", ")
	merged.Manifests = nil
	seen := map[string]string{}
	for _, sc := range scs {
		for _, m := range sc.Manifests {
			if f, dup := seen[m.Ref()]; dup {
				return nil, fmt.Errorf("%s is in %s and %s", m.Ref(), f, sc.Path)
			}
			seen[m.Ref()] = sc.Path
			merged.Manifests = append(merged.Manifests, m)
		}
	}
	return &merged, nil
}

// setClient sets the scenario's client from NAMESPACE/KEY=VALUE[,KEY=VALUE]
// and checks that it names at most one workload of the manifests (none: the
// standard client is added with these labels).
func setClient(sc *scenario.Scenario, s string) error {
	ns, sel, ok := strings.Cut(s, "/")
	if !ok || ns == "" || sel == "" {
		return fmt.Errorf("%q: want NAMESPACE/LABELKEY=VALUE", s)
	}
	set := map[string]string{}
	for _, kv := range strings.Split(sel, ",") {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return fmt.Errorf("%q: %q is not LABELKEY=VALUE", s, kv)
		}
		set[k] = v
	}
	// --client replaces the header's client, its named pod included.
	sc.Header.Client.Namespace, sc.Header.Client.Labels, sc.Header.Client.Pod = ns, set, ""
	var matched []string
	for _, m := range sc.Manifests {
		if l, ok := scenario.PodLabels(m.Object); ok && m.Namespace == ns && labels.SelectorFromSet(set).Matches(labels.Set(l)) {
			matched = append(matched, m.Ref())
		}
	}
	if len(matched) > 1 {
		return fmt.Errorf("%q matches %d workloads (%s): the client must be one", s, len(matched), strings.Join(matched, ", "))
	}
	return nil
}

func formatLabels(m map[string]string) string {
	var kv []string
	for k, v := range m {
		kv = append(kv, k+"="+v)
	}
	sort.Strings(kv)
	return strings.Join(kv, ",")
}
